"""The XLSX writer of exports (calldesk.lib.xlsx): a workbook spreadsheet readers open, typed."""

from __future__ import annotations

import io
import threading
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook

from calldesk.lib import xlsx


def _book(rows: list[list[object]]) -> io.BytesIO:
    target = io.BytesIO()
    assert xlsx.write_sheet(target, "Reports", ["Text", "Number", "When", "Day"], [10, 10, 20, 10], rows) == len(rows)
    target.seek(0)
    return target


def test_cells_keep_their_types_and_texts_their_characters() -> None:
    rows: list[list[object]] = [
        ["a < b & c > d", Decimal("-17"), datetime(2026, 3, 7, 14, 15, 59), date(2026, 3, 7)],
        ["line\r\nnext  ", 3, None, None],
        ["  spaces kept", 2.5, datetime(2026, 12, 31, 23, 59, 59, 500000), date(1999, 1, 1)],
        ["Décimal NaN", Decimal("NaN"), None, "not a date"],
    ]
    sheet = load_workbook(_book(rows)).active
    assert sheet is not None
    read = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert read[0] == ["Text", "Number", "When", "Day"]
    assert read[1] == ["a < b & c > d", -17, datetime(2026, 3, 7, 14, 15, 59), datetime(2026, 3, 7)]
    assert read[2] == ["line\r\nnext  ", 3, None, None]
    assert (
        read[3][0] == "  spaces kept"
        and read[3][1] == 2.5
        and read[3][2].replace(microsecond=0) == datetime(2026, 12, 31, 23, 59, 59)
    )
    assert read[4] == ["Décimal NaN", "NaN", None, "not a date"]  # not a number a spreadsheet could hold: text
    assert sheet["C2"].number_format == "yyyy-mm-dd h:mm:ss" and sheet["D2"].number_format == "yyyy-mm-dd"


def test_the_header_is_frozen_and_filterable_and_columns_have_their_widths() -> None:
    sheet = load_workbook(_book([["x", 1, None, None]] * 3)).active
    assert sheet is not None
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:D4"
    assert sheet.column_dimensions["C"].width == 20


def test_an_empty_export_is_a_header_alone() -> None:
    book = load_workbook(_book([]), read_only=True)
    assert [list(row) for row in book.active.iter_rows(values_only=True)] == [["Text", "Number", "When", "Day"]]  # type: ignore[union-attr]


def _writers() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "xlsx-writer"]


def test_thousands_of_rows_written_behind_come_back_in_order() -> None:
    """The sheet's pieces (500 rows each) are compressed and written by a thread while the next
    rows are made: every row comes back once, in order."""
    rows: list[list[object]] = [[f"row {n}", n, None, None] for n in range(2_345)]
    sheet = load_workbook(_book(rows), read_only=True)["Reports"]
    assert [row[:2] for row in sheet.iter_rows(min_row=2, values_only=True)] == [(f"row {n}", n) for n in range(2_345)]
    assert not _writers()


class _FullDisk(io.BytesIO):
    def write(self, data: Any, /) -> int:
        if self.tell() > 20_000:
            raise OSError(28, "No space left on device")
        return super().write(data)


def test_a_disk_that_fills_up_says_so_and_leaves_no_thread() -> None:
    rows: list[list[object]] = [[f"row {n} " * 20, n, None, None] for n in range(20_000)]
    with pytest.raises(OSError, match="No space left"):
        xlsx.write_sheet(_FullDisk(), "Reports", ["Text", "Number", "When", "Day"], [10, 10, 20, 10], rows)
    assert not _writers()
