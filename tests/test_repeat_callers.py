"""The caller's earlier calls shown in the editor: by normalised number, never across organizations."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.cast import Cast
from tests.reporting import editor_data, open_draft


def history_box(client: Client, report_id: object) -> str:
    html = client.get(f"/reports/{report_id}/").content.decode()
    return html[html.index('id="earlier-calls"') :]


def test_earlier_calls_are_found_whatever_the_format_of_the_number(cast: Cast, specialist_client: Client) -> None:
    first = open_draft(specialist_client, "/Telephony/GetCallReport?reportVer=9991234&ani=999-123-4567")
    specialist_client.post(f"/reports/{first.public_id}/submit", editor_data(first, f_summary="x", submit_key="1"))
    second = open_draft(specialist_client, "/Telephony/GetCallReport?reportVer=9991234&ani=%2B1%20(999)%20123%204567")
    box = history_box(specialist_client, second.public_id)
    assert "<strong>1</strong> earlier call from +19991234567" in box
    assert f"/reports/{first.public_id}/" in box
    assert " · Submitted · " in box  # its status, as a person reads it, then its agent


def test_reports_the_user_may_not_open_are_counted_but_not_linked(cast: Cast, specialist_client: Client) -> None:
    colleague = Client()
    colleague.force_login(cast.specialist2)
    theirs = open_draft(colleague, "/Telephony/GetCallReport?reportVer=9991234&ani=2125550100&agent=35")
    mine = open_draft(specialist_client, "/Telephony/GetCallReport?reportVer=9991234&ani=212-555-0100")
    box = history_box(specialist_client, mine.public_id)
    assert "<strong>1</strong> earlier call" in box
    assert str(theirs.public_id) not in box


def test_no_history_for_a_withheld_number(cast: Cast, specialist_client: Client) -> None:
    open_draft(specialist_client, "/Telephony/GetCallReport?reportVer=9991234&ani=anonymous&callStart=1222092114")
    report = open_draft(specialist_client, "/Telephony/GetCallReport?reportVer=9991234&ani=anonymous")
    box = history_box(specialist_client, report.public_id)
    assert "No caller number, so no history." in box


def test_calls_to_another_organization_never_show(cast: Cast, specialist_client: Client) -> None:
    other = Client()
    other.force_login(cast.specialist_b)
    open_draft(other, "/Telephony/GetCallReport?reportVer=5550001&ani=%2B19991234567")
    report = open_draft(specialist_client, "/Telephony/GetCallReport?reportVer=9991234&ani=9991234567")
    box = history_box(specialist_client, report.public_id)
    assert "No earlier calls" in box


def test_a_very_frequent_caller_is_counted_up_to_a_cap(
    cast: Cast, specialist_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from calldesk.lib.crypto import phone_hash
    from calldesk.reports import history
    from calldesk.reports.models import CallReport

    report = open_draft(specialist_client, "/Telephony/GetCallReport?reportVer=9991234&ani=2125550111")
    for i in range(4):
        open_draft(specialist_client, f"/Telephony/GetCallReport?reportVer=9991234&ani=2125550111&x={i}")
    monkeypatch.setattr(history, "COUNT_CAP", 3)
    assert "<strong>More than 3</strong> earlier calls" in history_box(specialist_client, report.public_id)
    monkeypatch.setattr(history, "COUNT_CAP", 4)
    assert "<strong>4</strong> earlier calls" in history_box(specialist_client, report.public_id)
    assert CallReport.objects.filter(phone_hash=phone_hash("+12125550111")).count() == 5
