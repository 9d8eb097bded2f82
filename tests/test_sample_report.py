"""``docs/sample-report.md`` is what the code renders now, not what it rendered once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_sample_report_is_current() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "render_sample.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "docs/sample-report.md is current\n"
