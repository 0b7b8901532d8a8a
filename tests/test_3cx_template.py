"""The 3CX CRM template in docs/phone-systems/3cx.md, filled in as 3CX fills it, against the API:
its lookup scenario records the call and finds the draft's address, its journaling scenario ends it."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from django.test import Client

from calldesk.configure.tokens import create_token
from calldesk.telephony.models import Call
from tests.cast import Cast

DOC = Path(__file__).resolve().parent.parent / "docs" / "phone-systems" / "3cx.md"


def template() -> ET.Element:
    xml = DOC.read_text().split("```xml\n", 1)[1].split("```", 1)[0]
    return ET.fromstring(xml)


def fill(text: str, values: dict[str, str]) -> str:
    """3CX's placeholders; an `[IIf(...)]` expression is evaluated as 3CX would for an answered call."""
    text = re.sub(r"\[IIf\(.*\)\]", "normalClearing", text)
    text = re.sub(r'\[\[CallEndTimeUTC\]\.ToString\("yyyy-MM-ddTHH:mm:ssZ"\)\]', "2026-11-29T21:00:00Z", text)
    return re.sub(r"\[(\w+)\]", lambda m: values[m.group(1)], text)


def request_of(scenario: ET.Element, values: dict[str, str]) -> tuple[str, dict[str, str]]:
    request = scenario.find("Request")
    assert request is not None and request.get("RequestType") == "Post"
    assert request.get("RequestEncoding") == "UrlEncoded"
    url = fill(request.get("Url", ""), values)
    body = {value.get("Key", ""): fill(value.text or "", values) for value in request.iter("Value")}
    return url, body


def test_the_template_pops_the_agent_s_draft_and_records_the_hang_up(cast: Cast, specialist_client: Client) -> None:
    values = {
        "CalldeskUrl": "",
        "Token": create_token(cast.admin, "3CX").raw,
        "ReportVer": "9991234",
        "Number": "+12125550199",
        "Agent": "34",
        "CallID": "3cx-00042",
        "ReportCallEnabled": "True",
    }
    lookup, journal = template().iter("Scenario")
    url, body = request_of(lookup, values)
    answer = Client().post(url, data=body)
    assert answer.status_code == 201, answer.content[:300]
    # The scenario's rule and variable path, read from the answer as 3CX reads them.
    rule = lookup.find("Rules/Rule")
    assert rule is not None
    found = answer.json()
    for step in (rule.text or "").split("."):
        found = found[step]
    assert specialist_client.get(found).status_code == 200, "the ContactUrl 3CX opens is the agent's draft"

    assert journal.get("Id") == "ReportCall"
    url, body = request_of(journal, values)
    assert Client().post(url, data=body).status_code == 200
    call = Call.objects.get(external_id="3cx-00042")
    assert call.end_reason == "normalClearing" and call.ended_at is not None
