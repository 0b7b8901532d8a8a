"""Compact timestamps (`yyyyMMddHHmmss`, `yyyyMMddHHmmssfff`) as dialers send them, beside Unix time."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calldesk.lib.times import read_call_start

NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
locals_ = st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2199, 12, 30), timezones=st.just(NEW_YORK))


def _same_wall_clock(reading_when: datetime, local: datetime) -> bool:
    shown = reading_when.astimezone(NEW_YORK).replace(tzinfo=None)
    # A wall-clock time skipped by the spring-forward gap has no exact instant.
    skipped = local.replace(tzinfo=None) != local.astimezone(UTC).astimezone(NEW_YORK).replace(tzinfo=None)
    return shown == local.replace(tzinfo=None) or skipped


@given(locals_)
def test_seventeen_digits_are_the_organizations_wall_clock_with_milliseconds(local: datetime) -> None:
    local = local.replace(microsecond=local.microsecond // 1000 * 1000, fold=0)
    sent = local.strftime("%Y%m%d%H%M%S") + f"{local.microsecond // 1000:03d}"
    reading = read_call_start(sent, NEW_YORK, NOW)
    assert reading.problem == ""
    assert _same_wall_clock(reading.when, local)


@given(locals_)
def test_fourteen_digits_are_the_organizations_wall_clock(local: datetime) -> None:
    local = local.replace(microsecond=0, fold=0)
    reading = read_call_start(local.strftime("%Y%m%d%H%M%S"), NEW_YORK, NOW)
    assert reading.problem == ""
    assert _same_wall_clock(reading.when, local)


def test_the_issues_example_reads_as_new_york_time() -> None:
    assert read_call_start("20261124070451932", NEW_YORK, NOW).when == datetime(
        2026, 11, 24, 12, 4, 51, 932000, tzinfo=UTC
    )
    assert read_call_start("20261124070451", NEW_YORK, NOW).when == datetime(2026, 11, 24, 12, 4, 51, tzinfo=UTC)


@given(st.datetimes(min_value=datetime(2001, 9, 10), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)))
def test_unix_seconds_and_milliseconds_are_never_read_as_compact(moment: datetime) -> None:
    seconds = int(moment.timestamp())
    millis = seconds * 1000 + 123
    assert read_call_start(str(seconds), NEW_YORK, NOW).when == datetime.fromtimestamp(seconds, UTC)
    assert read_call_start(str(millis), NEW_YORK, NOW).when == datetime.fromtimestamp(millis / 1000, UTC)


@pytest.mark.parametrize(
    "sent",
    ["20261324070451", "20261131070451", "20261124250451", "20261124076051", "18991124070451",
     "202611240704519", "2026112407045193", "202611240704519321"],
)  # fmt: skip
def test_impossible_or_odd_length_compact_digits_are_unreadable(sent: str) -> None:
    reading = read_call_start(sent, NEW_YORK, NOW)
    assert reading.problem and reading.when == NOW
