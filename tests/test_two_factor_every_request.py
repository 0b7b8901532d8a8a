"""The second factor is checked on every request for the roles that require it, not only at
login: a user promoted into such a role (or whose organization turns it on for theirs) is sent
to type a code or set up an app before any page, without typing the password again, and a
waiting call opens once they have."""

from __future__ import annotations

from django.test import Client

from calldesk.accounts.models import Role, User
from calldesk.reports.models import CallReport
from tests.cast import PASSWORD, Cast
from tests.twofactor import enrol, next_code

CALL = "/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=999-123-4567"


def signed_in_with_password(user: User) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    return client


def test_a_specialist_promoted_to_supervisor_reaches_no_dashboard_or_export_without_a_code(cast: Cast) -> None:
    kim = cast.specialist
    paths = ("/dashboards/", "/reports/?status=any&export=csv", "/console/")
    sessions = {path: signed_in_with_password(kim) for path in paths}
    # Promoted while signed in: these sessions passed no second factor.
    User.objects.filter(pk=kim.pk).update(role=Role.SUPERVISOR)
    for path, client in sessions.items():
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == "/accounts/two-factor/", path
        assert client.get("/reports/")["Location"].startswith("/accounts/login/")  # no longer signed in
    client = sessions["/dashboards/"]
    enrol(kim)
    assert client.get("/dashboards/")["Location"].startswith("/accounts/login/")
    client.post("/accounts/login/", {"username": kim.email, "password": PASSWORD})
    done = client.post("/accounts/two-factor/", {"code": next_code(kim)})
    assert done.status_code == 302
    assert client.get("/dashboards/").status_code == 200  # with the code, every page opens


def test_an_organization_turning_two_factor_on_for_specialists_sends_them_to_set_up_an_app(cast: Cast) -> None:
    client = signed_in_with_password(cast.specialist)
    assert client.get("/reports/").status_code == 200
    cast.org_a.two_factor_roles = "specialist,supervisor,admin"
    cast.org_a.save()
    response = client.get("/reports/")
    assert response["Location"] == "/accounts/two-factor/"
    assert client.get("/accounts/two-factor/")["Location"] == "/accounts/two-factor/setup/"
    setup = client.get("/accounts/two-factor/setup/")
    assert setup.status_code == 200 and "authenticator app" in setup.content.decode()
    # Other organizations' specialists are unaffected.
    other = signed_in_with_password(cast.specialist_b)
    assert other.get("/reports/").status_code == 200


def test_a_waiting_call_opens_after_the_code_and_its_number_stays_out_of_every_address(cast: Cast) -> None:
    kim = cast.specialist
    client = signed_in_with_password(kim)
    enrol(kim)
    User.objects.filter(pk=kim.pk).update(role=Role.SUPERVISOR)
    call = client.get(CALL)
    assert call.status_code == 302 and call["Location"] == "/accounts/two-factor/"
    page = client.get("/accounts/two-factor/")
    assert "A call is waiting" in page.content.decode()
    assert not CallReport.objects.exists()
    done = client.post("/accounts/two-factor/", {"code": next_code(kim)})
    assert done["Location"].startswith("/Telephony/resume/")
    assert "999" not in done["Location"]
    opened = client.get(done["Location"])
    assert opened.status_code == 303
    report = CallReport.objects.get()
    assert report.phone_e164 == "+19991234567"


def test_a_session_that_passed_the_code_is_left_alone_and_so_is_a_specialist(cast: Cast) -> None:
    enrol(cast.supervisor)
    client = Client()
    client.post("/accounts/login/", {"username": cast.supervisor.email, "password": PASSWORD})
    client.post("/accounts/two-factor/", {"code": next_code(cast.supervisor)})
    for path in ("/dashboards/", "/reports/", "/console/"):
        assert client.get(path).status_code == 200, path
    specialist = signed_in_with_password(cast.specialist2)
    assert specialist.get("/reports/").status_code == 200


def test_the_console_stream_stops_for_a_session_without_the_code_the_role_now_needs(cast: Cast) -> None:
    from calldesk.push.stream import _viewer_from_cookie

    client = signed_in_with_password(cast.specialist)
    session_key = client.cookies["sessionid"].value
    assert _viewer_from_cookie(session_key) is not None
    User.objects.filter(pk=cast.specialist.pk).update(role=Role.SUPERVISOR)
    assert _viewer_from_cookie(session_key) is None  # the stream answers 401, as to anyone logged out
