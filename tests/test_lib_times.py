"""Properties of `read_call_start` (SPEC §2 callStart)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from calldesk.lib.times import read_call_start

NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

moments = st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2199, 12, 30))
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


@given(moments, offsets, st.sampled_from(["T", " "]), st.sampled_from(["seconds", "milliseconds", "microseconds"]))
def test_an_iso_string_with_an_offset_round_trips(naive: datetime, zone: timezone, sep: str, spec: str) -> None:
    aware = naive.replace(tzinfo=zone)
    sent = aware.isoformat(sep=sep, timespec=spec)
    reading = read_call_start(sent, NEW_YORK, NOW)
    assert reading.problem == ""
    expected = aware.replace(microsecond=aware.microsecond if spec == "microseconds" else 0)
    if spec == "milliseconds":
        expected = aware.replace(microsecond=aware.microsecond // 1000 * 1000)
    assert reading.when == expected
    assert reading.when.utcoffset() == timedelta(0)


@given(moments)
def test_a_utc_string_with_z_round_trips(naive: datetime) -> None:
    sent = naive.replace(microsecond=0).isoformat() + "Z"
    assert read_call_start(sent, NEW_YORK, NOW).when == naive.replace(microsecond=0, tzinfo=UTC)


@given(st.datetimes(min_value=datetime(1901, 1, 1), max_value=datetime(2199, 1, 1), timezones=st.just(NEW_YORK)))
def test_a_zoneless_string_is_the_organization_s_wall_clock(local: datetime) -> None:
    local = local.replace(microsecond=0, fold=0)
    sent = local.replace(tzinfo=None).isoformat()
    reading = read_call_start(sent, NEW_YORK, NOW)
    assert reading.problem == ""
    assert reading.when.astimezone(NEW_YORK).replace(tzinfo=None) == local.replace(tzinfo=None) or (
        # A wall-clock time skipped by the spring-forward gap has no exact instant.
        local.replace(tzinfo=None) != local.astimezone(UTC).astimezone(NEW_YORK).replace(tzinfo=None)
    )


@given(st.datetimes(min_value=datetime(2001, 9, 10), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)))
def test_unix_seconds_and_milliseconds_round_trip(moment: datetime) -> None:
    seconds = int(moment.timestamp())
    assert read_call_start(str(seconds), NEW_YORK, NOW).when == datetime.fromtimestamp(seconds, UTC)
    millis = int(moment.timestamp() * 1000)
    assert read_call_start(str(millis), NEW_YORK, NOW).when == datetime.fromtimestamp(millis / 1000, UTC)


@given(st.text())
def test_it_never_raises_and_always_answers_an_aware_utc_time(sent: str) -> None:
    reading = read_call_start(sent, NEW_YORK, NOW)
    assert reading.when.utcoffset() == timedelta(0)
    if reading.problem:
        assert reading.when == NOW


@given(st.text(alphabet=st.characters(categories=["L"]), min_size=1).filter(lambda s: s.strip() != ""))
def test_letters_are_unreadable_and_give_now(sent: str) -> None:
    reading = read_call_start(sent, NEW_YORK, NOW)
    assert reading.when == NOW
    assert "could not be read" in reading.problem


@given(st.sampled_from(["", " ", "\t"]))
def test_an_empty_value_is_now_without_a_problem(sent: str) -> None:
    assert read_call_start(sent, NEW_YORK, NOW) == read_call_start(None, NEW_YORK, NOW)
    assert read_call_start(sent, NEW_YORK, NOW).problem == ""


@given(st.text(alphabet="0123456789²³¹١٢٣٠０１-:T+ ", min_size=8, max_size=30))
def test_digits_of_other_scripts_are_unreadable_not_a_crash(sent: str) -> None:
    reading = read_call_start(sent, NEW_YORK, NOW)
    if not sent.isascii():
        assert reading.when == NOW and reading.problem


def test_a_superscript_digit_is_unreadable() -> None:
    assert "could not be read" in read_call_start("123456789²", NEW_YORK, NOW).problem


@given(st.integers(min_value=1, max_value=9999), st.sampled_from(["", "Z", "+14:00", "-14:00"]))
def test_a_year_far_from_now_is_unreadable_not_a_crash(year: int, zone: str) -> None:
    reading = read_call_start(f"{year:04d}-12-31T23:59:59{zone}", NEW_YORK, NOW)
    if not 1900 <= year < 2200:
        assert reading.when == NOW and reading.problem


@given(moments, st.integers(min_value=0, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m))))
def test_a_positive_offset_whose_plus_became_a_space_round_trips(naive: datetime, zone: timezone) -> None:
    aware = naive.replace(microsecond=0, tzinfo=zone)
    sent = aware.isoformat().replace("+", " ")
    assert read_call_start(sent, NEW_YORK, NOW).when == aware
