"""A form's mappings on the admin pages: add, validate, remove, reorder."""

from __future__ import annotations

import pytest
from django.test import Client

from calldesk.configure.models import AuditEntry
from calldesk.reports.models import CallReport
from tests.cast import Cast
from tests.pages import shown


@pytest.fixture
def ada(cast: Cast) -> Client:
    client = Client()
    client.force_login(cast.admin)
    return client


def _rules(cast: Cast) -> list[str]:
    return [str(m) for m in cast.form_a.mappings.all()]


def test_the_page_lists_the_rules_in_order(cast: Cast, ada: Client) -> None:
    content = ada.get(f"/configure/forms/{cast.form_a.public_id}/mappings/").content.decode()
    assert content.index("8886201111") < content.index("8886202222")
    assert "any value" in content and "the value as sent" in content
    assert "Spanish = <code>112211</code>" in content  # the codes, to help write rules


def test_an_admin_adds_a_rule_that_the_telephony_url_then_uses(
    cast: Cast, ada: Client, specialist_client: Client
) -> None:
    response = ada.post(
        f"/configure/forms/{cast.form_a.public_id}/mappings/",
        {"parameter": "Queue", "value": "9", "field_key": "language", "field_value": "Spanish"},
    )
    assert response.status_code == 302
    assert _rules(cast)[-1] == "queue=9 → language = Spanish"
    assert AuditEntry.objects.filter(action="mapping.add", details__rule="queue=9 → language = Spanish").exists()
    specialist_client.get("/Telephony/GetCallReport?reportVer=9991234&QUEUE=9")
    assert CallReport.objects.get().values["language"] == "Spanish"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"parameter": "ani", "field_key": "dialled_number"}, "`ani` has its own meaning in the URL"),
        ({"parameter": "ReportVer", "field_key": "dialled_number"}, "`ReportVer` has its own meaning"),
        (
            {"parameter": "lang", "field_key": "language", "field_value": "Klingon"},
            "`Klingon` is not a choice of Language",
        ),
        ({"parameter": "lang", "field_key": "nope"}, "Select a valid choice"),
        ({"parameter": "", "field_key": "language"}, "This field is required"),
        ({"parameter": "a b", "field_key": "language"}, "A parameter name is letters"),
        ({"parameter": "DNIS", "value": "8886201111", "field_key": "incoming_line"}, "already"),
    ],
)
def test_a_rule_that_cannot_work_is_refused_with_its_reason(
    cast: Cast, ada: Client, data: dict[str, str], message: str
) -> None:
    before = _rules(cast)
    response = ada.post(f"/configure/forms/{cast.form_a.public_id}/mappings/", data)
    assert response.status_code == 400
    assert shown(message) in response.content.decode().replace("&#x27;", "'")
    assert _rules(cast) == before


def test_a_choice_can_be_named_by_its_code(cast: Cast, ada: Client) -> None:
    data = {"parameter": "ivr", "value": "2", "field_key": "language", "field_value": "112211"}
    assert ada.post(f"/configure/forms/{cast.form_a.public_id}/mappings/", data).status_code == 302


def test_rules_move_up_and_down_and_are_removed(cast: Cast, ada: Client) -> None:
    url = f"/configure/forms/{cast.form_a.public_id}/mappings/change"
    first, second = _rules(cast)[:2]
    assert ada.post(url, {"index": "1", "rule": second, "action": "up"}).status_code == 302
    assert _rules(cast)[:2] == [second, first]
    ada.post(url, {"index": "0", "rule": second, "action": "down"})
    assert _rules(cast)[:2] == [first, second]
    ada.post(url, {"index": "0", "rule": first, "action": "remove"})
    assert first not in _rules(cast) and len(_rules(cast)) == 3
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"mapping.move", "mapping.remove"} <= actions


@pytest.mark.parametrize(
    "data",
    [
        {"index": "0", "rule": "stale", "action": "remove"},
        {"index": "99"},
        {"index": "x"},
        # A superscript passes str.isdigit() but is no number int() reads.
        {"index": "\u00b2", "action": "remove"},
        {},
    ],
)
def test_a_stale_or_broken_change_does_nothing(cast: Cast, ada: Client, data: dict[str, str]) -> None:
    before = _rules(cast)
    response = ada.post(f"/configure/forms/{cast.form_a.public_id}/mappings/change", data, follow=True)
    assert b"The mappings changed since this page was shown" in response.content
    assert _rules(cast) == before
