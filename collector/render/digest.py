"""What ``--quiet`` prints when something needs attention: at most a few lines, for cron mail.

The headline (and where the report went), the change counts, then the new findings, the worst
first, until the lines run out: the last one then says how many more there are.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from collector.render.changes import changes_line
from collector.render.fit import one_line
from collector.render.sections import headline, report_time
from collector.report.build import Report
from collector.report.diff import FindingStatus

QUIET_LINES = 5


def quiet_digest(
    report: Report, written: Sequence[Path], width: int, limit: int = QUIET_LINES
) -> list[str]:
    """At most ``limit`` lines (at least 2); finding lines are shortened to ``width``."""
    files = ", ".join(map(str, written))
    where = f"wrote {files}" if files else f"homelab report {report_time(report)}"
    lines = [f"{where}: {headline(report)}"]
    changes = report.changes
    if changes is None:
        return lines
    lines.append(changes_line(changes))
    new = list(changes.findings_of(FindingStatus.NEW))
    room = max(0, limit - len(lines))
    shown = new if len(new) <= room else new[: max(0, room - 1)]
    for f in shown:
        lines.append(one_line(f"new: [{f.severity}] {f.rule} {f.subject}: {f.message}", width))
    if len(shown) < len(new):
        lines.append(f"… and {len(new) - len(shown)} more new findings (see the report)")
    return lines
