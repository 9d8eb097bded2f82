"""Renderers: pure functions ``Report -> str``, chosen by ``Format``."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from collector.render.ansible import render_ansible
from collector.render.json import render_json
from collector.render.markdown import render_markdown
from collector.render.prometheus import render_prometheus
from collector.render.table import render_table
from collector.report.build import Report


class Format(StrEnum):
    TABLE = "table"
    MARKDOWN = "markdown"
    JSON = "json"
    PROMETHEUS = "prometheus"
    ANSIBLE = "ansible"


RENDERERS: dict[Format, Callable[[Report], str]] = {
    Format.TABLE: render_table,
    Format.MARKDOWN: render_markdown,
    Format.JSON: render_json,
    Format.PROMETHEUS: render_prometheus,
    Format.ANSIBLE: render_ansible,
}


def render(report: Report, fmt: Format) -> str:
    return RENDERERS[fmt](report)
