"""Prepared queries (calldesk.lib.prepared): compiled once, they answer as the querysets they
stand for, with each run's own values, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count, Max
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from calldesk.accounts import throttle
from calldesk.accounts.models import LoginAttempt, User
from calldesk.callforms.models import CallForm
from calldesk.configure.models import ApiToken
from calldesk.configure.tokens import authenticate_token, create_token, revoke_token
from calldesk.lib.crypto import phone_hash
from calldesk.lib.prepared import Prepared, param
from calldesk.reports import history
from calldesk.reports import views as report_views
from calldesk.reports.models import CallReport
from calldesk.telephony import services as telephony
from tests.cast import Cast
from tests.reporting import open_draft

RELATED = ("revision", "form", "organization", "agent", "author", "call")


def fields_of(instance: Any) -> dict[str, Any]:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_the_report_query_answers_as_its_queryset_with_every_related_row(cast: Cast, specialist_client: Client) -> None:
    first = open_draft(specialist_client, "/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=2125550100")
    second = open_draft(specialist_client, "/Telephony/GetCallReport?reportVer=9991234&ani=2125550101")
    for report in (first, second, first):  # each run its own value, in any order
        with CaptureQueriesContext(connection) as queries:
            prepared = report_views._REPORT.first(public_id=report.public_id)
            assert prepared is not None
            related = {name: fields_of(getattr(prepared, name)) for name in RELATED if getattr(prepared, name)}
        assert len(queries) == 1, "the related rows come with the report"
        plain = CallReport.objects.select_related(*RELATED).get(public_id=report.public_id)
        assert fields_of(prepared) == fields_of(plain)
        assert prepared.phone_e164 == plain.phone_e164 == "+1212555010" + ("0" if report is first else "1")
        assert related == {name: fields_of(getattr(plain, name)) for name in RELATED if getattr(plain, name)}
    assert first.agent is not None and second.agent is None
    unknown = CallReport(public_id=first.call.public_id).public_id  # a uuid that names no report
    assert report_views._REPORT.first(public_id=unknown) is None


def test_the_screen_pops_own_reads_answer_as_their_querysets(cast: Cast, specialist_client: Client) -> None:
    report = open_draft(specialist_client, "/Telephony/GetCallReport?reportVer=9991234&ani=2125550102")
    form = telephony._ACTIVE_FORM.first(organization_id=cast.org_a.pk, report_ver="9991234")
    assert form is not None and form.pk == CallForm.objects.get(organization=cast.org_a, report_ver="9991234").pk
    assert telephony._ACTIVE_FORM.first(organization_id=cast.org_b.pk, report_ver="9991234") is None
    assert telephony._ACTIVE_FORM.first(organization_id=cast.org_a.pk, report_ver="1") is None

    call = report.call
    assert call is not None
    since = timezone.now() - timedelta(minutes=15)
    found = telephony._REOPENABLE.first(opened_by_id=cast.specialist.pk, fingerprint=call.fingerprint, since=since)
    assert found is not None and found.pk == call.pk
    later = call.received_at + timedelta(seconds=1)
    mine = cast.specialist.pk
    assert telephony._REOPENABLE.first(opened_by_id=mine, fingerprint=call.fingerprint, since=later) is None
    other = telephony._REOPENABLE.first(opened_by_id=cast.specialist2.pk, fingerprint=call.fingerprint, since=since)
    assert other is None


def test_earlier_calls_are_counted_only_when_the_number_called_more_than_the_box_shows(
    cast: Cast, specialist_client: Client
) -> None:
    url = "/Telephony/GetCallReport?reportVer=9991234&ani=2125550103"
    reports = [open_draft(specialist_client, f"{url}&x={i}") for i in range(history.SHOWN + 2)]
    oldest = CallReport.objects.get(pk=reports[0].pk)
    with CaptureQueriesContext(connection) as queries:
        box = history.earlier_calls(cast.specialist, oldest)
    assert len(queries) == 2, "the newest calls, then the count"
    assert (box.count, len(box.calls), box.more) == (history.SHOWN + 1, history.SHOWN, False)
    plain = list(
        CallReport.objects.filter(organization=cast.org_a, phone_hash=phone_hash("+12125550103"))
        .exclude(pk=oldest.pk)
        .order_by("-call_start")[: history.SHOWN]
    )
    assert [item.pk for item, _ in box.calls] == [item.pk for item in plain]
    # With no more calls than the box holds, the list is the count: one query.
    CallReport.objects.filter(pk__in=[r.pk for r in reports[2:]]).delete()
    with CaptureQueriesContext(connection) as queries:
        box = history.earlier_calls(cast.specialist, oldest)
    assert len(queries) == 1
    assert (box.count, [item.pk for item, _ in box.calls], box.more) == (1, [reports[1].pk], False)


def test_a_parameter_the_sql_does_not_carry_as_stored_is_refused() -> None:
    # icontains wraps the value in %…%: it cannot be a slot, and the first run says so.
    broken = Prepared(lambda email: User.objects.filter(email__icontains=email), email=param(User, "email"))
    with pytest.raises(TypeError, match="does not reach the SQL"):
        broken.first(email="someone@example.org")
    with pytest.raises(TypeError, match="expected the parameters"):
        report_views._REPORT.first(id=1)


@pytest.mark.django_db(transaction=True)
def test_another_thread_runs_the_query_on_its_own_connection(cast: Cast) -> None:
    wanted = Prepared(lambda email: User.objects.filter(email=email)[:1], email=param(User, "email"))
    assert wanted.first(email=cast.specialist.email) == cast.specialist  # compiled on this thread
    found: list[Any] = []

    def other() -> None:
        try:
            found.append(wanted.first(email=cast.specialist2.email))
        finally:
            connection.close()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert found == [cast.specialist2]


def test_sessions_stay_rows_on_the_server_read_with_compiled_queries(cast: Cast, specialist_client: Client) -> None:
    from django.conf import settings
    from django.contrib.sessions.models import Session

    assert settings.SESSION_ENGINE == "calldesk.accounts.sessions"
    with CaptureQueriesContext(connection) as queries:
        assert specialist_client.get("/reports/unfinished/").status_code == 200
    session_reads = [q["sql"] for q in queries if q["sql"].startswith("SELECT") and '"django_session"' in q["sql"]]
    assert len(session_reads) == 1 and "expire_date" in session_reads[0]
    key = specialist_client.cookies["sessionid"].value
    # Ended on the server, the session ends at once: expired, or its user deactivated.
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert specialist_client.get("/reports/unfinished/").status_code == 302
    other = Client()
    other.force_login(cast.specialist2)
    assert other.get("/reports/unfinished/").status_code == 200
    User.objects.filter(pk=cast.specialist2.pk).update(is_active=False)
    assert other.get("/reports/unfinished/").status_code == 302


@pytest.mark.postgres
def test_postgresql_prepares_the_queries_a_connection_runs_again(cast: Cast, specialist_client: Client) -> None:
    # Django turns psycopg's preparing off unless OPTIONS sets prepare_threshold: without it
    # PostgreSQL planned the report's 7-table read on every screen pop.
    report = open_draft(specialist_client, "/Telephony/GetCallReport?reportVer=9991234&ani=2125550106")
    for _ in range(6):
        assert specialist_client.get(f"/reports/{report.public_id}/").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    report_read = any('FROM "reports_callreport"' in text and '"telephony_call"' in text for text in prepared)
    # DB_SERVER_SIDE_BINDING=false (a pooler in transaction mode) must prepare nothing.
    assert report_read is connection.settings_dict["OPTIONS"]["server_side_binding"]


def test_the_earlier_calls_box_reads_nothing_more_to_show_its_calls(cast: Cast, specialist_client: Client) -> None:
    lonely = open_draft(specialist_client, "/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=2125550107")
    url = "/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=2125550108"
    for i in range(2):
        open_draft(specialist_client, f"{url}&x={i}")
    repeat = open_draft(specialist_client, f"{url}&x=2")
    counts = []
    for report in (lonely, repeat):
        with CaptureQueriesContext(connection) as queries:
            page = specialist_client.get(f"/reports/{report.public_id}/").content.decode()
        counts.append(len(queries))
    assert "<strong>2</strong> earlier calls" in page and "Sam Specialist" in page.split('id="earlier-calls"')[1]
    assert counts[0] == counts[1], "the calls in the box come with the one query (no deferred column read)"


def test_the_api_token_is_read_as_its_queryset_reads_it_and_a_revoked_one_is_not(cast: Cast) -> None:
    made = create_token(cast.admin, "PBX")
    token = authenticate_token(made.raw)
    assert token is not None and token.pk == made.token.pk
    assert fields_of(token) == fields_of(ApiToken.objects.get(pk=made.token.pk))
    assert fields_of(token.organization) == fields_of(cast.org_a)
    with CaptureQueriesContext(connection) as queries:
        assert authenticate_token(made.raw) is not None
    assert len(queries) == 1, "the organization comes with the token"
    revoke_token(cast.admin, made.token)
    assert authenticate_token(made.raw) is None
    assert authenticate_token(made.raw + "x") is None


@pytest.mark.parametrize("address", ["203.0.113.7", "2001:db8::7", "0.0.0.0"])
def test_wrong_tokens_are_counted_as_the_aggregate_counts_them(cast: Cast, address: str) -> None:
    now = timezone.now()
    failure = LoginAttempt.Outcome.TOKEN_FAILURE

    def aggregate() -> timedelta:
        found = LoginAttempt.objects.filter(at__gte=now - throttle.WINDOW, outcome=failure, address=address).aggregate(
            n=Count("id"), last=Max("at")
        )
        if found["n"] < throttle.TOKEN_FREE:
            return timedelta(0)
        return found["last"] + throttle._doubling(found["n"] - throttle.TOKEN_FREE) - now  # type: ignore[no-any-return]

    assert throttle.token_check(address, now).wait == aggregate() == timedelta(0)
    others = [("198.51.100.1", failure), (address, LoginAttempt.Outcome.FAILURE)]
    LoginAttempt.objects.bulk_create(LoginAttempt(at=now, email="", address=a, outcome=o) for a, o in others * 30)
    LoginAttempt.objects.create(
        at=now - throttle.WINDOW - timedelta(seconds=1), email="", address=address, outcome=failure
    )
    for count in (1, throttle.TOKEN_FREE - 1, 1, 3, 40):
        for i in range(count):
            LoginAttempt.objects.create(at=now - timedelta(seconds=i), email="", address=address, outcome=failure)
        assert throttle.token_check(address, now).wait == aggregate()
    assert throttle.token_check(address, now).wait == throttle.WINDOW


def test_prepared_tuples_come_from_values_list_and_models_from_querysets_of_models(cast: Cast) -> None:
    emails = Prepared(
        lambda email: User.objects.filter(email=email).values_list("pk", "email"), email=param(User, "email")
    )
    assert emails.rows(email=cast.specialist.email) == [(cast.specialist.pk, cast.specialist.email)]
    with pytest.raises(TypeError, match="tuples from values_list"):
        emails.first(email=cast.specialist.email)
    with pytest.raises(TypeError, match="tuples from values_list"):
        report_views._REPORT.rows(public_id=cast.specialist.public_id)
