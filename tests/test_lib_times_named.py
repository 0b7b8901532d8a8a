"""Properties of `read_call_start` for day-month-name timestamps (Five9's, RFC 1123)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from calldesk.lib.times import read_call_start

NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
moments = st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2199, 12, 30)).map(
    lambda m: m.replace(microsecond=0)
)


@given(moments, st.sampled_from(["GMT", "UTC", "+0000", "+00:00"]))
def test_an_rfc_1123_time_in_gmt_round_trips(moment: datetime, zone: str) -> None:
    sent = moment.strftime("%a, %d %b %Y %H:%M:%S ") + zone
    reading = read_call_start(sent, NEW_YORK, NOW)
    assert reading.problem == ""
    assert reading.when == moment.replace(tzinfo=UTC)


@given(moments, st.integers(min_value=-14 * 60, max_value=14 * 60))
def test_an_offset_is_applied(moment: datetime, minutes: int) -> None:
    zone = timezone(timedelta(minutes=minutes))
    sign = "-" if minutes < 0 else "+"
    sent = moment.strftime("%a, %d %b %Y %H:%M:%S ") + f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
    assert read_call_start(sent, NEW_YORK, NOW).when == moment.replace(tzinfo=zone)


@given(st.datetimes(min_value=datetime(1901, 1, 1), max_value=datetime(2199, 1, 1), timezones=st.just(NEW_YORK)))
def test_without_a_zone_it_is_the_organization_s_wall_clock(local: datetime) -> None:
    local = local.replace(microsecond=0, fold=0)
    naive = local.replace(tzinfo=None)
    for sent in (naive.strftime("%a, %d %b %Y %H:%M:%S"), naive.strftime("%d %b %Y %H:%M:%S")):
        reading = read_call_start(sent, NEW_YORK, NOW)
        assert reading.problem == ""
        # A wall-clock time in the spring-forward gap has no exact instant; all others round-trip.
        if naive == local.astimezone(UTC).astimezone(NEW_YORK).replace(tzinfo=None):
            assert reading.when.astimezone(NEW_YORK).replace(tzinfo=None) == naive


@given(moments)
def test_month_names_are_read_in_any_case(moment: datetime) -> None:
    sent = moment.strftime("%d %b %Y %H:%M:%S GMT")
    assert read_call_start(sent.upper(), NEW_YORK, NOW).when == moment.replace(tzinfo=UTC)
    assert read_call_start(sent.lower(), NEW_YORK, NOW).when == moment.replace(tzinfo=UTC)


@given(
    st.sampled_from(
        [
            "Mon, 31 Feb 2008 10:00:00",
            "Mon, 22 Sep 2008 25:00:00",
            "22 Foo 2008 10:00:00",
            "Mon, 22 Sep 1800 10:00:00",
            "Mon, 22 Sep 2008 10:00:00 +2500",
            "22 Sep 08 10:00:00",
        ]
    )
)
def test_impossible_named_dates_are_unreadable(sent: str) -> None:
    reading = read_call_start(sent, NEW_YORK, NOW)
    assert reading.when == NOW and "could not be read" in reading.problem
