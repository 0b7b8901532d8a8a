"""Two-factor sign-in: enrolment, codes, recovery codes, the per-role rule, admin reset."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.test import Client

from calldesk.accounts.models import Role, TwoFactorDevice, User
from calldesk.configure.models import AuditEntry
from calldesk.lib import totp
from calldesk.reports.models import CallReport
from tests.cast import PASSWORD, Cast, make_user
from tests.test_telephony_url import report_at
from tests.twofactor import code_from_secret, enrol, next_code

CALL = "/Telephony/GetCallReport?reportVer=9991234&agent=35&ani=999-123-4567"


def password_step(client: Client, email: str, next_url: str = "") -> Any:
    return client.post("/accounts/login/", {"username": email, "password": PASSWORD, "next": next_url})


def is_logged_in(client: Client) -> bool:
    return client.get("/reports/").status_code == 200


def secret_on(page: Any) -> str:
    found = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page.content.decode())
    assert found, "the set-up page shows the key to type"
    return found.group(1).replace(" ", "")


# The codes themselves (RFC 6238's own test vector: SHA-1, key "12345678901234567890").
RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


@pytest.mark.parametrize(
    ("unix_time", "code"), [(59, "287082"), (1111111109, "081804"), (1234567890, "005924"), (2000000000, "279037")]
)
def test_codes_are_the_ones_authenticator_apps_show(unix_time: int, code: str) -> None:
    assert totp.code_at_step(RFC_SECRET, totp.step_at(unix_time)) == code


def test_a_code_is_accepted_near_its_time_and_not_twice_or_far_off() -> None:
    step = totp.step_at(1234567890)
    assert totp.matching_step(RFC_SECRET, "005924", 1234567890) == step
    assert totp.matching_step(RFC_SECRET, "005 924", 1234567890 + 30) == step  # typed a bit late, with a space
    assert totp.matching_step(RFC_SECRET, "005924", 1234567890, after_step=step) is None  # replay
    assert totp.matching_step(RFC_SECRET, "005924", 1234567890 + 120) is None
    for junk in ("", "12345", "1234567", "abcdef", "٠٠٥٩٢٤"):
        assert totp.matching_step(RFC_SECRET, junk, 1234567890) is None


def test_the_set_up_address_holds_the_secret_for_the_app() -> None:
    uri = totp.provisioning_uri(RFC_SECRET, "sue@lifeline.example", "Calldesk Lifeline")
    assert uri.startswith("otpauth://totp/Calldesk%20Lifeline:sue@lifeline.example?")
    assert f"secret={RFC_SECRET}" in uri and "issuer=Calldesk+Lifeline" in uri


def test_a_specialist_still_signs_in_with_a_password_alone(cast: Cast) -> None:
    client = Client()
    assert password_step(client, cast.specialist.email)["Location"] == "/"
    assert is_logged_in(client)


def test_a_supervisor_is_not_logged_in_by_a_password_alone_and_sets_up_an_app(cast: Cast) -> None:
    client = Client()
    response = password_step(client, cast.supervisor.email, next_url="/dashboards/")
    assert response.status_code == 302 and response["Location"] == "/accounts/two-factor/"
    assert not is_logged_in(client)
    assert client.get("/accounts/two-factor/")["Location"] == "/accounts/two-factor/setup/"
    setup = client.get("/accounts/two-factor/setup/")
    assert setup.status_code == 200
    text = setup.content.decode()
    assert "authenticator app" in text and 'src="data:image/svg+xml' in text
    secret = secret_on(setup)
    assert client.get("/accounts/two-factor/setup/").status_code == 200
    assert secret_on(client.get("/accounts/two-factor/setup/")) == secret  # a reload shows the same key

    wrong = client.post(
        "/accounts/two-factor/setup/", {"code": "000000" if code_from_secret(secret) != "000000" else "111111"}
    )
    assert wrong.status_code == 400 and "not right" in wrong.content.decode()
    assert not is_logged_in(client)

    done = client.post("/accounts/two-factor/setup/", {"code": code_from_secret(secret)})
    assert done.status_code == 200
    codes = re.findall(r"<code>([0-9a-f]{8}-[0-9a-f]{8})</code>", done.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    assert 'href="/dashboards/"' in done.content.decode()
    assert is_logged_in(client)
    device = TwoFactorDevice.objects.get(user=cast.supervisor)
    assert device.confirmed_at is not None
    # Only hashes of the recovery codes are kept.
    assert not cast.supervisor.recovery_codes.filter(code_hash__in=codes).exists()


def test_an_enrolled_user_signs_in_with_a_code_once(cast: Cast) -> None:
    enrol(cast.supervisor)
    client = Client()
    assert password_step(client, cast.supervisor.email, "/dashboards/")["Location"] == "/accounts/two-factor/"
    page = client.get("/accounts/two-factor/")
    assert page.status_code == 200 and "6-digit code" in page.content.decode()
    code = next_code(cast.supervisor)
    signed_in = client.post("/accounts/two-factor/", {"code": code})
    assert signed_in.status_code == 302 and signed_in["Location"] == "/dashboards/"
    assert is_logged_in(client)

    # The same code a second time (read over a shoulder, replayed) does not sign anyone in.
    other = Client()
    password_step(other, cast.supervisor.email)
    replay = other.post("/accounts/two-factor/", {"code": code})
    assert replay.status_code == 400
    assert not is_logged_in(other)


def test_a_recovery_code_signs_in_once(cast: Cast) -> None:
    client = Client()
    password_step(client, cast.admin.email)
    secret = secret_on(client.get("/accounts/two-factor/setup/"))
    codes = re.findall(
        r"<code>([0-9a-f]{8}-[0-9a-f]{8})</code>",
        client.post("/accounts/two-factor/setup/", {"code": code_from_secret(secret)}).content.decode(),
    )
    client.post("/accounts/logout/")

    phoneless = Client()
    password_step(phoneless, cast.admin.email)
    used = phoneless.post("/accounts/two-factor/", {"code": codes[3].upper()}, follow=True)
    assert used.status_code == 200
    assert "recovery code; 9 are left" in used.content.decode()
    phoneless.post("/accounts/logout/")

    again = Client()
    password_step(again, cast.admin.email)
    assert again.post("/accounts/two-factor/", {"code": codes[3]}).status_code == 400
    assert not is_logged_in(again)


def test_five_wrong_codes_end_the_pending_sign_in(cast: Cast) -> None:
    enrol(cast.supervisor)
    client = Client()
    password_step(client, cast.supervisor.email)
    for _ in range(4):
        assert client.post("/accounts/two-factor/", {"code": "12345x"}).status_code == 400
    last = client.post("/accounts/two-factor/", {"code": "12345x"})
    assert last.status_code == 400 and "Too many wrong codes" in last.content.decode()
    # Even the right code no longer helps: the password must be typed again.
    assert client.post("/accounts/two-factor/", {"code": next_code(cast.supervisor)}).status_code == 400
    assert not is_logged_in(client)


def test_a_pending_sign_in_expires(cast: Cast) -> None:
    enrol(cast.supervisor)
    client = Client()
    password_step(client, cast.supervisor.email)
    session = client.session
    session["calldesk_2fa_pending"]["at"] = time.time() - 6 * 60
    session.save()
    late = client.post("/accounts/two-factor/", {"code": next_code(cast.supervisor)})
    assert late.status_code == 400 and "Log in again" in late.content.decode()
    assert not is_logged_in(client)


def test_the_second_step_cannot_be_reached_without_the_password(cast: Cast) -> None:
    client = Client()
    for url in ("/accounts/two-factor/", "/accounts/two-factor/setup/"):
        assert client.get(url).status_code == 400
        assert client.post(url, {"code": "123456"}).status_code == 400
    assert not TwoFactorDevice.objects.exists()


def test_a_user_deactivated_between_the_two_steps_is_not_signed_in(cast: Cast) -> None:
    enrol(cast.supervisor)
    client = Client()
    password_step(client, cast.supervisor.email)
    User.objects.filter(pk=cast.supervisor.pk).update(is_active=False)
    assert client.post("/accounts/two-factor/", {"code": next_code(cast.supervisor)}).status_code == 400
    assert not is_logged_in(client)


def test_a_waiting_call_opens_after_both_steps_and_its_number_stays_out_of_every_address(cast: Cast) -> None:
    kim = User.objects.get(email="kim@lifeline.example")
    kim.role = Role.SUPERVISOR
    kim.save()
    enrol(kim)
    client = Client()
    login_url = client.get(CALL)["Location"]
    next_url = client.get(login_url).context["next"]
    step_two = password_step(client, kim.email, next_url)
    assert step_two["Location"] == "/accounts/two-factor/"
    page = client.get("/accounts/two-factor/")
    assert "A call is waiting" in page.content.decode()
    assert not CallReport.objects.exists()
    done = client.post("/accounts/two-factor/", {"code": next_code(kim)})
    assert done["Location"] == next_url
    for address in (login_url, next_url, step_two["Location"], done["Location"]):
        assert "999" not in address and "4567" not in address
    opened = client.get(done["Location"])
    assert opened.status_code == 303
    assert report_at(opened["Location"]).phone_e164 == "+19991234567"


def test_the_organization_chooses_the_roles_that_need_a_second_factor(cast: Cast) -> None:
    admin = Client()
    admin.force_login(cast.admin)
    org = cast.org_a
    form = {
        "name": org.name,
        "time_zone": org.time_zone,
        "phone_region": org.phone_region,
        "idle_timeout_minutes": org.idle_timeout_minutes,
        "retention_days": "",
        "two_factor_roles": ["specialist", "admin"],
    }
    assert admin.post("/configure/settings/", form).status_code == 302
    org.refresh_from_db()
    assert org.two_factor_roles == "specialist,admin"
    assert AuditEntry.objects.filter(organization=org, action="organization.settings").exists()

    specialist = Client()
    assert password_step(specialist, cast.specialist.email)["Location"] == "/accounts/two-factor/"
    assert not is_logged_in(specialist)
    supervisor = Client()
    assert password_step(supervisor, cast.supervisor.email)["Location"] == "/"
    assert is_logged_in(supervisor)

    bad = admin.post("/configure/settings/", {**form, "two_factor_roles": ["owner"]})
    assert bad.status_code == 400
    org.refresh_from_db()
    assert org.two_factor_roles == "specialist,admin"


def test_a_user_with_an_app_needs_it_even_where_the_role_does_not(cast: Cast) -> None:
    enrol(cast.specialist)
    client = Client()
    assert password_step(client, cast.specialist.email)["Location"] == "/accounts/two-factor/"


def test_an_admin_resets_a_members_second_factor(cast: Cast) -> None:
    enrol(cast.supervisor)
    admin = Client()
    admin.force_login(cast.admin)
    page = admin.get(f"/configure/users/{cast.supervisor.public_id}/")
    assert "Reset two-factor sign-in" in page.content.decode()
    done = admin.post(f"/configure/users/{cast.supervisor.public_id}/two-factor-reset", follow=True)
    assert "sets up two-factor sign-in again" in done.content.decode()
    assert not TwoFactorDevice.objects.filter(user=cast.supervisor).exists()
    assert AuditEntry.objects.filter(action="user.two_factor_reset", target=cast.supervisor.email).exists()
    client = Client()
    password_step(client, cast.supervisor.email)
    assert client.get("/accounts/two-factor/")["Location"] == "/accounts/two-factor/setup/"


def test_only_the_members_own_admins_can_reset_it(cast: Cast) -> None:
    enrol(cast.supervisor)
    other_admin = make_user(cast.org_b, "otto@other.example", Role.ADMIN)
    for who in (cast.specialist, cast.supervisor, other_admin):
        client = Client()
        client.force_login(who)
        assert client.post(f"/configure/users/{cast.supervisor.public_id}/two-factor-reset").status_code == 404
    anonymous = Client().post(f"/configure/users/{cast.supervisor.public_id}/two-factor-reset")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    assert Client().get(f"/configure/users/{cast.supervisor.public_id}/two-factor-reset").status_code in (302, 405)
    assert TwoFactorDevice.objects.filter(user=cast.supervisor).exists()


def test_new_recovery_codes_replace_the_old_ones(cast: Cast) -> None:
    enrol(cast.specialist)
    client = Client()
    client.force_login(cast.specialist)
    page = client.get("/accounts/security/")
    assert "Two-factor sign-in is <strong>on</strong>" in page.content.decode()
    first = re.findall(r"<code>([0-9a-f-]{17})</code>", client.post("/accounts/security/").content.decode())
    second = re.findall(r"<code>([0-9a-f-]{17})</code>", client.post("/accounts/security/").content.decode())
    assert len(first) == len(second) == 10 and not set(first) & set(second)
    client.post("/accounts/logout/")
    fresh = Client()
    password_step(fresh, cast.specialist.email)
    assert fresh.post("/accounts/two-factor/", {"code": first[0]}).status_code == 400
    assert fresh.post("/accounts/two-factor/", {"code": second[0]}).status_code == 302


def test_the_security_page_invites_a_user_without_an_app_to_set_one_up(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.specialist)
    page = client.get("/accounts/security/")
    assert "Two-factor sign-in is <strong>off</strong>" in page.content.decode()
    setup = client.get("/accounts/two-factor/setup/")
    secret = secret_on(setup)
    assert client.post("/accounts/two-factor/setup/", {"code": code_from_secret(secret)}).status_code == 200
    assert TwoFactorDevice.objects.get(user=cast.specialist).confirmed_at is not None
    assert Client().get("/accounts/security/")["Location"].startswith("/accounts/login/")


def test_the_config_file_sets_the_roles_and_refuses_unknown_ones(
    cast: Cast, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    good = tmp_path / "good.yaml"
    good.write_text("organizations:\n  - slug: lifeline\n    name: Lifeline\n    two_factor_roles: []\n")
    call_command("config", "import", str(good))
    cast.org_a.refresh_from_db()
    assert cast.org_a.two_factor_roles == ""
    bad = tmp_path / "bad.yaml"
    bad.write_text("organizations:\n  - slug: lifeline\n    name: Lifeline\n    two_factor_roles: [admin, boss]\n")
    with pytest.raises(CommandError) as failure:
        call_command("config", "import", str(bad))
    assert "1 problem; nothing was changed" in str(failure.value)
    assert "organizations[0].two_factor_roles: `boss` is not one of" in capsys.readouterr().err
    cast.org_a.refresh_from_db()
    assert cast.org_a.two_factor_roles == ""
