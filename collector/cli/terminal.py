"""What the terminal tells us: how wide the view may be, and whether colour is welcome."""

from __future__ import annotations

import os
import shutil
import sys

from collector.model import Severity
from collector.render.view import DEFAULT_WIDTH, View


def view_for(
    *,
    to_stdout: bool,
    details: bool = False,
    inventory: bool = False,
    min_severity: Severity = Severity.INFO,
    no_color: bool = False,
) -> View:
    """The width is ``COLUMNS``, else the terminal's, else ``DEFAULT_WIDTH`` (cron, a pipe).
    Colour only for a person at a terminal: not into a file or a pipe, not with ``NO_COLOR``
    (https://no-color.org: set and not empty) or ``--no-color``."""
    width = shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns
    color = to_stdout and sys.stdout.isatty() and not no_color and not os.environ.get("NO_COLOR")
    return View(
        width=width,
        color=color,
        details=details,
        inventory=inventory,
        min_severity=min_severity,
    )
