"""Cells a spreadsheet would run as a formula are neutralised, and nothing else is lost."""

from __future__ import annotations

import csv
import io
from datetime import UTC

from hypothesis import example, given
from hypothesis import strategies as st

from calldesk.callforms.definition import FieldType
from calldesk.reports.exports import FORMULA_STARTS, _xlsx_value, export_cell, neutralise

texts = st.text() | st.builds(lambda start, rest: start + rest, st.sampled_from(FORMULA_STARTS), st.text())


def is_plain_number(text: str) -> bool:
    body = text[1:] if text[:1] in "+-" else text
    whole, _, fraction = body.partition(".")
    return whole.isascii() and whole.isdigit() and (fraction == "" or (fraction.isascii() and fraction.isdigit()))


@given(texts)
@example("=1+2")
@example("@SUM(A1)")
@example("\t=cmd")
@example("-2+3")
@example("+1 999-123-4567")
@example("-\u0661")
@example("-5\n")
def test_nothing_starts_like_a_formula_unless_it_is_a_plain_number(text: str) -> None:
    result = neutralise(text)
    assert not result.startswith(FORMULA_STARTS) or is_plain_number(result)


@given(texts)
def test_neutralising_only_ever_adds_one_apostrophe(text: str) -> None:
    result = neutralise(text)
    assert result in (text, "'" + text)
    assert (result != text) == (text.startswith(FORMULA_STARTS) and not is_plain_number(text))


@given(st.lists(texts, min_size=1, max_size=5))
def test_a_csv_row_reads_back_as_the_neutralised_cells(cells: list[str]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([export_cell(FieldType.TEXT, cell, UTC) for cell in cells])
    (row,) = list(csv.reader(io.StringIO(buffer.getvalue(), newline="")))
    assert row == [neutralise(cell) for cell in cells]


@given(st.lists(texts, min_size=1, max_size=3))
def test_multi_choice_values_are_neutralised_once_joined(labels: list[str]) -> None:
    joined = export_cell(FieldType.MULTI_CHOICE, labels, UTC)
    assert not joined.startswith(FORMULA_STARTS) or is_plain_number(joined)


@given(texts)
def test_xlsx_cells_are_neutralised_too(text: str) -> None:
    value = _xlsx_value(text)
    assert not value.startswith(FORMULA_STARTS) or is_plain_number(value)
