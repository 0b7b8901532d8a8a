"""SPEC §2 agent: by email (any case) or agent ID, exactly one active user of the form's organization."""

from __future__ import annotations

from django.test import Client

from calldesk.accounts.models import User
from calldesk.reports.models import CallReport, Status
from tests.cast import Cast, make_user
from tests.test_telephony_url import URL, call_of, pop, report_at


def test_it_finds_the_agent_by_email_in_any_case(cast: Cast, specialist_client: Client) -> None:
    assert pop(specialist_client, "reportVer=9991234&agent=SAM%40Lifeline.Example").agent == cast.specialist


def test_it_finds_the_agent_by_agent_id(cast: Cast, specialist_client: Client) -> None:
    assert pop(specialist_client, "reportVer=9991234&agent=35").agent == cast.specialist2


def test_a_user_of_another_organization_with_the_same_agent_id_does_not_count(
    cast: Cast, specialist_client: Client
) -> None:
    assert cast.specialist_b.agent_id == cast.specialist.agent_id
    report = pop(specialist_client, "reportVer=9991234&agent=34")
    assert report.agent == cast.specialist
    assert not [n for n in call_of(report).notices if "agent" in n.lower()]


def test_an_email_of_another_organization_matches_no_user(cast: Cast, specialist_client: Client) -> None:
    report = pop(specialist_client, "reportVer=9991234&agent=bea%40other.example")
    assert report.agent is None


def test_no_match_leaves_agent_empty_and_says_why_on_the_editor(cast: Cast, specialist_client: Client) -> None:
    response = specialist_client.get(f"{URL}?reportVer=9991234&agent=77")
    assert report_at(response["Location"]).agent is None
    page = specialist_client.get(response["Location"]).content.decode()
    assert "Agent <code>77</code> matches no user" in page


def test_two_matches_leave_agent_empty_and_say_so(cast: Cast, specialist_client: Client) -> None:
    make_user(cast.org_a, "twin@lifeline.example", agent_id="34")
    response = specialist_client.get(f"{URL}?reportVer=9991234&agent=34")
    assert report_at(response["Location"]).agent is None
    assert "Agent <code>34</code> matches 2 users" in specialist_client.get(response["Location"]).content.decode()


def test_inactive_users_do_not_count(cast: Cast, specialist_client: Client) -> None:
    twin = make_user(cast.org_a, "gone@lifeline.example", agent_id="34")
    twin.is_active = False
    twin.save(update_fields=["is_active"])
    assert pop(specialist_client, "reportVer=9991234&agent=34").agent == cast.specialist
    assert pop(specialist_client, "reportVer=9991234&agent=gone%40lifeline.example").agent is None


def editor_fields(report: CallReport, **changes: str) -> dict[str, str]:
    fields = {
        "version": str(report.version),
        "agent": "",
        "call_start": "2026-01-10T09:30:00",
        "phone": "",
        "call_type": "call",
        "f_language": "",
        "f_incoming_line": "",
        "f_dialled_number": "",
        "f_summary": "Talked it through.",
        "f_risk": "unknown",
    }
    return {**fields, **changes}


def test_an_empty_agent_is_filled_with_the_user_on_submit(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.specialist2)
    report = pop(client, "reportVer=9991234&agent=77")
    response = client.post(f"/reports/{report.public_id}/submit", editor_fields(report))
    assert response.status_code == 302, response.content[:300]
    report.refresh_from_db()
    assert report.status == Status.SUBMITTED
    assert report.agent == cast.specialist2


def test_an_empty_agent_is_filled_with_the_user_on_save(cast: Cast, specialist_client: Client) -> None:
    report = pop(specialist_client, "reportVer=9991234")
    response = specialist_client.post(f"/reports/{report.public_id}/save", editor_fields(report))
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.agent == cast.specialist


def test_a_matched_agent_is_kept_on_submit(cast: Cast, specialist_client: Client) -> None:
    report = pop(specialist_client, "reportVer=9991234&agent=35")
    fields = editor_fields(report, agent=str(cast.specialist2.public_id))
    assert specialist_client.post(f"/reports/{report.public_id}/submit", fields).status_code == 302
    assert User.objects.get(reports_as_agent__pk=report.pk) == cast.specialist2


def test_a_call_sent_for_one_agent_and_opened_by_another_says_so_on_the_form(
    cast: Cast, specialist_client: Client
) -> None:
    # Agent 35 is Sid; Sam's browser opened the URL (a shared desk, a phone system's mix-up).
    response = specialist_client.get(f"{URL}?reportVer=9991234&agent=35&ani=999-123-4567")
    report = report_at(response["Location"])
    assert report.agent == cast.specialist2
    page = specialist_client.get(response["Location"]).content.decode()
    assert (
        f"This call was sent for {cast.specialist2.display_name} (agent <code>35</code>); "
        f"{cast.specialist.display_name} opened it." in page
    )
    # Their own calls say nothing of the kind.
    own = specialist_client.get(f"{URL}?reportVer=9991234&agent=34&ani=999-123-4568")
    assert "This call was sent for" not in specialist_client.get(own["Location"]).content.decode()
