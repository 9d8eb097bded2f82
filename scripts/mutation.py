"""Mutation testing of the core: how many small deliberate bugs the fast tests catch, per module.

    nice -n 15 .venv/bin/python scripts/mutation.py              # every target below
    nice -n 15 .venv/bin/python scripts/mutation.py placement waivers
    .venv/bin/python scripts/mutation.py --list                  # targets and their tests

A *target* is one core module (or some of its functions) and the fast tests that guard it. For
each target the script lays out a scratch copy of the project in ``build/mutation/<target>/``,
writes a ``[tool.mutmut]`` section there that names only that module and those tests, runs
``mutmut run`` (mutmut reads its settings from the folder it runs in) and reads the verdicts
back through ``mutmut results``. It prints one line per target:

- *killed*: a test failed on the mutant (or it ran into mutmut's time limit, which a user would
  notice too); *survived*: every test passed; *no tests*: no selected test reaches the function;
- *score* = killed / (killed + survived + no tests).

Then the survivors, by name. To read one: ``cd build/mutation/<target> &&
../../../.venv/bin/mutmut show <name>`` (or ``mutmut browse`` there). docs/testing.md holds the
scores and the survivors that are left on purpose (equivalent mutants), with why.

Not part of ``.ci/run``: the whole run takes minutes, not seconds (see docs/testing.md).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "build" / "mutation"

# Test files that most targets share: the scenario folders and the shipped demo lab run the
# whole pipeline (adapters on recordings → correlation → rules → report) in milliseconds.
_PIPELINE = (
    "tests/collector/test_scenarios.py",
    "tests/collector/test_demo_lab.py",
    "tests/collector/test_report_layers.py",
)


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    path: str
    tests: tuple[str, ...]
    """pytest arguments selecting the fast tests that guard the module (files or node ids)."""
    functions: tuple[str, ...] = ()
    """Mutate only these functions of the module (all of them when empty)."""

    @property
    def module(self) -> str:
        return self.path.removesuffix(".py").replace("/", ".")

    def mutant_globs(self) -> list[str]:
        """mutmut's mutant-name filter: ``collector.cli.app.x_exit_code__mutmut_*``."""
        return [f"{self.module}.x_{f}__mutmut_*" for f in self.functions]

    def owns(self, mutant: str) -> bool:
        if not mutant.startswith(f"{self.module}."):
            return False
        return not self.functions or any(
            mutant.startswith(f"{self.module}.x_{f}__mutmut_") for f in self.functions
        )


TARGETS = (
    Target(
        "placement",
        "collector/correlation/placement.py",
        (*_PIPELINE, "tests/collector/test_placement.py"),
    ),
    Target(
        "inventory",
        "collector/correlation/inventory.py",
        (
            *_PIPELINE,
            "tests/collector/test_inventory.py",
            "tests/collector/test_ownership.py",
            "tests/collector/test_backup_evidence.py",
        ),
    ),
    Target(
        "classify",
        "collector/correlation/classify.py",
        (*_PIPELINE, "tests/collector/test_classify.py"),
    ),
    Target(
        "backup-jobs",
        "collector/correlation/backup_jobs.py",
        (*_PIPELINE, "tests/collector/test_backup.py"),
    ),
    Target(
        "backup-rules",
        "collector/rules/backup.py",
        (*_PIPELINE, "tests/collector/test_backup.py", "tests/collector/test_backup_evidence.py"),
    ),
    Target(
        "redact",
        "collector/recording/redact.py",
        (
            "tests/collector/test_recording.py",
            "tests/adapters/test_record_anonymise.py::test_plain_recording_drops_container_environments",
            "tests/adapters/test_record_anonymise.py::test_redact_keys_reach_docker_recordings",
        ),
    ),
    Target(
        "redaction-policy",
        "collector/redaction.py",
        (
            "tests/collector/test_redaction.py",
            "tests/collector/test_recording.py",
            "tests/adapters/test_record_anonymise.py::test_plain_recording_drops_container_environments",
            "tests/adapters/test_record_anonymise.py::test_redact_keys_reach_docker_recordings",
        ),
    ),
    Target(
        "waivers",
        "collector/rules/waivers.py",
        ("tests/collector/test_waivers.py", "tests/collector/test_scenarios.py"),
    ),
    Target(
        "exit-code",
        "collector/cli/app.py",
        (
            "tests/test_cli.py",
            "tests/collector/test_scenarios.py",
            "tests/collector/test_waivers.py",
        ),
        functions=("exit_code",),
    ),
    Target(
        "diff",
        "collector/report/diff.py",
        (
            "tests/history/test_diff.py",
            "tests/history/test_store.py",
            "tests/history/test_weekly_job.py",
            "tests/history/test_incomplete_and_retention.py",
        ),
    ),
)

# What the scratch copy leaves out: caches, the virtual environment, earlier mutation runs.
_NOT_COPIED = {".git", ".venv", "build", "mutants", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis", "*.egg-info")
# What mutmut copies into its own mutants/ folder besides the sources and tests/.
_ALSO_COPY = ("fixtures", "contrib", "docs", "bench", "scripts", "config.example.toml", "README.md")

KILLED = {"killed", "timeout", "caught by type check"}
SURVIVED = {"survived", "no tests", "suspicious", "segfault"}


def _toml_list(values: Iterable[str]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def mutmut_section(target: Target) -> str:
    """The ``[tool.mutmut]`` table of one target's scratch project."""
    return "\n".join(
        [
            "",
            "[tool.mutmut]",
            'source_paths = ["collector", "adapters"]',
            f"only_mutate = {_toml_list([target.path])}",
            f"also_copy = {_toml_list(_ALSO_COPY)}",
            f"pytest_add_cli_args_test_selection = {_toml_list(target.tests)}",
            # Coverage would time every mutant's tests for nothing; the cache would leak
            # "last failed" state between mutants.
            'pytest_add_cli_args = ["--no-cov", "-p", "no:cacheprovider"]',
            "use_git_change_detection = false",
            "",
        ]
    )


def prepare(target: Target) -> Path:
    """A fresh scratch copy of the project whose pyproject.toml configures mutmut for ``target``."""
    work = WORK / target.name
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    for entry in sorted(ROOT.iterdir()):
        if entry.name in _NOT_COPIED or entry.name.endswith(".egg-info"):
            continue
        if entry.is_dir():
            shutil.copytree(entry, work / entry.name, ignore=_IGNORED)
        else:
            shutil.copy2(entry, work / entry.name)
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    if "[tool.mutmut]" in pyproject:
        raise SystemExit("pyproject.toml has a [tool.mutmut] table: this script writes its own")
    (work / "pyproject.toml").write_text(pyproject + mutmut_section(target), encoding="utf-8")
    return work


def _mutmut(work: Path, *args: str, quiet: bool) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "mutmut", *args]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    if quiet:
        return subprocess.run(command, cwd=work, env=env, capture_output=True, text=True)
    return subprocess.run(command, cwd=work, env=env, text=True)


_RESULT = re.compile(r"^\s+(\S+): (.+)$")


def verdicts(work: Path, target: Target) -> dict[str, str]:
    """Mutant name → mutmut's verdict, for the target's mutants only."""
    listed = _mutmut(work, "results", "--all", "true", quiet=True)
    if listed.returncode != 0:
        raise SystemExit(f"mutmut results failed in {work}:\n{listed.stdout}{listed.stderr}")
    found = (_RESULT.match(line) for line in listed.stdout.splitlines())
    return {m[1]: m[2] for m in found if m and target.owns(m[1])}


@dataclass(frozen=True, slots=True)
class Score:
    target: Target
    counts: Counter[str]
    survivors: tuple[str, ...]

    @property
    def killed(self) -> int:
        return sum(self.counts[v] for v in KILLED)

    @property
    def judged(self) -> int:
        return self.killed + sum(self.counts[v] for v in SURVIVED)

    @property
    def percent(self) -> float:
        return 100.0 * self.killed / self.judged if self.judged else 0.0


def run_target(target: Target, jobs: int, quiet: bool) -> Score:
    work = prepare(target)
    args = ["run", "--max-children", str(jobs), *target.mutant_globs()]
    done = _mutmut(work, *args, quiet=quiet)
    if done.returncode != 0:
        output = f"{done.stdout}{done.stderr}" if quiet else "(see above)"
        raise SystemExit(f"mutmut run failed for {target.name} in {work}: {output}")
    found = verdicts(work, target)
    unexpected = set(found.values()) - KILLED - SURVIVED
    if unexpected:  # "not checked" and the like: the run did not finish its job
        raise SystemExit(f"{target.name}: mutants left as {sorted(unexpected)} in {work}")
    survivors = tuple(sorted(n for n, v in found.items() if v in SURVIVED))
    return Score(target, Counter(found.values()), survivors)


def table(scores: Sequence[Score]) -> str:
    header = f"{'target':<14} {'module':<40} {'mutants':>7} {'killed':>6} {'survived':>8} "
    header += f"{'no tests':>8} {'score':>7}"
    lines = [header, "-" * len(header)]
    for s in scores:
        survived = s.counts["survived"] + s.counts["suspicious"] + s.counts["segfault"]
        lines.append(
            f"{s.target.name:<14} {s.target.path:<40} {s.judged:>7} {s.killed:>6} "
            f"{survived:>8} {s.counts['no tests']:>8} {s.percent:>6.1f}%"
        )
    killed, judged = sum(s.killed for s in scores), sum(s.judged for s in scores)
    total = 100.0 * killed / judged if judged else 0.0
    lines.append(f"{'all':<14} {'':<40} {judged:>7} {killed:>6} {'':>8} {'':>8} {total:>6.1f}%")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", help="target names (default: all)")
    parser.add_argument("--list", action="store_true", help="list the targets and their tests")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="mutants at once")
    parser.add_argument("--verbose", action="store_true", help="show mutmut's own progress")
    args = parser.parse_args(argv)
    by_name = {t.name: t for t in TARGETS}
    if args.list:
        for t in TARGETS:
            only = f" (functions: {', '.join(t.functions)})" if t.functions else ""
            print(f"{t.name}: {t.path}{only}\n    " + "\n    ".join(t.tests))
        return 0
    unknown = [n for n in args.targets if n not in by_name]
    if unknown:
        parser.error(f"unknown target(s) {', '.join(unknown)}; known: {', '.join(by_name)}")
    tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))  # fail early if broken
    chosen = [by_name[n] for n in args.targets] or list(TARGETS)
    scores = []
    for target in chosen:
        print(f"mutating {target.path} ({target.name}) ...", flush=True)
        scores.append(run_target(target, args.jobs, quiet=not args.verbose))
        print(table(scores[-1:]).splitlines()[-2], flush=True)
    print()
    print(table(scores))
    for score in scores:
        if score.survivors:
            print(f"\nsurvivors of {score.target.name} (build/mutation/{score.target.name}):")
            print("\n".join(f"  {name}" for name in score.survivors))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
