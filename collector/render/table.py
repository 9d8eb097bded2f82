"""Terminal renderer: a view that fits the terminal and leads with what to do.

The default view, top to bottom: the headline; the sources that failed or could not see
everything; what needs action, grouped by rule, worst first, each hint once with its subjects
under it; compliance per layer, one line each; the declared systems that are not as declared;
what changed since the last run. The full
per-finding table and the other full sections come with ``View.details``, the inventory tree
with ``View.inventory`` (``--details``, ``--inventory``). Nothing is ever wider than
``View.width``; lab text is cleaned of control characters first (``collector.text``).
"""

from __future__ import annotations

from collector.correlation.declared import Status
from collector.render.actions import RuleGroup, hidden_below, needs_action
from collector.render.changes import changes_line, unknown_note
from collector.render.declared import declared_change_lines, declared_differs, declared_summary
from collector.render.fit import one_line, wrap
from collector.render.sections import headline, layer_compliance_table, report_time
from collector.render.table_details import details_sections, fitted, inventory_section
from collector.render.view import View
from collector.report.build import Report
from collector.report.diff import FindingStatus

SUBJECTS_SHOWN = 5
"""Per hint, the subjects listed in the default view; ``--details`` has every finding."""
GAPS_SHOWN = 3
"""Incomplete reads listed per failed or incomplete source in the default view."""


def _headline(report: Report, view: View) -> list[str]:
    text = f"homelab report {report_time(report)}: {headline(report)}"
    return _painted(wrap(text, view.columns, hang="  "), "INCOMPLETE", "error", view)


def _painted(lines: list[str], word: str, severity: str, view: View) -> list[str]:
    """``lines`` with the first ``word`` coloured (after wrapping: colour takes no width)."""
    for i, line in enumerate(lines):
        if word in line:
            lines[i] = line.replace(word, view.paint(word, severity), 1)
            break
    return lines


def _more(count: int, indent: str, width: int) -> list[str]:
    return wrap(f"… and {count} more (--details lists them all)", width, indent=indent)


def _sources(report: Report, view: View) -> list[str]:
    width = view.columns
    sources = report.inventory.sources
    complete = sum(1 for s in sources if s.complete)
    coverage = [(s.name, g) for s in sources for g in s.gaps if not g.incomplete]
    head = f"Sources: {complete} of {len(sources)} complete"
    if coverage:
        # Counted, not listed: a coverage gap only narrows what a check can see (that check
        # stays silent), and every error should fit on the first screen; --details lists them.
        head += f"; {len(coverage)} coverage gap{'s' if len(coverage) > 1 else ''}"
        head += " (--details lists them)"
    lines = wrap(head, width, hang="  ")
    for source in sources:
        if source.complete:
            continue
        label = "FAILED" if source.error else "INCOMPLETE"
        problem = source.error or "some reads failed:"
        text = f"{label} {source.name} ({source.kind.value}): {problem}"
        lines += _painted(wrap(text, width, indent="  ", hang="    "), label, "error", view)
        incomplete = [g for g in source.gaps if g.incomplete]
        for gap in incomplete[:GAPS_SHOWN]:
            lines.append(one_line(f"    {gap.subject} {gap.what}: {gap.reason}", width))
        if len(incomplete) > GAPS_SHOWN:
            lines += _more(len(incomplete) - GAPS_SHOWN, "    ", width)
    return lines


def _group(group: RuleGroup, view: View, new: set[tuple[str, str]]) -> list[str]:
    width = view.columns
    label = group.severity.value.upper()
    if group.count == 1:
        # One finding: its subject and message say what the rule's summary would, on one line.
        (finding,) = group.hints[0].findings
        mark = "NEW " if (finding.rule, finding.subject) in new else ""
        line = f"{label} {group.rule}: {finding.subject}  {mark}{finding.message}"
        lines = _painted([one_line(line, width)], label, group.severity.value, view)
        return lines + wrap(group.hints[0].hint, width, indent="  fix: ", hang="       ")
    title = f"{label} {group.rule} ({group.count})"
    lines = wrap(f"{title}: {group.summary}" if group.summary else title, width, hang="  ")
    lines = _painted(lines, label, group.severity.value, view)
    for hint in group.hints:
        lines += wrap(hint.hint, width, indent="  fix: ", hang="       ")
        shown = hint.findings[:SUBJECTS_SHOWN]
        # Subjects line up in a column up to a third of the width; a longer id is printed
        # whole (it is what a waiver names), and its message moves right.
        column = min(max(len(f.subject) for f in shown), width // 3)
        for f in shown:
            mark = "NEW " if (f.rule, f.subject) in new else ""
            lines.append(one_line(f"  - {f.subject:<{column}}  {mark}{f.message}", width))
        if len(hint.findings) > SUBJECTS_SHOWN:
            lines += _more(len(hint.findings) - SUBJECTS_SHOWN, "    ", width)
    return lines


def _actions(report: Report, view: View) -> list[str]:
    groups = needs_action(report.findings, view.min_severity)
    hidden = hidden_below(report.findings, view.min_severity)
    count = sum(g.count for g in groups)
    if not groups and hidden:
        title = f"Needs action: nothing at {view.min_severity.value} or above"
    elif not groups:
        title = "Needs action: nothing, no open finding"
    else:
        rules = f"{len(groups)} rule{'s' if len(groups) > 1 else ''}"
        title = f"Needs action: {count} open finding{'s' if count > 1 else ''} in {rules}"
    lines = wrap(title, view.columns, hang="  ")
    changes = report.changes
    new = (
        {(f.rule, f.subject) for f in changes.findings_of(FindingStatus.NEW)} if changes else set()
    )
    previous = None
    for group in groups:
        # A blank line between severities, none between rules: a rule starts with its
        # severity in capitals, and every error should fit on the first screen.
        if group.severity is not previous:
            lines.append("")
        lines += _group(group, view, new)
        previous = group.severity
    notes = []
    if hidden:
        notes.append(f"{hidden} below {view.min_severity.value} not shown (--min-severity)")
    if report.summary.waived:
        notes.append(f"{report.summary.waived} waived, accepted until their waiver ends")
    if notes:
        lines += ["", *wrap("; ".join(notes) + ".", view.columns, hang="  ")]
    return lines


def _layers(report: Report, view: View) -> list[str]:
    title = "Compliance by layer (objects without an open finding)"
    table = fitted(
        layer_compliance_table(report),
        view,
        right=frozenset({"open", "waived"}),
        one_line=frozenset({"rules with open findings"}),
    )
    return [one_line(title, view.columns), *table.splitlines()]


def _declared(report: Report, view: View) -> list[str]:
    """The declaration's tally and the systems that are not as declared (none: no block)."""
    declared = report.inventory.declared
    if declared is None:
        return []
    width = view.columns
    lines = wrap(f"Declared vs running: {declared_summary(report)}", width, hang="  ")
    off = [m for m in declared.matches if m.status is not Status.OK]
    column = max((len(m.status.value) for m in off), default=0)
    for match in off[:SUBJECTS_SHOWN]:
        system = f"{match.system.form.value} {match.system.name}"
        status = f"{match.status.value:<{column}}"
        lines.append(one_line(f"  {status}  {system}: {declared_differs(match)}", width))
    if len(off) > SUBJECTS_SHOWN:
        lines += _more(len(off) - SUBJECTS_SHOWN, "  ", width)
    return lines


def _changes(report: Report, view: View) -> list[str]:
    if report.changes is None:
        return []
    lines = wrap(changes_line(report.changes), view.columns, hang="  ")
    if note := unknown_note(report.changes):
        lines += wrap(note, view.columns, indent="  ", hang="  ")
    for line in declared_change_lines(report.changes):
        lines += wrap(line, view.columns, indent="  ", hang="    ")
    return lines


def _footer(view: View) -> list[str]:
    wanted = [
        flag
        for flag, shown in (
            (
                "--details (every finding, sources, gaps, changes, backups, declared systems)",
                view.details,
            ),
            ("--inventory (the tree of every object)", view.inventory),
        )
        if not shown
    ]
    return wrap("More: " + ", ".join(wanted), view.columns, hang="  ") if wanted else []


def render_table(report: Report, view: View | None = None) -> str:
    view = view or View()
    blocks = [
        _headline(report, view),
        _sources(report, view),
        _actions(report, view),
        _layers(report, view),
        _declared(report, view),
        _changes(report, view),
        _footer(view),
    ]
    text = "\n\n".join("\n".join(block) for block in blocks if block) + "\n"
    if view.details:
        text += "\n" + details_sections(report, view)
    if view.inventory:
        text += "\n" + inventory_section(report, view)
    return text
