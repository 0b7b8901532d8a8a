"""Admins see the call record a report came from: parameters as sent, the unmapped ones, the
warnings (SPEC §1, §2). Nobody else does, and it is escaped."""

from __future__ import annotations

from urllib.parse import quote

from django.test import Client

from tests.cast import Cast
from tests.reporting import editor_data, open_draft

URL = (
    "/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=999-123-4567&dnis=8886201111"
    "&language=999999&queue=" + quote("<b>crisis</b>") + "&callStart=yesterday"
)


def submitted(client: Client) -> str:
    report = open_draft(client, URL)
    data = editor_data(report, f_summary="words", submit_key="x")
    assert client.post(f"/reports/{report.public_id}/submit", data).status_code == 302
    return f"/reports/{report.public_id}/"


def test_an_admin_sees_the_parameters_as_sent_the_unmapped_ones_and_the_warnings(
    cast: Cast, specialist_client: Client
) -> None:
    page_url = submitted(specialist_client)
    admin = Client()
    admin.force_login(cast.admin)
    html = admin.get(page_url).content.decode()
    record = html[html.index('id="call-record"') : html.index('id="report-history"')]
    assert "<tr><td><code>ani</code></td><td>999-123-4567</td></tr>" in record
    assert "<tr><td><code>callStart</code></td><td>yesterday</td></tr>" in record
    assert "<li><code>queue</code> = &lt;b&gt;crisis&lt;/b&gt;</li>" in record  # unmapped, escaped
    assert "<b>crisis</b>" not in html
    assert "could not be read" in record  # the callStart warning
    assert "999999" in record  # the language code no choice has
    assert "<dt>Incoming line</dt><dd>Main line</dd>" in record
    assert f'href="/configure/forms/{cast.form_a.public_id}/mappings/"' in record


def test_specialists_and_supervisors_never_see_the_call_record(cast: Cast, specialist_client: Client) -> None:
    page_url = submitted(specialist_client)
    supervisor = Client()
    supervisor.force_login(cast.supervisor)
    for client in (specialist_client, supervisor):
        html = client.get(page_url).content.decode()
        assert 'id="call-record"' not in html
        assert "crisis" not in html


def test_an_admin_of_another_organization_cannot_open_the_report(cast: Cast, specialist_client: Client) -> None:
    from tests.cast import make_user

    page_url = submitted(specialist_client)
    other = Client()
    other.force_login(make_user(cast.org_b, "boss@other.example", "admin"))
    assert other.get(page_url).status_code == 404
