"""Retire form, Deactivate user and Close as abandoned ask first, without JavaScript, and can
be undone."""

from __future__ import annotations

import pytest
from django.test import Client

from calldesk.accounts.models import Role
from calldesk.reports.models import Status
from tests.cast import Cast, make_user
from tests.reporting import open_draft


@pytest.fixture
def ada(cast: Cast) -> Client:
    client = Client()
    client.force_login(cast.admin)
    return client


def test_the_retire_button_asks_first_and_says_phone_pops_will_answer_404(cast: Cast, ada: Client) -> None:
    page = ada.get(f"/configure/forms/{cast.form_a.public_id}/").content.decode()
    assert f'action="/configure/forms/{cast.form_a.public_id}/retire"' in page
    response = ada.post(f"/configure/forms/{cast.form_a.public_id}/retire", {"retire": "1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="confirm-page"' in html
    assert "Every phone pop of reportVer 9991234 will answer 404 (not found)" in html
    assert 'name="confirmed" value="1"' in html and 'name="retire" value="1"' in html
    cast.form_a.refresh_from_db()
    assert not cast.form_a.is_retired  # nothing happened yet


def test_confirming_retires_and_the_undo_opens_it_again(cast: Cast, ada: Client, specialist_client: Client) -> None:
    url = f"/configure/forms/{cast.form_a.public_id}/retire"
    assert ada.post(url, {"retire": "1", "confirmed": "1"}).status_code == 302
    cast.form_a.refresh_from_db()
    assert cast.form_a.is_retired
    assert specialist_client.get("/Telephony/GetCallReport?reportVer=9991234").status_code == 404
    page = ada.get(f"/configure/forms/{cast.form_a.public_id}/").content.decode()
    assert "Open it to calls again" in page and "undoes this" in page
    assert ada.post(url, {"retire": "0"}).status_code == 302  # the undo needs no confirmation
    assert specialist_client.get("/Telephony/GetCallReport?reportVer=9991234").status_code == 303


def test_deactivating_asks_first_then_reactivating_undoes_it(cast: Cast, ada: Client) -> None:
    url = f"/configure/users/{cast.specialist.public_id}/active"
    asked = ada.post(url, {"active": "0"})
    assert asked.status_code == 200
    assert "logged out at once" in asked.content.decode()
    cast.specialist.refresh_from_db()
    assert cast.specialist.is_active
    assert ada.post(url, {"active": "0", "confirmed": "1"}).status_code == 302
    cast.specialist.refresh_from_db()
    assert not cast.specialist.is_active
    assert "Reactivate" in ada.get("/configure/users/").content.decode()
    assert ada.post(url, {"active": "1"}).status_code == 302
    cast.specialist.refresh_from_db()
    assert cast.specialist.is_active


def test_close_as_abandoned_asks_first_and_reopen_undoes_it(
    cast: Cast, specialist_client: Client, supervisor_client: Client
) -> None:
    draft = open_draft(specialist_client)
    asked = supervisor_client.post(f"/reports/{draft.public_id}/abandon")
    assert asked.status_code == 200
    assert "Close this draft as abandoned?" in asked.content.decode()
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    done = supervisor_client.post(f"/reports/{draft.public_id}/abandon", {"confirmed": "1"})
    assert done.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Status.ABANDONED
    page = supervisor_client.get(f"/reports/{draft.public_id}/").content.decode()
    assert "Reopen as a draft" in page
    assert supervisor_client.post(f"/reports/{draft.public_id}/reopen").status_code == 302
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert str(draft.public_id) in supervisor_client.get("/reports/unfinished/").content.decode()


def test_only_supervisors_may_reopen_and_only_an_abandoned_draft(
    cast: Cast, specialist_client: Client, supervisor_client: Client
) -> None:
    draft = open_draft(specialist_client)
    assert specialist_client.post(f"/reports/{draft.public_id}/reopen").status_code == 404
    refused = supervisor_client.post(f"/reports/{draft.public_id}/reopen")
    assert refused.status_code == 302
    assert supervisor_client.get(refused["Location"]).status_code == 200
    assert specialist_client.get(f"/reports/{draft.public_id}/reopen").status_code == 405
    outsider = Client()
    outsider.force_login(cast.specialist_b)
    assert outsider.post(f"/reports/{draft.public_id}/abandon", {"confirmed": "1"}).status_code == 404


def test_a_supervisor_closes_several_ticked_drafts_at_once_after_confirming(
    cast: Cast, specialist_client: Client, supervisor_client: Client
) -> None:
    first = open_draft(specialist_client, "/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=999-123-4567")
    second = open_draft(specialist_client, "/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=999-123-4568")
    kept = open_draft(specialist_client, "/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=999-123-4569")
    listing = supervisor_client.get("/reports/unfinished/").content.decode()
    assert 'form="bulk-abandon"' in listing and "Close the ticked drafts as abandoned" in listing
    ticked = {"report": [str(first.public_id), str(second.public_id)]}
    asked = supervisor_client.post("/reports/unfinished/abandon", ticked)
    assert asked.status_code == 200 and "Close 2 drafts as abandoned?" in asked.content.decode()
    first.refresh_from_db()
    assert first.status == Status.DRAFT
    done = supervisor_client.post(
        "/reports/unfinished/abandon", {"reports": f"{first.public_id},{second.public_id}", "confirmed": "1"}
    )
    assert done.status_code == 302
    for report, status in ((first, Status.ABANDONED), (second, Status.ABANDONED), (kept, Status.DRAFT)):
        report.refresh_from_db()
        assert report.status == status
    assert "2 drafts were closed as abandoned." in supervisor_client.get("/reports/unfinished/").content.decode()


def test_bulk_close_is_for_supervisors_of_the_drafts_own_organization(cast: Cast, specialist_client: Client) -> None:
    draft = open_draft(specialist_client)
    ticked = {"reports": str(draft.public_id), "confirmed": "1"}
    assert specialist_client.post("/reports/unfinished/abandon", ticked).status_code == 404
    outsider = Client()
    outsider.force_login(make_user(cast.org_b, "sup-b@other.example", Role.SUPERVISOR))
    outsider.post("/reports/unfinished/abandon", ticked)
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
