"""The URL builder and the tester: the tester reads a pasted URL exactly as the endpoint
does, and creates nothing."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.test import Client

from calldesk.callforms.models import Mapping
from calldesk.reports.models import CallReport
from calldesk.telephony.models import Call
from tests.cast import Cast
from tests.pages import shown


@pytest.fixture
def ada(cast: Cast) -> Client:
    client = Client()
    client.force_login(cast.admin)
    return client


def _tester(ada: Client, cast: Cast, url: str) -> object:
    response = ada.post(f"/configure/forms/{cast.form_a.public_id}/url/", {"url": url})
    assert response.status_code == 200
    return response


LONG = "x" * 3000
AGREEMENT_URLS = [
    # The SPEC's examples.
    "/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=999-123-4567",
    "/Telephony/GetCallReport?reportVer=9991234&agent=sam%40lifeline.example&ani=9991234567&dnis=8886201111",
    "/Telephony/GetCallReport?reportVer=9991234&language=112211&callStart=2008-09-22T14:01:54Z",
    # Names in any case, a path in any case, repeats, empty values.
    "/telephony/getcallreport?REPORTVER=9991234&Agent=35&ANI=&Language=112210&language=112211&dnis=",
    "/Telephony/GetCallReport?reportVer=9991234&agent=&agent=34&callstart=1222092114&dnis=8886202222",
    # Hostile and odd values.
    "/Telephony/GetCallReport?reportVer=9991234&agent=%3Cscript%3Ealert(1)%3C%2Fscript%3E&ani=anonymous"
    "&dnis=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&language=%22%3E%3Cb%3E",
    "/Telephony/GetCallReport?reportVer=9991234&ani=+1+999+123+4567&dnis=%ZZ%2&language=Spanish&callStart=garbage",
    "/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=0000000000&unknownparam=hello%20world&x=%E2%98%8E",
    "/Telephony/GetCallReport?reportVer=9991234&callStart=2008-09-22%2014:01:54&ani=%2B442079460000&dnis=" + LONG,
    "/Telephony/GetCallReport?reportVer=9991234&agent=nobody%40example.org&language=999999&&=&=novalue&noname",
    "/Telephony/GetCallReport?reportVer=9991234&callStart=1222092114000&ani=(999)%20123-4567%20ext%2012",
]


@pytest.mark.parametrize("url", AGREEMENT_URLS)
def test_the_tester_reads_a_url_as_the_endpoint_then_fills_the_draft(
    cast: Cast, ada: Client, specialist_client: Client, url: str
) -> None:
    tested = _tester(ada, cast, "https://phones.example.org" + url)
    reading = tested.context["reading"]  # type: ignore[attr-defined]
    assert Call.objects.count() == 0 and CallReport.objects.count() == 0  # the tester wrote nothing

    opened = specialist_client.get(url)
    assert opened.status_code == 303
    report = CallReport.objects.select_related("call").get()
    assert report.call is not None
    assert report.revision == reading.revision
    assert report.agent == reading.agent
    assert report.phone_raw == (reading.phone.raw[:200] if reading.phone.ok else "")  # withheld/junk: empty
    assert report.phone_e164 == reading.phone.e164
    assert report.values == reading.values
    # Opened by someone else than the agent it was sent for, the call also says so (the tester
    # reads a URL nobody opened).
    opener = "This call was sent for"
    assert [n for n in report.call.notices if not n.startswith(opener)] == reading.notices
    assert report.call.unmapped == [list(pair) for pair in reading.unmapped]
    assert report.call.params == [list(pair) for pair in reading.pairs]
    if "callstart=" in url.lower() and "garbage" not in url:
        assert report.call_start == reading.call_start


def test_the_tester_shows_form_agent_time_phone_fields_unmapped_and_warnings(cast: Cast, ada: Client) -> None:
    url = (
        "https://calldesk.example.org/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=999-123-4567"
        "&callStart=2008-09-22T14:01:54Z&language=112211&dnis=8886201111&queue=7&language=112210"
    )
    content = _tester(ada, cast, url).content.decode()  # type: ignore[attr-defined]
    assert "Crisis call (reportVer 9991234), revision 1" in content
    assert "Sam Specialist &lt;sam@lifeline.example&gt;" in content
    assert "2008-09-22 10:01:54 EDT" in content  # the organization's zone
    assert "sent <code>999-123-4567</code> → +19991234567" in content
    assert "<td>Language</td><td>Spanish</td>" in content
    assert "<td>Incoming line</td><td>Main line</td>" in content
    assert "<td>Dialled number</td><td>8886201111</td>" in content
    assert "<code>queue</code> = <code>7</code>" in content
    assert "The parameter <code>language</code> was sent 2 times" in content


def test_the_tester_says_why_the_agent_is_empty(cast: Cast, ada: Client) -> None:
    cast.specialist2.agent_id = "34"
    cast.specialist2.save()
    content = _tester(ada, cast, "/Telephony/GetCallReport?reportVer=9991234&agent=34").content.decode()  # type: ignore[attr-defined]
    assert "Agent <code>34</code> matches 2 users; the Agent field is left empty." in content
    content = _tester(ada, cast, "/Telephony/GetCallReport?reportVer=9991234").content.decode()  # type: ignore[attr-defined]
    assert "No agent was sent" in content


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://x.example/Telephony/GetCallReport?agent=34", "The URL has no reportVer"),
        (
            "https://x.example/Telephony/GetCallReport?reportVer=1234567",
            "No open form of your organization has reportVer `1234567`",
        ),
        (
            "https://x.example/Telephony/GetCallReport?reportVer=5550001",
            "No open form of your organization has reportVer `5550001`",
        ),
        ("https://x.example/reports/?reportVer=9991234", "The path is `/reports/`"),
        ("not a url at all", "a phone system"),
        ("http://[::1/Telephony/GetCallReport?reportVer=9991234", "This is not a URL that can be read"),
    ],
)
def test_the_tester_explains_urls_that_open_nothing(cast: Cast, ada: Client, url: str, message: str) -> None:
    content = _tester(ada, cast, url).content.decode()  # type: ignore[attr-defined]
    assert shown(message) in content.replace("&#x27;", "'")


@pytest.mark.parametrize(
    "pasted",
    [
        "?reportVer=9991234&language=112211",
        "pbx.example.org/TELEPHONY/getcallreport/?reportVer=9991234&language=112211",
        "  http://10.0.0.5:8080/Telephony/GetCallReport?reportVer=9991234&language=112211#frag  ",
    ],
)
def test_the_tester_takes_urls_as_admins_paste_them(cast: Cast, ada: Client, pasted: str) -> None:
    reading = _tester(ada, cast, pasted).context["reading"]  # type: ignore[attr-defined]
    assert reading.values == {"language": "Spanish"}


def test_the_tester_escapes_what_was_sent(cast: Cast, ada: Client) -> None:
    url = "/Telephony/GetCallReport?reportVer=9991234&agent=%3Cscript%3Ex%3C/script%3E&evil=%3Cimg%20src=x%3E"
    content = _tester(ada, cast, url).content.decode()  # type: ignore[attr-defined]
    assert "<script>x" not in content and "<img src=x>" not in content
    assert "&lt;img src=x&gt;" in content


def test_a_retired_form_is_reported_as_the_endpoint_would(cast: Cast, ada: Client) -> None:
    ada.post(f"/configure/forms/{cast.form_a.public_id}/retire", {"retire": "1", "confirmed": "1"})
    content = _tester(ada, cast, "/Telephony/GetCallReport?reportVer=9991234").content.decode()  # type: ignore[attr-defined]
    assert "the endpoint answers 404" in content


def test_an_empty_paste_is_a_400_with_a_message(cast: Cast, ada: Client) -> None:
    response = ada.post(f"/configure/forms/{cast.form_a.public_id}/url/", {"url": "  "})
    assert response.status_code == 400
    assert b"This field is required." in response.content


def test_the_builder_shows_the_template_with_every_mapped_parameter(cast: Cast, ada: Client) -> None:
    content = ada.get(f"/configure/forms/{cast.form_a.public_id}/url/").content.decode()
    assert (
        "http://testserver/Telephony/GetCallReport?reportVer=9991234&amp;agent={agent}&amp;callStart={callStart}"
        "&amp;ani={ani}&amp;language={language}&amp;dnis={dnis}"
    ) in content
    assert 'id="url-too-long"' not in content


def test_the_admin_names_the_placeholders(cast: Cast, ada: Client) -> None:
    query = "ph_ani=" + quote("${CALLERID(num)}") + "&ph_agent=" + quote("%AGENT_ID%") + "&ph_dnis=bad%20one"
    content = ada.get(f"/configure/forms/{cast.form_a.public_id}/url/?{query}").content.decode()
    assert "&amp;agent=%AGENT_ID%&amp;callStart={callStart}&amp;ani=${CALLERID(num)}" in content
    assert "&amp;dnis={dnis}" in content
    assert "these were ignored: dnis" in content


def test_the_builder_warns_when_a_realistic_url_passes_256_characters(cast: Cast, ada: Client) -> None:
    for index in range(6):
        Mapping.objects.create(
            form=cast.form_a, parameter=f"ivr_choice_{index}", value="", field_key="dialled_number", position=10 + index
        )
    content = ada.get(f"/configure/forms/{cast.form_a.public_id}/url/").content.decode()
    assert 'id="url-too-long"' in content
    assert "over 256" in content
