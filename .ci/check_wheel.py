"""The install a user gets, checked end to end: build the sdist and the wheel from it, install
the wheel into a fresh virtual environment outside the checkout, and run ``collect`` from
another folder with nothing of the checkout on any path.

Run by ``.ci/run`` with the development venv: ``.venv/bin/python .ci/check_wheel.py``. Prints
one line per check and the time each phase took; exits non-zero at the first failure.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
import time
import venv
import zipfile
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]
# The one copy of each shipped file in the checkout, and where the wheel must carry it.
SHIPPED = {
    CHECKOUT / "config.example.toml": "collector/data/config.example.toml",
    CHECKOUT / "fixtures" / "demo-lab": "collector/data/demo-lab",
    CHECKOUT / "contrib": "collector/data/contrib",
}


def check(condition: bool, what: str, detail: str = "") -> None:
    if not condition:
        sys.exit(f"check-wheel: FAILED: {what}\n{detail}")
    print(f"check-wheel: ok: {what}")


def run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    return result.returncode, result.stdout, result.stderr


def build(out: Path) -> Path:
    code, stdout, stderr = run([sys.executable, "-m", "build", "--outdir", str(out), "."], CHECKOUT)
    check(code == 0, "python -m build (sdist, then the wheel from the sdist)", stdout + stderr)
    (wheel,) = out.glob("homelab_collector-*.whl")
    return wheel


def check_contents(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        missing = []
        for source, inside in SHIPPED.items():
            files = [source] if source.is_file() else sorted(p for p in source.rglob("*"))
            for path in (p for p in files if p.is_file()):
                name = inside if path == source else f"{inside}/{path.relative_to(source)}"
                if name not in names or archive.read(name) != path.read_bytes():
                    missing.append(name)
        links = [i.filename for i in archive.infolist() if stat.S_ISLNK(i.external_attr >> 16)]
    check(
        not missing, "the wheel carries the example config, the demo lab and contrib/", str(missing)
    )
    check(not links, "the wheel holds files, not the checkout's symlinks", str(links))


def install(wheel: Path, target: Path) -> Path:
    venv.create(target, with_pip=True)
    python = target / "bin" / "python"
    code, stdout, stderr = run([str(python), "-m", "pip", "install", "-q", str(wheel)], target)
    check(code == 0, f"pip install {wheel.name} into a fresh venv", stdout + stderr)
    return target / "bin" / "collect"


def check_commands(collect: Path, work: Path) -> None:
    elsewhere = work / "elsewhere"
    elsewhere.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "COLLECT_CONFIG", "COLLECT_HISTORY_DB", "VIRTUAL_ENV"}
    }
    env |= {
        "XDG_CONFIG_HOME": str(work / "config"),
        "XDG_STATE_HOME": str(work / "state"),
        "PATH": f"{collect.parent}:/usr/bin:/bin",
        "TZ": "UTC",  # the headline shows the run's time in the local zone
        "COLUMNS": "100",
    }
    python = collect.with_name("python")
    code, out, err = run(
        [str(python), "-c", "import collector; print(collector.__file__)"], elsewhere, env
    )
    check(
        code == 0 and Path(out.strip()).is_relative_to(collect.parents[1]),
        "imports come from the venv",
        out + err,
    )

    code, out, err = run(["collect", "--help"], elsewhere, env)
    check(
        code == 0 and all(c in out for c in ("init", "report", "doctor")),
        "collect --help",
        out + err,
    )

    code, out, err = run(["collect", "--version"], elsewhere, env)
    check(
        code == 0 and "proxmoxer" in out and "recording format" in out,
        "collect --version",
        out + err,
    )

    code, demo, err = run(["collect", "report", "--demo"], elsewhere, env)
    checkout_collect = str(Path(sys.executable).with_name("collect"))  # the development venv's
    _, replay, _ = run([checkout_collect, "report", "--replay", "fixtures/demo-lab"], CHECKOUT, env)
    check(
        code == 1 and demo == replay and demo.startswith("homelab report 2026-11-26 09:30 UTC: "),
        "collect report --demo: exit 1, the same report as --replay fixtures/demo-lab",
        err,
    )

    code, out, err = run(["collect", "init", "--print"], elsewhere, env)
    example = (CHECKOUT / "config.example.toml").read_text()
    check(code == 0 and out == example, "collect init --print prints the example config", err)

    code, out, err = run(["collect", "init"], elsewhere, env)
    written = work / "config" / "homelab-collector" / "config.toml"
    check(
        code == 0
        and written.read_text() == example
        and stat.S_IMODE(written.stat().st_mode) == 0o600
        and "collect doctor" in out
        and "collect report" in out,
        "collect init writes the XDG config (0600) and names the next commands",
        out + err,
    )
    code, out, err = run(["collect", "init"], elsewhere, env)
    check(code == 2 and "already exists" in err, "collect init refuses to overwrite", out + err)

    code, out, err = run(["collect", "init", "--systemd", "--user"], elsewhere, env)
    program = str(collect.resolve())
    check(code == 0 and f"ExecStart={program} report --quiet" in out,
          "collect init --systemd names the installed program's real path", out + err)  # fmt: skip


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="homelab-collector-wheel-") as tmp:
        work = Path(tmp)
        started = time.monotonic()
        wheel = build(work / "dist")
        check_contents(wheel)
        built = time.monotonic()
        collect = install(wheel, work / "venv")
        installed = time.monotonic()
        check_commands(collect, work)
        done = time.monotonic()
        print(
            f"check-wheel: build {built - started:.1f} s, install {installed - built:.1f} s, "
            f"commands {done - installed:.1f} s"
        )


if __name__ == "__main__":
    main()
