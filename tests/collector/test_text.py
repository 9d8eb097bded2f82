"""Lab text made safe to print (``collector.text``)."""

from __future__ import annotations

import pytest

from collector.text import clean, shorten


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("web\x00server", "webserver"),
        ("\x1b[31mred\x1b[0m", "[31mred[0m"),  # the ESC goes, the rest is plain text
        ("invoice\u202etxt.exe", "invoicetxt.exe"),
        ("a\u2066b\u2069c\u200fd", "abcd"),
        ("line one\nline two\r\nthree\rfour", "line one line two three four"),
        ("tab\tstays", "tab\tstays"),
        ("bell\x07 and del\x7f and c1\x85", "bell and del and c1"),
        ("ünïcödé ✓ 数据", "ünïcödé ✓ 数据"),
    ],
)
def test_clean_removes_controls_and_joins_lines(raw: str, expected: str) -> None:
    assert clean(raw) == expected


def test_clean_can_keep_line_breaks() -> None:
    assert clean("notes:\r\n- a\x00\n- b\u2028", keep_newlines=True) == "notes:\n- a\n- b"


def test_shorten_marks_what_it_cut() -> None:
    assert shorten("abcdef", 6) == "abcdef"
    assert shorten("abcdefg", 6) == "abcde…"
    assert len(shorten("x" * 1_000_000, 120)) == 120
