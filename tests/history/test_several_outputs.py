"""Several ``--output`` files from one run: one collection, one history row, one notification;
each file in the format its extension names, written atomically, with its own date template."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from collector.errors import ConfigError
from collector.output import OutputFile, output_files
from collector.render import Format
from tests.history.lab import write_lab
from tests.history.test_notify import Hook, hook, notify_block, run

__all__ = ["hook"]


def test_one_run_writes_every_format_and_stores_one_row(hook: Hook, tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    lab = write_lab(
        tmp_path / "lab", this_week=True, extra_config=notify_block("webhook", hook.url)
    )
    out = tmp_path / "out"
    code, stdout, err = run(
        lab, db,
        "-o", str(out / "txt" / "{date:%G-W%V}.txt"),
        "-o", str(out / "wiki" / "{date:%G-W%V}.md"),
        "-o", str(out / "lab.json"),
        "-o", str(out / "textfile" / "homelab.prom"),
        "-o", str(out / "inventory.yaml"),
    )  # fmt: skip
    assert code == 0 and err == ""
    week = next((out / "wiki").glob("*.md")).stem
    assert (out / "txt" / f"{week}.txt").read_text().startswith("homelab report ")
    markdown = (out / "wiki" / f"{week}.md").read_text()
    assert markdown.startswith("---\n")  # the wiki page's front matter
    doc = json.loads((out / "lab.json").read_text())
    assert doc["summary"]["workloads"] == 7
    families = {
        f.name for f in text_string_to_metric_families((out / "textfile/homelab.prom").read_text())
    }
    assert "homelab_source_up" in families
    assert (out / "inventory.yaml").read_text().startswith("# Ansible inventory")
    assert stdout.startswith(f"wrote {out / 'txt' / week}.txt, {out / 'wiki' / week}.md, ")
    # One collection: the same report in every file (the JSON's time is the metrics' time).
    assert "homelab_report_timestamp_seconds " in (out / "textfile/homelab.prom").read_text()
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT report_path FROM runs").fetchall()
    # One history row, naming the primary file: the first whose name is dated.
    assert rows == [(str(out / "txt" / f"{week}.txt"),)]
    (request,) = hook.received  # one notification
    assert request.json()["report"] == str(out / "txt" / f"{week}.txt")
    # No temp file is left beside any output.
    assert sorted(p.name for p in out.rglob(".*")) == []


def test_format_for_a_single_output_overrides_the_extension(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    lab = write_lab(tmp_path / "lab", this_week=True)
    target = tmp_path / "metrics.txt"
    assert run(lab, db, "-o", str(target), "-f", "prometheus")[0] == 0
    assert target.read_text().startswith("# HELP homelab_")


@pytest.mark.parametrize(
    ("templates", "fmt", "message"),
    [
        (["a.md", "b.json"], Format.JSON, "--format applies to a single --output"),
        (["a.md", "b.html"], None, "--output 'b.html': with several outputs the extension"),
        (["a.md", "r/{ext}"], None, "the extension names the format"),
        (["a.md", "a.md"], None, "names the same file twice"),
        (["a.md", "r/{when}.json"], None, "unknown placeholder {when}"),
    ],
)
def test_bad_output_lists_are_refused_before_collecting(
    templates: list[str], fmt: Format | None, message: str
) -> None:
    with pytest.raises(ConfigError, match=message.replace("{", r"\{").replace("(", r"\(")):
        output_files(templates, fmt)


def test_extensions_name_the_formats() -> None:
    names = ["w.md", "d.json", "m.prom", "t.txt", "i.yml", "i.yaml", "W.MD"]
    assert [f.fmt for f in output_files(names)] == [
        Format.MARKDOWN, Format.JSON, Format.PROMETHEUS, Format.TABLE, Format.ANSIBLE,
        Format.ANSIBLE, Format.MARKDOWN,
    ]  # fmt: skip
    assert output_files(["report"]) == (OutputFile("report", Format.TABLE),)  # one: as before


def test_a_bad_list_is_exit_2_and_collects_nothing(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    lab = write_lab(tmp_path / "lab", this_week=True)
    code, _, err = run(lab, db, "-o", str(tmp_path / "a.md"), "-o", str(tmp_path / "b.html"))
    assert code == 2 and "b.html" in err
    assert not db.exists() and not (tmp_path / "a.md").exists()
