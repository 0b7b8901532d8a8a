"""Which call types offer follow-ups and the attempts before "unreachable": a form's settings,
read one way (callforms.definition) from the admin pages and from `calldesk config import`,
with one set of limits."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.test import Client

from calldesk.callforms.definition import DefinitionError, parse_definition
from calldesk.callforms.models import CallForm
from calldesk.configio.document import ConfigError
from calldesk.configio.importer import import_document
from tests.cast import Cast
from tests.test_configure_forms import FORM_A_ROWS, definition_post

TYPES = [{"key": "call", "label": "Call", "data": True}, {"key": "hang_up", "label": "Hang-up", "data": False}]


@pytest.mark.parametrize(
    ("setting", "problem"),
    [
        ({"follow_up_attempts": 0}, "follow_up_attempts: must be a whole number from 1 to 10"),
        ({"follow_up_attempts": 11}, "follow_up_attempts: must be a whole number from 1 to 10"),
        ({"follow_up_attempts": "3"}, "follow_up_attempts: must be a whole number from 1 to 10"),
        ({"follow_up_attempts": True}, "follow_up_attempts: must be a whole number from 1 to 10"),
        ({"call_types": [{**TYPES[0], "follow_ups": "yes"}]}, "call_types[0].follow_ups: must be true or false"),
        ({"call_types": [{**TYPES[0], "follow_up": True}]}, "call_types[0].follow_up: unknown setting"),
    ],
)
def test_a_bad_setting_is_named_with_its_place(setting: dict[str, Any], problem: str) -> None:
    with pytest.raises(DefinitionError) as refused:
        parse_definition({"fields": [], **setting})
    assert refused.value.problems == [problem]


def test_data_call_types_offer_follow_ups_by_default_and_defaults_are_not_written() -> None:
    definition = parse_definition({"fields": [], "call_types": TYPES})
    assert definition.offers_follow_ups("call") and not definition.offers_follow_ups("hang_up")
    assert definition.follow_up_attempts == 3
    assert definition.to_json() == {"fields": [], "call_types": TYPES}
    changed = parse_definition(
        {"call_types": [{**TYPES[0], "follow_ups": False}, {**TYPES[1], "follow_ups": True}], "follow_up_attempts": 5}
    )
    assert not changed.offers_follow_ups("call") and changed.offers_follow_ups("hang_up")
    assert parse_definition(changed.to_json()) == changed


def _document(attempts: Any) -> dict[str, Any]:
    form = {
        "report_ver": "7770001",
        "name": "Youth chat",
        "fields": [],
        "call_types": [{**TYPES[0], "follow_ups": False}, {**TYPES[1], "follow_ups": True}],
        "follow_up_attempts": attempts,
    }
    return {"organizations": [{"slug": "lifeline", "name": "Lifeline", "forms": [form]}]}


def _export() -> dict[str, Any]:
    out = StringIO()
    call_command("config", "export", stdout=out)
    return yaml.safe_load(out.getvalue())  # type: ignore[no-any-return]


def test_config_import_sets_them_idempotently_and_export_writes_them(cast: Cast) -> None:
    import_document(_document(5))
    definition = CallForm.objects.get(report_ver="7770001").current_revision().definition
    assert definition.follow_up_attempts == 5 and definition.offers_follow_ups("hang_up")
    assert str(import_document(_document(5))) == "nothing changed"
    (exported,) = [f for f in _export()["organizations"][0]["forms"] if f["report_ver"] == "7770001"]
    assert exported["follow_up_attempts"] == 5
    assert exported["call_types"] == _document(5)["organizations"][0]["forms"][0]["call_types"]
    with pytest.raises(ConfigError) as refused:
        import_document(_document(11))
    assert refused.value.problems == [
        "organizations[0].forms[0].follow_up_attempts: must be a whole number from 1 to 10"
    ]


def test_the_admin_page_sets_them_with_the_same_limits(cast: Cast) -> None:
    ada = Client()
    ada.force_login(cast.admin)
    url = f"/configure/forms/{cast.form_a.public_id}/"
    page = ada.get(url).content.decode()
    assert 'name="follow_up_attempts"' in page and 'name="ct-0-follow_ups"' in page
    post = definition_post("Crisis call", FORM_A_ROWS, TYPES)
    refused = ada.post(url, {**post, "follow_up_attempts": "11"})
    assert refused.status_code == 400 and "less than or equal to 10" in refused.content.decode()
    assert cast.form_a.current_revision().number == 1
    assert ada.post(url, {**post, "follow_up_attempts": "4", "ct-0-follow_ups": "no"}).status_code == 302
    definition = cast.form_a.current_revision().definition
    assert definition.follow_up_attempts == 4 and not definition.offers_follow_ups("call")
    # The page shows what is set, and the same settings posted again publish nothing.
    page = ada.get(url).content.decode()
    assert 'name="follow_up_attempts" value="4"' in page
    assert ada.post(url, {**post, "follow_up_attempts": "4", "ct-0-follow_ups": "no"}).status_code == 302
    assert cast.form_a.current_revision().number == 2
    (exported,) = [f for f in _export()["organizations"][0]["forms"] if f["report_ver"] == "9991234"]
    assert exported["follow_up_attempts"] == 4 and exported["call_types"][0]["follow_ups"] is False
