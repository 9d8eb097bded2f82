"""JSON renderer: the report's JSON document (``collector.report.document``), pretty-printed.

Keys are sorted, so the output diffs well and does not depend on the order they were built in.
"""

from __future__ import annotations

import json

from collector.report.build import Report
from collector.report.document import report_document


def render_json(report: Report) -> str:
    return json.dumps(report_document(report), indent=2, sort_keys=True) + "\n"
