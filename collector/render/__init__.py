"""Renderers, chosen by ``Format``: pure functions that return the report as text.

The formats people read (table, Markdown) take a ``View`` too: how wide, in colour or not,
which parts, which severities. The formats programs read (JSON, Prometheus, Ansible) always
carry everything, so they take the report alone.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from collector.render.ansible import render_ansible
from collector.render.json import render_json
from collector.render.markdown import render_markdown
from collector.render.prometheus import render_prometheus
from collector.render.table import render_table
from collector.render.view import View
from collector.report.build import Report


class Format(StrEnum):
    TABLE = "table"
    MARKDOWN = "markdown"
    JSON = "json"
    PROMETHEUS = "prometheus"
    ANSIBLE = "ansible"


FOR_PEOPLE: dict[Format, Callable[[Report, View], str]] = {
    Format.TABLE: render_table,
    Format.MARKDOWN: render_markdown,
}
FOR_PROGRAMS: dict[Format, Callable[[Report], str]] = {
    Format.JSON: render_json,
    Format.PROMETHEUS: render_prometheus,
    Format.ANSIBLE: render_ansible,
}


def render(report: Report, fmt: Format, view: View | None = None) -> str:
    if fmt in FOR_PEOPLE:
        return FOR_PEOPLE[fmt](report, view or View())
    return FOR_PROGRAMS[fmt](report)
