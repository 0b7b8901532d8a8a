"""The access audit: who opened which report, exported what, searched by which
number, logged in or failed to, and which API token was used; append-only, shown to the
organization's admins with filters and as CSV, and never holding a caller's number."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from calldesk.audit import views as audit_views
from calldesk.audit.models import AccessEvent, AppendOnlyError
from calldesk.configure.tokens import authenticate_token, create_token
from calldesk.lib.crypto import new_key, phone_hash
from calldesk.reports import lists
from tests.cast import PASSWORD, Cast, make_user
from tests.reportdata import CALLER, CALLER_E164, Known, make_known

Action = AccessEvent.Action
NUMBER_FORMS = [CALLER, CALLER_E164, "9991234567", "1234567"]


@pytest.fixture
def known(cast: Cast) -> Known:
    return make_known(cast)


@pytest.fixture
def ada(cast: Cast) -> Client:
    client = Client()
    client.force_login(cast.admin)
    return client


def events(action: str) -> list[AccessEvent]:
    return list(AccessEvent.objects.filter(action=action).order_by("id"))


def audit_dump() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM audit_accessevent")
        return repr(cursor.fetchall())


def test_opening_a_report_is_recorded_with_who_and_which(cast: Cast, known: Known, supervisor_client: Client) -> None:
    assert supervisor_client.get(f"/reports/{known.r1.public_id}/").status_code == 200
    assert supervisor_client.get(f"/reports/{known.r1.public_id}/edit/").status_code == 200
    viewed, edited = events(Action.REPORT_VIEW), events(Action.REPORT_EDIT)
    assert [(e.user, e.report, e.organization) for e in viewed] == [(cast.supervisor, known.r1.public_id, cast.org_a)]
    assert [e.report for e in edited] == [known.r1.public_id]


def test_a_report_someone_may_not_open_records_nothing(cast: Cast, known: Known) -> None:
    other = Client()
    other.force_login(cast.specialist_b)
    assert other.get(f"/reports/{known.r1.public_id}/").status_code == 404
    assert not AccessEvent.objects.filter(action=Action.REPORT_VIEW).exists()


def test_a_search_by_number_is_recorded_without_the_number(cast: Cast, known: Known, supervisor_client: Client) -> None:
    assert supervisor_client.get("/reports/?phone=999-123-4567").status_code == 200
    [search] = events(Action.PHONE_SEARCH)
    assert search.user == cast.supervisor and search.phone_digest == phone_hash(CALLER_E164)
    assert search.details == {"page": "report list", "export": ""}
    dump = audit_dump()
    assert not any(number in dump for number in NUMBER_FORMS)


def test_the_fingerprint_is_keyed(cast: Cast, known: Known, supervisor_client: Client) -> None:
    import hashlib

    supervisor_client.get("/reports/?phone=999-123-4567")
    [search] = events(Action.PHONE_SEARCH)
    assert search.phone_digest != hashlib.sha256(CALLER_E164.encode()).hexdigest()
    with override_settings(CALLDESK_HASH_KEY=new_key()):
        assert phone_hash(CALLER_E164) != search.phone_digest


def test_an_export_is_recorded_with_its_rows(cast: Cast, known: Known, supervisor_client: Client) -> None:
    response = supervisor_client.get("/reports/?phone=9991234567&export=csv")
    b"".join(response.streaming_content)  # type: ignore[attr-defined]
    [export] = events(Action.REPORT_EXPORT)
    assert export.user == cast.supervisor
    assert export.details["rows"] == 2 and export.details["complete"] is True and export.details["by_phone"] is True
    assert export.phone_digest == events(Action.PHONE_SEARCH)[0].phone_digest
    assert not any(number in audit_dump() for number in NUMBER_FORMS)


@override_settings(TRUSTED_PROXIES=1)
def test_logins_and_failed_logins_are_recorded_with_the_clients_address(cast: Cast) -> None:
    def log_in(password: str) -> int:
        return (
            Client()
            .post(
                "/accounts/login/",
                {"username": "sam@lifeline.example", "password": password},
                REMOTE_ADDR="10.0.0.2",
                HTTP_X_FORWARDED_FOR="198.51.100.7",
            )
            .status_code
        )

    assert log_in("wrong-password-1") == 200
    assert log_in(PASSWORD) == 302
    [failed] = events(Action.LOGIN_FAILED)
    [logged_in] = events(Action.LOGIN)
    assert failed.user == logged_in.user == cast.specialist
    assert failed.address == logged_in.address == "198.51.100.7"
    for _ in range(5):
        log_in("wrong-password-1")
    assert log_in(PASSWORD) == 429
    assert events(Action.LOGIN_REFUSED)[0].actor == "sam@lifeline.example"


def test_a_failed_login_for_an_unknown_email_is_kept_outside_any_organization(db: None) -> None:
    Client().post("/accounts/login/", {"username": "nobody@example.org", "password": "whatever-123"})
    [failed] = events(Action.LOGIN_FAILED)
    assert failed.organization is None and failed.actor == "nobody@example.org"


def test_api_token_use_is_recorded(cast: Cast) -> None:
    created = create_token(cast.admin, "Asterisk")
    assert authenticate_token(created.raw) is not None
    [used] = events(Action.TOKEN_USE)
    assert used.organization == cast.org_a and used.actor == "API token “Asterisk”"


def test_events_cannot_be_changed_or_deleted_through_the_app(
    cast: Cast, known: Known, supervisor_client: Client
) -> None:
    supervisor_client.get(f"/reports/{known.r1.public_id}/")
    event = AccessEvent.objects.get(action=Action.REPORT_VIEW)
    event.actor = "someone else"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AccessEvent.objects.filter(pk=event.pk).update(actor="someone else")
    with pytest.raises(AppendOnlyError):
        AccessEvent.objects.all().delete()
    assert AccessEvent.objects.get(action=Action.REPORT_VIEW).actor == cast.supervisor.email


def test_the_database_refuses_to_rewrite_an_event(cast: Cast, known: Known, supervisor_client: Client) -> None:
    from django.db import DatabaseError, transaction

    supervisor_client.get(f"/reports/{known.r1.public_id}/")
    with pytest.raises(DatabaseError, match="never changed"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_accessevent SET actor = 'someone else'")
    assert AccessEvent.objects.get(action=Action.REPORT_VIEW).actor == cast.supervisor.email


@pytest.mark.postgres
def test_postgresql_refuses_to_delete_an_event(cast: Cast, known: Known, supervisor_client: Client) -> None:
    from django.db import DatabaseError, transaction

    supervisor_client.get(f"/reports/{known.r1.public_id}/")
    with pytest.raises(DatabaseError, match="never changed"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_accessevent")
    assert AccessEvent.objects.filter(action=Action.REPORT_VIEW).count() == 1


def test_admins_filter_the_log_by_who_what_and_number(
    cast: Cast, known: Known, supervisor_client: Client, ada: Client
) -> None:
    supervisor_client.get(f"/reports/{known.r1.public_id}/")
    supervisor_client.get("/reports/?phone=999-123-4567")
    specialist = Client()
    specialist.force_login(cast.specialist)
    specialist.get(f"/reports/{known.r1.public_id}/")

    page = ada.get("/audit/").content.decode()
    assert page.count("Opened a report</td>") == 2 and "Searched by a phone number" in page
    assert "log of changes" in page  # the separate log of configuration changes is named
    by_who = ada.get(f"/audit/?user={cast.specialist.public_id}").content.decode()
    assert by_who.count("Opened a report</td>") == 1 and "Searched by a phone number</td>" not in by_who
    by_what = ada.get("/audit/?action=phone.search").content.decode()
    assert "Searched by a phone number</td>" in by_what and "Opened a report</td>" not in by_what
    # Typing the number, in any spelling, finds the search; another number does not.
    by_number = ada.get("/audit/?phone=%2B1+999+123+4567").content.decode()
    assert "Searched by a phone number</td>" in by_number and "Opened a report</td>" not in by_number
    assert 'id="no-events"' in ada.get("/audit/?phone=999-555-0000").content.decode()
    by_report = ada.get(f"/audit/?report={known.r1.public_id}").content.decode()
    assert by_report.count("Opened a report</td>") == 2
    assert 'id="no-events"' in ada.get("/audit/?from=2000-01-01&to=2000-01-02").content.decode()


def test_the_log_downloads_as_csv_without_numbers(
    cast: Cast, known: Known, supervisor_client: Client, ada: Client
) -> None:
    supervisor_client.get(f"/reports/{known.r1.public_id}/")
    supervisor_client.get("/reports/?phone=999-123-4567")
    response = ada.get("/audit/?export=csv")
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["when", "who", "action", "report", "by phone number", "address", "details"]
    actions = [row[2] for row in rows[1:]]
    assert "Opened a report" in actions and "Searched by a phone number" in actions
    assert not any(number in text for number in NUMBER_FORMS)


def test_only_the_organizations_admins_see_its_log(cast: Cast, known: Known, supervisor_client: Client) -> None:
    supervisor_client.get(f"/reports/{known.r1.public_id}/")
    assert supervisor_client.get("/audit/").status_code == 404
    assert Client().get("/audit/").status_code == 302
    other_admin = Client()
    other_admin.force_login(make_user(cast.org_b, "admin@other.example", "admin"))
    page = other_admin.get("/audit/").content.decode()
    assert "Opened a report</td>" not in page and cast.supervisor.email not in page
    assert other_admin.post("/audit/").status_code == 405


def test_a_bad_filter_is_a_clear_error(cast: Cast, ada: Client) -> None:
    assert ada.get("/audit/?from=0001-01-01").status_code == 400
    assert ada.get("/audit/?phone=12").status_code == 400
    assert ada.get("/audit/?report=not-a-uuid&export=csv").status_code == 400
    assert ada.get("/audit/?page=99999999999999999999").status_code == 200


def test_the_api_records_report_reads_and_searches_by_number(cast: Cast, known: Known) -> None:
    created = create_token(cast.admin, "CRM")
    api = Client(headers={"Authorization": f"Bearer {created.raw}"})
    assert api.get(f"/api/reports/{known.r1.public_id}").status_code == 200
    assert api.get("/api/reports?phone=999-123-4567").status_code == 200
    [read] = events(Action.REPORT_VIEW)
    assert (read.report, read.actor, read.organization, read.details) == (
        known.r1.public_id,
        "API token “CRM”",
        cast.org_a,
        {"page": "api"},
    )
    [search] = events(Action.PHONE_SEARCH)
    assert search.actor == "API token “CRM”" and search.phone_digest == phone_hash(CALLER_E164)
    assert not any(number in audit_dump() for number in NUMBER_FORMS)


def test_a_long_log_is_not_counted_to_its_end(cast: Cast, ada: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    """A busy organization's log holds tens of millions of entries: the page counts up to the
    report list's cap, as that list does, and shows the pages without a last one."""
    monkeypatch.setattr(lists, "COUNT_CAP", 5)
    monkeypatch.setattr(audit_views, "PAGE_SIZE", 2)
    AccessEvent.objects.bulk_create(
        [AccessEvent(organization=cast.org_a, actor=f"u{n}@lifeline.example", action=Action.LOGIN) for n in range(12)]
    )
    with CaptureQueriesContext(connection) as queries:
        page = ada.get("/audit/").content.decode()
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"] and "audit_accessevent" in q["sql"]]
    assert counts and all("LIMIT 6" in sql for sql in counts), counts  # never every entry
    assert "More than 5 entries" in page and "Page 1</span>" in page and "page=2" in page
    # A page past the end of the uncounted log shows the last one.
    total = AccessEvent.objects.filter(organization=cast.org_a).count()
    pages = -(-total // 2)
    last = ada.get("/audit/?page=40").content.decode()
    assert f"Page {pages}</span>" in last and f"page={pages + 1}" not in last
    assert last.count("<tr><td>") == total - 2 * (pages - 1)


def test_a_page_too_deep_in_the_log_asks_to_narrow_it(cast: Cast, ada: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lists, "COUNT_CAP", 5)
    monkeypatch.setattr(lists, "DEEP_ROWS", 4)
    monkeypatch.setattr(audit_views, "PAGE_SIZE", 2)
    AccessEvent.objects.bulk_create(
        [AccessEvent(organization=cast.org_a, actor=f"u{n}@lifeline.example", action=Action.LOGIN) for n in range(12)]
    )
    assert "Page 2</span>" in ada.get("/audit/?page=2").content.decode()
    deep = ada.get("/audit/?page=3")
    assert deep.status_code == 200
    text = deep.content.decode()
    assert 'id="too-deep"' in text and "Page 3 starts past the first 4 entries" in text
    assert "Logged in</td>" not in text
