"""The quick paths of exports and API pages write exactly what the general code they stand in
for writes: the csv module, openpyxl's to_excel, escaping per cell, json.loads, Django's JSON
encoder of datetimes and Python's isoformat (the last two written by PostgreSQL)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from hypothesis import example, given
from hypothesis import strategies as st
from openpyxl.utils.datetime import to_excel

from calldesk.api.reports import _opened_values
from calldesk.callforms.definition import FieldType
from calldesk.lib import xlsx
from calldesk.lib.crypto import opener, seal
from calldesk.lib.jsonload import dumps, loads, string_or_loads
from calldesk.lib.sealed import HASHED, SEALED, open_values
from calldesk.reports.exports import (
    _PLAIN_NUMBER,
    FORMULA_STARTS,
    _moment_cell,
    _moment_text,
    _xlsx_rows,
    _xlsx_value,
    csv_text,
    export_cell,
    neutralise,
)

NY = ZoneInfo("America/New_York")
# Texts with every character the csv module, XML and a worksheet treat specially.
TEXTS = st.text(alphabet=st.sampled_from(list('ab ,"\r\n\t&<>=+-@\x00\x01\x0b\x1f\u2013é\U0001f600\\')), max_size=12)
CELLS = st.one_of(TEXTS, st.none(), st.integers(-5, 5), st.booleans())


def _csv_module(headers: list[str], rows: list[list[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return "\ufeff" + buffer.getvalue()


@given(st.lists(st.lists(CELLS, min_size=1, max_size=5), max_size=8))
@example([[""], ["", ""], [None, "a"], ['a"b', "c,d", "e\rf"]])
def test_csv_text_writes_what_the_csv_module_writes(rows: list[list[object]]) -> None:
    assert "".join(csv_text(["A", "B"], rows, None)) == _csv_module(["A", "B"], rows)  # type: ignore[arg-type]


def test_csv_text_sends_the_rows_a_few_hundred_at_a_time() -> None:
    chunks = list(csv_text(["A"], [["x", "y"]] * 450, None))
    assert chunks[0] == "\ufeff" and len(chunks) == 4
    assert "".join(chunks) == _csv_module(["A"], [["x", "y"]] * 450)


@given(st.lists(st.lists(st.one_of(CELLS, st.datetimes(), st.dates()), max_size=5), max_size=6))
def test_xlsx_rows_are_the_cells_written_one_by_one(rows: list[list[object]]) -> None:
    for row in rows:
        assert xlsx.row_xml(row) == "".join(xlsx.cell_xml(value) for value in row)


@given(st.lists(st.lists(CELLS, max_size=5), max_size=6))
@example([["x" * 20000, "y" * 20000]])
def test_xlsx_rows_are_cleaned_as_each_cell_was(rows: list[list[object]]) -> None:
    expected = [[_xlsx_value(cell, True) if isinstance(cell, str) else cell for cell in row] for row in rows]
    assert list(_xlsx_rows(rows)) == expected  # type: ignore[arg-type]


@given(st.datetimes(min_value=datetime(1899, 12, 30), max_value=datetime(9999, 12, 31)))
@example(datetime(1900, 2, 28, 23, 59, 59, 999999))
@example(datetime(1900, 3, 1))
@example(datetime(2026, 12, 31, 23, 59, 59, 500000))
def test_a_datetimes_serial_is_openpyxls(moment: datetime) -> None:
    assert repr(xlsx.serial(moment)) == repr(to_excel(moment))


@given(st.datetimes(timezones=st.just(UTC)) | st.datetimes())
@example(datetime(1, 1, 1, tzinfo=UTC))
@example(datetime(999, 5, 1, 12))
def test_a_date_time_fields_text_is_the_codecs(moment: datetime) -> None:
    stored = moment.isoformat()
    try:
        expected = export_cell(FieldType.DATETIME, stored, NY, True)
    except OverflowError:  # the codec's own answer to a time with no local time: the same
        with pytest.raises(OverflowError):
            _moment_text(stored, NY)
        return
    assert _moment_text(stored, NY) == expected


# Zones a whole number of hours off UTC and others: half and three quarters of an hour, a
# half-hour daylight saving time (Lord Howe), local mean times of the 19th century.
ZONES = [
    NY,
    ZoneInfo("UTC"),
    ZoneInfo("Europe/Dublin"),
    ZoneInfo("Asia/Kolkata"),
    ZoneInfo("Asia/Kathmandu"),
    ZoneInfo("America/St_Johns"),
    ZoneInfo("Australia/Lord_Howe"),
    ZoneInfo("Pacific/Chatham"),
    ZoneInfo("Africa/Monrovia"),
]


@given(
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
    st.sampled_from(ZONES),
    st.integers(0, 3599),
)
@example(datetime(2026, 3, 8, 6, 59, 59), NY, 1)  # the hour before and the hour of a change of offset
@example(datetime(2026, 11, 1, 5, 0, 0), NY, 3599)
@example(datetime(2026, 11, 1, 6, 0, 0), NY, 0)
@example(datetime(999, 12, 31, 23, 0, 0), ZoneInfo("UTC"), 0)
@example(datetime(1000, 1, 1, 4, 0, 0), NY, 0)  # a local time of the year 999
@example(datetime(9999, 12, 31, 23, 0, 0), NY, 59)
@example(datetime(1900, 1, 1, 0, 0, 0), ZoneInfo("Africa/Monrovia"), 0)
def test_a_date_time_fields_text_from_its_hour_kept_is_the_codecs(moment: datetime, zone: ZoneInfo, later: int) -> None:
    hours: dict[str, str] = {}
    same_hour = moment.replace(minute=0, second=0, microsecond=0) + timedelta(seconds=later)
    for each in (moment, same_hour, moment):  # the hour found, then kept
        stored = each.replace(microsecond=0, tzinfo=UTC).isoformat()
        try:
            expected = export_cell(FieldType.DATETIME, stored, zone, True)
        except OverflowError:
            with pytest.raises(OverflowError):
                _moment_text(stored, zone, hours)
            continue
        assert _moment_text(stored, zone, hours) == expected


@pytest.mark.parametrize(
    "stored",
    [
        "2026-02-30T10:00:00+00:00",
        "2026-12-17T15:61:00+00:00",
        "2026-12-17T15:00:60+00:00",
        "2026-12-17T24:00:00+00:00",
        "2026-W51-4T15:11:52+00:00",
        "2026-12-17T15:11:52+01:00",
        "\u0662026-12-17T15:11:52+00:00",
    ],
)
def test_a_date_time_text_not_as_the_editor_stores_it_reads_as_before(stored: str) -> None:
    hours: dict[str, str] = {}
    for _ in range(2):
        assert _moment_text(stored, NY, hours) == export_cell(FieldType.DATETIME, stored, NY, True)


@given(st.text(alphabet=st.sampled_from(list("+-=@\t\r.0123456789e x\u0663\u00b2'")), max_size=8))
@example("+")
@example("-")
@example("+15551234567")
@example("+1555\u0663")
@example("=5")
def test_a_formula_is_neutralised_as_the_regex_alone_says(text: str) -> None:
    expected = "'" + text if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text) else text
    assert neutralise(text) == expected


@given(st.datetimes(timezones=st.just(UTC)) | st.datetimes())
@example(datetime(1, 1, 1, tzinfo=UTC))
def test_a_date_time_fields_cell_is_the_codecs(moment: datetime) -> None:
    stored = moment.isoformat()
    try:
        expected = export_cell(FieldType.DATETIME, stored, NY, False)
    except OverflowError:
        with pytest.raises(OverflowError):
            _moment_cell(stored, NY)
        return
    assert _moment_cell(stored, NY) == expected


@pytest.mark.parametrize("stored", ["", "not a time", "2026-13-01T00:00:00", "=1+1", "2026-03-07", True, 5, ["x"]])
def test_a_date_time_field_holding_something_else_reads_as_before(stored: object) -> None:
    assert _moment_text(stored, NY) == export_cell(FieldType.DATETIME, stored, NY, True)
    assert _moment_cell(stored, NY) == export_cell(FieldType.DATETIME, stored, NY, False)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXTS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXTS, inner, max_size=3),
    max_leaves=8,
)


@given(JSON_VALUES)
@example("\ud800")
@example(1e308 * 10)
def test_json_is_read_as_json_loads_reads_it(value: object) -> None:
    for text in (json.dumps(value), json.dumps(value, ensure_ascii=False)):
        if text == "Infinity":
            continue
        assert loads(text) == json.loads(text)
        assert string_or_loads(text) == json.loads(text)


@given(JSON_VALUES)
@example({"half a pair": "\udc80", "José": ["\U0001f600", 1.5, None]})
def test_json_is_written_for_json_loads_to_read_back(value: object) -> None:
    """`dumps` (an API page): what json.loads reads back is the document, lone surrogates and
    all (pydantic's writer refuses those: json.dumps writes them, escaped)."""
    assert json.loads(dumps(value)) == value


def test_json_that_pydantic_refuses_is_still_read() -> None:
    assert loads('"\\ud800"') == "\ud800"
    assert loads("1e400") == float("inf")


TIMES = [
    datetime(2026, 3, 7, 14, 15, 59, tzinfo=UTC),
    datetime(2026, 3, 7, 14, 15, 59, 500, tzinfo=UTC),  # a fraction that is 0 milliseconds
    datetime(2026, 3, 7, 14, 15, 59, 999999, tzinfo=UTC),  # cut, not rounded
    datetime(2026, 3, 7, 14, 15, 59, 1000, tzinfo=UTC),
    datetime(1900, 1, 1, tzinfo=UTC),
    datetime(2026, 11, 1, 5, 30, tzinfo=ZoneInfo("America/New_York")),
]


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("moment", TIMES)
def test_postgresql_writes_a_time_as_the_api_encodes_it_and_as_isoformat(moment: datetime) -> None:
    from calldesk.accounts.models import Organization
    from calldesk.api.reports import UtcTimeText

    org = Organization.objects.create(name="Times", slug="times")
    Organization.objects.filter(pk=org.pk).update(created_at=moment)
    encoded, iso = Organization.objects.filter(pk=org.pk).values_list(
        UtcTimeText("created_at", encoded=True), UtcTimeText("created_at", encoded=False)
    )[0]
    # Django reads a timestamp back in UTC, and encodes that.
    assert encoded == json.loads(json.dumps(moment.astimezone(UTC), cls=DjangoJSONEncoder))
    assert iso == moment.astimezone(UTC).isoformat()


def test_times_and_numbers_stay_typed_in_xlsx_rows() -> None:
    row: list[object] = ["a", Decimal("1.5"), datetime(2026, 1, 1) + timedelta(microseconds=7), date(2026, 1, 2), None]
    assert xlsx.row_xml(row) == "".join(xlsx.cell_xml(value) for value in row)


def _stored(value: object, sealed: bool) -> object:
    # As PersonalValuesField stores a personal value; `hostile`: a clear value shaped like one.
    return {SEALED: seal(json.dumps(value, ensure_ascii=False)), HASHED: "h"} if sealed else value


STORED_VALUES = st.dictionaries(
    TEXTS,
    st.one_of(
        st.builds(_stored, JSON_VALUES, st.just(True)),
        JSON_VALUES,
        st.builds(lambda text: {SEALED: text, HASHED: "h"}, st.sampled_from(['"plain"', "[1]", "cd1:nokey:AAAA"])),
    ),
    max_size=5,
)


@given(STORED_VALUES | st.builds(_stored, JSON_VALUES, st.just(True)) | JSON_VALUES)
@example({"a": {SEALED: "not JSON", HASHED: "h"}})
@example({SEALED: '"top"', HASHED: "h", "other": 1})
def test_a_pages_values_are_opened_as_open_values_opens_them(values: object) -> None:
    text = json.dumps(values)
    try:
        expected: object = open_values(loads(text), opener())
    except Exception as error:  # whatever it is (a document that does not parse), the quick path says the same
        with pytest.raises(type(error)):
            _opened_values(text, opener())
        return
    assert _opened_values(text, opener()) == expected
