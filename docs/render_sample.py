"""Render ``docs/sample-report.md``: the demo lab's weekly report, with a real Changes section.

    python docs/render_sample.py            # rewrite it
    python docs/render_sample.py --check    # exit 1 when it is not what the code renders now

"Last week" is a copy of ``fixtures/demo-lab`` with four edits (so that this week shows a guest
added, a guest removed, an image updated, a finding fixed and a new one); both runs go through
the same job as ``collect report`` (history in a temporary folder, no notifications), at fixed
times so that the sample only changes when the report itself does. The page is dated in the
local time zone, so the sample is rendered in UTC wherever it is run.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from collector.collection.wiring import replay_sources  # noqa: E402
from collector.config import load_config  # noqa: E402 - after the path is set
from collector.job import JobOptions, run_job  # noqa: E402
from collector.output import OutputFile  # noqa: E402
from collector.render import Format  # noqa: E402

DEMO = ROOT / "fixtures" / "demo-lab"
SAMPLE = ROOT / "docs" / "sample-report.md"
NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)  # the demo lab's own "now"


def _edit(path: Path, change: Any) -> None:
    data = json.loads(path.read_text())
    path.write_text(json.dumps(change(data), indent=1) + "\n")


def _last_week(root: Path) -> Path:
    lab = root / "last-week"
    shutil.copytree(DEMO, lab)
    pve = lab / "pve" / "homelab"

    def guests(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        kept = [g for g in items if g.get("vmid") != 302]  # esphome: new this week
        for g in kept:
            if g.get("vmid") == 115:  # minecraft was not tagged a service yet
                g["tags"] = "games;platform"
        retired = dict(next(g for g in kept if g.get("vmid") == 120))
        retired.update(vmid=122, name="old-wiki", id="qemu/122", tags="docs;service")
        return [*kept, retired]  # old-wiki: removed since

    _edit(pve / "cluster" / "resources@type=vm.json", guests)
    config = pve / "nodes" / "pve2" / "qemu"
    (config / "122").mkdir()
    _edit(config / "120" / "config.json", lambda c: c)
    shutil.copy(config / "120" / "config.json", config / "122" / "config.json")
    _edit(config / "122" / "config.json", lambda c: {**c, "name": "old-wiki"})
    minecraft = pve / "nodes" / "pve3" / "qemu" / "115" / "config.json"
    _edit(minecraft, lambda c: {**c, "tags": "games;platform"})

    apps = lab / "docker" / "apps"  # vaultwarden ran the previous release (another image id)
    listing = json.loads((apps / "containers.json").read_text())
    image_id = next(c["ImageID"] for c in listing if "/vaultwarden" in c["Names"])
    for path in [apps / "containers.json", *sorted((apps / "containers").glob("*.json"))]:
        text = path.read_text().replace("vaultwarden/server:1.34.3", "vaultwarden/server:1.34.1")
        path.write_text(text.replace(image_id, "sha256:" + "5" * 64))
    return lab


def _run(lab: Path, db: Path, output: Path, now: datetime) -> None:
    config = load_config(lab / "config.toml")
    options = JobOptions(
        outputs=(OutputFile(str(output), Format.MARKDOWN),), history_db=db, notify=False, now=now
    )
    run_job(config, replay_sources(config, lab), options)


def render() -> str:
    """The sample page as the code renders it now."""
    os.environ["TZ"] = "UTC"
    time.tzset()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        db = root / "history.sqlite3"
        _run(_last_week(root), db, root / "last-week.md", NOW - timedelta(days=7))
        _run(DEMO, db, root / "sample-report.md", NOW)
        return (root / "sample-report.md").read_text(encoding="utf-8")


def main() -> None:
    page = render()
    if "--check" in sys.argv[1:]:
        if SAMPLE.read_text(encoding="utf-8") != page:
            sys.exit(f"{SAMPLE.relative_to(ROOT)} is stale: run python docs/render_sample.py")
        print(f"{SAMPLE.relative_to(ROOT)} is current")
        return
    SAMPLE.write_text(page, encoding="utf-8")
    print(f"wrote {SAMPLE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
