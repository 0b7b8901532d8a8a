"""Properties of `calldesk.telephony.reading`: names, repeats, agent and mapping rules (SPEC §2)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from calldesk.callforms.definition import MappingRule, parse_definition
from calldesk.telephony.reading import (
    AgentCandidate,
    apply_mappings,
    fingerprint,
    match_agent,
    read_params,
    storable,
)
from tests.cast import FORM_A_DEFINITION, FORM_A_MAPPINGS

ZONE = ZoneInfo("America/New_York")
DEFINITION = parse_definition(FORM_A_DEFINITION)
RULES = [MappingRule(parameter, value, key, field_value) for parameter, value, key, field_value in FORM_A_MAPPINGS]

names = st.one_of(
    st.sampled_from(["reportVer", "REPORTVER", "ani", "Agent", "callStart", "dnis", "language", "x"]),
    st.text(max_size=12),
)
pairs = st.lists(st.tuples(names, st.text(max_size=30)), max_size=15)


@given(pairs)
def test_read_params_never_raises_and_keeps_the_first_non_empty_value(sent: list[tuple[str, str]]) -> None:
    params = read_params(sent)
    assert params.pairs == [(storable(n), storable(v)) for n, v in sent]
    sent = params.pairs
    for key, value in params.first.items():
        assert key == key.lower() and value
        firsts = [v.strip() for n, v in sent if n.strip().lower() == key and v.strip()]
        assert value == firsts[0]


@given(pairs)
def test_a_name_sent_more_than_once_gives_exactly_one_warning(sent: list[tuple[str, str]]) -> None:
    params = read_params(sent)
    sent = params.pairs
    repeated = {n.strip().lower() for n, _ in sent if n.strip()}
    repeated = {k for k in repeated if sum(1 for n, _ in sent if n.strip().lower() == k) > 1}
    assert len(params.warnings) == len(repeated)
    for key in repeated:
        assert sum(f"`{key}`" in w for w in params.warnings) == 1


@given(st.text(min_size=1, max_size=10), st.text(max_size=10), st.text(max_size=10))
def test_a_later_value_counts_when_the_first_is_empty(name: str, blank: str, value: str) -> None:
    blank = " " * len(blank)
    params = read_params([(name, blank), (name.upper(), value)])
    key = storable(name).strip().lower()
    if key and storable(value).strip() and storable(name.upper()).strip().lower() == key:
        assert params.get(key) == storable(value).strip()


@given(pairs, st.randoms())
def test_the_fingerprint_ignores_order_and_name_case(sent: list[tuple[str, str]], random: object) -> None:
    shuffled = list(sent)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    # Phone systems' parameter names are ASCII; the micro sign's upper case is a Greek letter.
    upper = [(n.upper() if n.isascii() else n, v) for n, v in shuffled]
    assert fingerprint(read_params(sent)) == fingerprint(read_params(upper))


candidates = st.lists(
    st.builds(
        AgentCandidate,
        user_id=st.integers(min_value=1, max_value=50),
        email=st.sampled_from(["sam@a.example", "kim@a.example", "SAM@a.example"]),
        agent_id=st.sampled_from(["", "34", "35", "034"]),
    ),
    max_size=6,
    unique_by=lambda c: c.user_id,
)


@given(st.text(max_size=30), candidates)
def test_match_agent_never_raises_and_names_one_user_or_says_why(sent: str, found: list[AgentCandidate]) -> None:
    match = match_agent(sent, found)
    if match.user_id is not None:
        assert match.problem == ""
        assert match.user_id in {c.user_id for c in found}
    elif sent.strip():
        assert "matches" in match.problem and "user" in match.problem


@given(st.sampled_from(["34", "35", "034", "sam@a.example", "Sam@A.Example", "kim@a.example"]), candidates)
def test_exactly_one_match_fills_the_agent(sent: str, found: list[AgentCandidate]) -> None:
    if "@" in sent:
        same = [c for c in found if c.email.casefold() == sent.casefold()]
    else:
        same = [c for c in found if c.agent_id == sent]
    match = match_agent(sent, found)
    assert match.user_id == (same[0].user_id if len(same) == 1 else None)
    if len(same) > 1:
        assert f"matches {len(same)} users" in match.problem
    if not same:
        assert "matches no user" in match.problem


others = st.lists(
    st.tuples(
        st.sampled_from(["language", "dnis", "queue", "x"]),
        st.one_of(st.sampled_from(["112210", "112211", "spanish", "8886201111", "8886202222", ""]), st.text()),
    ),
    max_size=6,
    unique_by=lambda pair: pair[0],
)


@given(others)
def test_apply_mappings_never_raises_and_places_only_known_values(sent: list[tuple[str, str]]) -> None:
    result = apply_mappings(sent, RULES, DEFINITION, ZONE)
    assert set(result.values) <= {"language", "incoming_line", "dialled_number"}
    assert result.values.get("language") in (None, "English", "Spanish")
    assert result.values.get("incoming_line") in (None, "Main line", "Youth line")
    mapped = {"language", "dnis"}
    assert [pair for pair in sent if pair[0] not in mapped] == [
        pair for pair in result.unmapped if pair[0] not in mapped
    ]


@given(st.text(max_size=20))
def test_an_exact_rule_beats_the_any_value_rule(sent: str) -> None:
    rules = [
        MappingRule("queue", "", "incoming_line", "Main line"),
        MappingRule("queue", "youth", "incoming_line", "Youth line"),
    ]
    result = apply_mappings([("queue", sent)], rules, DEFINITION, ZONE)
    expected = "Youth line" if sent.strip().casefold() == "youth" else "Main line"
    assert result.values == {"incoming_line": expected}
    assert result.notices == []


@given(
    st.text(min_size=1, max_size=20).filter(
        lambda s: s.strip() not in ("", "112210", "112211") and s.strip().casefold() not in ("english", "spanish")
    )
)
def test_a_value_that_is_no_choice_leaves_the_field_empty_with_a_notice(sent: str) -> None:
    result = apply_mappings([("language", sent)], RULES, DEFINITION, ZONE)
    assert "language" not in result.values
    assert len(result.notices) == 1


@given(st.text(max_size=300).filter(lambda s: s.strip()))
def test_an_any_value_rule_copies_the_value_into_a_text_field(sent: str) -> None:
    result = apply_mappings([("dnis", sent)], RULES, DEFINITION, ZONE)
    # NUL cannot be stored: dropped; a value that was nothing else is empty.
    assert result.values["dialled_number"] == (sent.replace("\x00", "").strip() or None)


@given(st.text(alphabet=st.sampled_from(["a", "\x00", "\ud800", "é", "\x1b"]), max_size=10))
def test_stored_text_has_no_nul_and_no_lone_surrogate(sent: str) -> None:
    ((name, value),) = read_params([(sent, sent)]).pairs
    for text in (name, value):
        assert "\x00" not in text
        text.encode("utf-8")  # raises on a lone surrogate


def test_a_mapped_number_is_held_to_what_the_editor_accepts() -> None:
    from zoneinfo import ZoneInfo

    from calldesk.callforms.definition import FieldDef, FieldType
    from calldesk.telephony.reading import place_value

    number = FieldDef("age", "Age", FieldType.NUMBER)
    utc = ZoneInfo("UTC")
    assert place_value(number, "1E+3", None, utc) == ("1000", "")
    assert place_value(number, "1.123456", None, utc) == ("1.123456", "")
    for bad in ("1e999", "123456789012345", "1.1234567", "NaN"):
        value, problem = place_value(number, bad, None, utc)
        assert value is None and "Age takes a number" in problem


def test_a_long_text_field_takes_more_than_a_text_field() -> None:
    from zoneinfo import ZoneInfo

    from calldesk.callforms.definition import MAX_TEXT, FieldDef, FieldType
    from calldesk.telephony.reading import place_value

    long_value = "x" * (MAX_TEXT + 1)
    assert place_value(FieldDef("s", "S", FieldType.LONG_TEXT), long_value, None, ZoneInfo("UTC")) == (long_value, "")
    assert place_value(FieldDef("t", "T", FieldType.TEXT), long_value, None, ZoneInfo("UTC"))[0] is None


def test_a_mapped_email_is_held_to_what_the_editor_accepts() -> None:
    from zoneinfo import ZoneInfo

    from calldesk.callforms.definition import FieldDef, FieldType
    from calldesk.telephony.reading import place_value

    email = FieldDef("contact", "Contact", FieldType.EMAIL)
    utc = ZoneInfo("UTC")
    assert place_value(email, "Sam@Lifeline.example", None, utc) == ("Sam@Lifeline.example", "")
    # The editor's email field refuses these, so a mapping must not put them there either.
    for bad in ("a@b.c", "a@b..org", "not an email", "a@" + "b" * 64 + ".org"):
        value, problem = place_value(email, bad, None, utc)
        assert value is None and "Contact takes an email address" in problem, bad


def test_a_mapped_number_is_stored_without_exponent_or_trailing_zeros() -> None:
    from zoneinfo import ZoneInfo

    from calldesk.callforms.definition import FieldDef, FieldType
    from calldesk.telephony.reading import place_value

    number = FieldDef("age", "Age", FieldType.NUMBER)
    utc = ZoneInfo("UTC")
    for sent, stored in (("1000", "1000"), ("5.0", "5"), ("1.50", "1.5"), ("1E+3", "1000"), ("-0.25", "-0.25")):
        assert place_value(number, sent, None, utc) == (stored, ""), sent
