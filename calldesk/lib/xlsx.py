"""A one-sheet XLSX workbook written row by row, for exports of hundreds of thousands of rows.

openpyxl's write-only mode builds a cell object per value and checks it; this writes the
sheet's XML directly into the zip as rows come, so memory stays flat and a row costs little.
Cells are typed as a spreadsheet expects: numbers as numbers, dates and date-times as serial
numbers with a date format (computed by openpyxl's own `to_excel`, so the values are what
openpyxl would write), text as inline strings. The header row is frozen and filterable.
"""

from __future__ import annotations

import queue
import re
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from math import isfinite
from typing import IO, Any

from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import SECS_PER_DAY, WINDOWS_EPOCH, to_excel

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# Style indexes in STYLES' cellXfs: the formats openpyxl gives dates and date-times.
DATETIME_STYLE = 1
DATE_STYLE = 2
STYLES = (
    f'{HEAD}<styleSheet xmlns="{MAIN}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd h:mm:ss"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
CONTENT_TYPES = (
    f'{HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    f'{HEAD}<Relationships xmlns="{PACKAGE_RELS}">'
    f'<Relationship Id="rId1" Type="{RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK_RELS = (
    f'{HEAD}<Relationships xmlns="{PACKAGE_RELS}">'
    f'<Relationship Id="rId1" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{RELS}/styles" Target="styles.xml"/></Relationships>'
)


# What a text cell's characters need escaped (see `escape`).
_ESCAPED = re.compile("[&<>\r]")
_TEXT_OPEN = '<c t="inlineStr"><is><t xml:space="preserve">'
_TEXT_CLOSE = "</t></is></c>"


def escape(text: str) -> str:
    """Text for an XML text node. A carriage return is written as a reference, since XML
    readers turn a literal one into a line feed."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text


def cell_xml(value: Any) -> str:
    """One cell (without a reference: cells are written in order, empty ones as `<c/>`)."""
    kind = value.__class__
    if kind is str:
        return f'<c t="inlineStr"><is><t xml:space="preserve">{escape(value)}</t></is></c>'
    if value is None:
        return "<c/>"
    if kind is datetime:
        return f'<c s="{DATETIME_STYLE}"><v>{serial(value)}</v></c>'
    if kind is date:
        return f'<c s="{DATE_STYLE}"><v>{to_excel(value)}</v></c>'
    if kind is bool:
        return f'<c t="b"><v>{int(value)}</v></c>'
    if kind is int or (kind is float and isfinite(value)) or (kind is Decimal and value.is_finite()):
        return f"<c><v>{value}</v></c>"
    return cell_xml(str(value))


def serial(moment: datetime) -> float:
    """openpyxl's `to_excel` of a (naive) datetime, the same operations in the same order, so
    the same float; without its checks for other types, which cost more than the sum here."""
    days = (moment - WINDOWS_EPOCH).days
    if 0 < days <= 60:  # the 1900 leap year a spreadsheet believes in
        days -= 1
    return days + (moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 10**6) / SECS_PER_DAY


def row_xml(row: Sequence[Any]) -> str:
    """A row's cells. Most rows' texts need no escaping: one search over all of them says so,
    and their cells are then written without a call per cell."""
    texts = [value for value in row if value.__class__ is str]
    if _ESCAPED.search("".join(texts)):
        return "".join([cell_xml(value) for value in row])
    parts = []
    for value in row:
        if value.__class__ is str:
            parts.append(_TEXT_OPEN + value + _TEXT_CLOSE)
        elif value is None:
            parts.append("<c/>")
        else:
            parts.append(cell_xml(value))
    return "".join(parts)


def write_sheet(
    target: IO[bytes], name: str, headers: Sequence[str], widths: Sequence[float], rows: Iterable[Sequence[Any]]
) -> int:
    """Write the workbook to `target`: `headers` (frozen, filterable), then `rows`. Returns the
    number of rows written after the header."""
    columns = len(headers)
    last = get_column_letter(columns)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        book.writestr("[Content_Types].xml", CONTENT_TYPES)
        book.writestr("_rels/.rels", ROOT_RELS)
        book.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        book.writestr("xl/styles.xml", STYLES)
        count = 0
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            cols = "".join(
                f'<col min="{i}" max="{i}" width="{width}" customWidth="1"/>' for i, width in enumerate(widths, 1)
            )
            sheet.write(
                (
                    f'{HEAD}<worksheet xmlns="{MAIN}" xmlns:r="{RELS}">'
                    '<sheetViews><sheetView workbookViewId="0">'
                    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                    '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
                    f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>'
                    f'<row r="1">{"".join(cell_xml(header) for header in headers)}</row>'
                ).encode()
            )
            pieces: list[str] = []
            with written_behind(sheet) as write:
                for row in rows:
                    count += 1
                    pieces.append(f'<row r="{count + 1}">{row_xml(row)}</row>')
                    if len(pieces) == 500:
                        write("".join(pieces).encode())
                        pieces.clear()
                write("".join(pieces).encode())
            sheet.write(f'</sheetData><autoFilter ref="A1:{last}{count + 1}"/></worksheet>'.encode())
        book.writestr(
            "xl/workbook.xml",
            f'{HEAD}<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><bookViews><workbookView/></bookViews>'
            f'<sheets><sheet name="{escape(name)}" sheetId="1" r:id="rId1"/></sheets>'
            '<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'
            f"'{escape(name)}'!$A$1:${last}${count + 1}</definedName></definedNames></workbook>",
        )
    return count


@contextmanager
def written_behind(target: IO[bytes]) -> Iterator[Callable[[bytes], None]]:
    """A `write` that hands each piece to a thread which writes it to `target` (a member of the
    zip) while the rows after it are made. Compressing is about a fifth of a row's time, and
    zlib lets go of the GIL while it deflates and sums a piece this size: on a second core it
    costs the export nothing. At most two pieces wait (a few megabytes). Every piece is written
    when the block ends; what writing raised (a full disk) is raised in the caller then, or at
    its next `write`."""
    pieces: queue.Queue[bytes | None] = queue.Queue(maxsize=2)
    failed: list[BaseException] = []

    def drain() -> None:
        while (piece := pieces.get()) is not None:
            if not failed:
                try:
                    target.write(piece)
                except BaseException as error:  # raised again in the caller's thread
                    failed.append(error)

    def write(piece: bytes) -> None:
        if failed:
            raise failed[0]
        pieces.put(piece)

    writer = threading.Thread(target=drain, name="xlsx-writer", daemon=True)
    writer.start()
    try:
        yield write
    finally:
        pieces.put(None)
        writer.join()
    if failed:
        raise failed[0]
