"""Properties of the editor's reading of a posted form (reports.forms.read_editor): whatever is
typed in any field, nothing raises, and every value is either stored in its field's shape or kept
exactly as typed with a sentence saying why (SPEC §3)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from calldesk.callforms.codecs import no_nul
from calldesk.callforms.definition import parse_definition
from calldesk.reports.forms import PREFIX, read_editor, required_problems, shown_from_report, widget_value
from tests.reporting import EVERY_TYPE

DEFINITION = parse_definition({"fields": EVERY_TYPE})
NEW_YORK = ZoneInfo("America/New_York")
typed_text = st.text(max_size=60) | st.sampled_from(["", " ", "12", "1e3", "2026-02-30", "+1 212 555 0100", "a@b.c"])
form = st.fixed_dictionaries(
    {
        "agent": typed_text,
        "call_start": typed_text | st.just("2026-11-29T10:00:05"),
        "phone": typed_text,
        "call_type": typed_text | st.just("call"),
        **{PREFIX + item.key: typed_text for item in DEFINITION.fields if item.type != "multi_choice"},
    }
)


class Posted(dict[str, Any]):
    def getlist(self, name: str) -> list[str]:
        value = self.get(name, [])
        return value if isinstance(value, list) else [value]


@given(form, st.lists(st.sampled_from(["Housing", "Food", "Klingon", ""]), max_size=3))
def test_every_value_is_stored_or_kept_as_typed_with_a_reason(typed: dict[str, str], topics: list[str]) -> None:
    posted = Posted(typed, f_topics=topics)
    reading = read_editor(DEFINITION, posted, NEW_YORK, "US", lambda public_id: None)
    assert set(reading.problems) == set(reading.data["unchecked"])
    for name, problem in reading.problems.items():
        assert problem.endswith(".")
        sent = posted.getlist(name) if name == "f_topics" else posted.get(name, "")
        kept = reading.data["unchecked"][name]
        assert kept == ([no_nul(t) for t in sent] if isinstance(sent, list) else no_nul(sent))
    for item in DEFINITION.fields:
        value = reading.data["values"][item.key]
        if PREFIX + item.key in reading.problems:
            assert value in (None, [])
        elif item.type == "number" and value is not None:
            assert Decimal(value).is_finite()
        elif item.type == "text" and value is not None:
            assert value == value.strip() and len(value) <= 2000
    required_problems(DEFINITION, reading, "call")  # never raises either


@given(form)
def test_a_stored_value_shows_in_its_widget_as_it_would_be_posted_again(typed: dict[str, str]) -> None:
    reading = read_editor(DEFINITION, Posted(typed), NEW_YORK, "US", lambda public_id: None)
    for item in DEFINITION.fields:
        stored = reading.data["values"][item.key]
        if PREFIX + item.key in reading.problems or stored in (None, []):
            continue
        again = read_editor(
            DEFINITION,
            Posted({PREFIX + item.key: widget_value(item, stored, NEW_YORK)}),
            NEW_YORK,
            "US",
            lambda p: None,
        )
        assert again.data["values"][item.key] == stored


def test_a_draft_shows_its_kept_values_over_its_stored_ones() -> None:
    class Draft:
        agent_id = None
        call_start = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)
        phone_raw = ""
        call_type = "call"
        values = {"age": "12"}
        unchecked = {"f_age": "12abc"}

    shown = shown_from_report(Draft(), DEFINITION, NEW_YORK)
    assert shown["f_age"] == "12abc"
    assert shown["call_start"] == "2026-11-29T10:00:00"
