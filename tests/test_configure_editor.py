"""The field editor's pure helpers: choices as `Label = code` lines, keys from labels,
problems named the way the page names rows."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from calldesk.callforms.definition import BUILTIN_KEYS, KEY_RE, Choice
from calldesk.configure.editor import choices_text, explain, key_from_label, parse_choices_text

label = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=30).filter(
    lambda s: s.strip() == s and "=" not in s and s
)
code = st.one_of(st.just(""), st.from_regex(r"[A-Za-z0-9]{1,8}", fullmatch=True))


@given(st.lists(st.tuples(label, code), max_size=8))
def test_choices_survive_the_text_box(pairs: list[tuple[str, str]]) -> None:
    choices = [Choice(text, value) for text, value in pairs]
    parsed = parse_choices_text(choices_text(choices))
    assert [(c["label"], c.get("code", "")) for c in parsed] == pairs


def test_the_last_equals_sign_splits_label_and_code() -> None:
    assert parse_choices_text("a = b = 3\n\n  Plain  \nX=\n") == [
        {"label": "a = b", "code": "3"},
        {"label": "Plain"},
        {"label": "X"},
    ]


@given(st.text(max_size=40))
def test_a_key_made_from_any_label_is_valid_and_free(text: str) -> None:
    key = key_from_label(text, {"field", "call"})
    assert KEY_RE.match(key) and key not in BUILTIN_KEYS and key not in {"field", "call"}


def test_problems_are_named_by_row() -> None:
    document = {"fields": [{"key": "a", "label": "Language"}], "call_types": [{"key": "call", "label": "Call"}]}
    assert explain("fields[0].choices[2].label: is required", document) == (
        "Field 1 (“Language”), choices line 3, label: is required"
    )
    assert explain("call_types[0].key: `x` is used twice", document) == "Call type 1 (“Call”), key: `x` is used twice"
    assert explain("fields: must be a list", document) == "fields: must be a list"
