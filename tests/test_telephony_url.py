"""SPEC §2, the URL itself: path and names in any case, decoding, repeats, reportVer, POST, length."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from calldesk.reports.models import CallReport
from calldesk.telephony.models import Call
from tests.cast import Cast

URL = "/Telephony/GetCallReport"


def report_at(location: str) -> CallReport:
    match = re.fullmatch(r"/reports/([0-9a-f-]{36})/", location)
    assert match, location
    return CallReport.objects.get(public_id=match.group(1))


def call_of(report: CallReport) -> Call:
    assert report.call is not None
    return report.call


def pop(client: Client, query: str) -> CallReport:
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 303, response.content[:500]
    return report_at(response["Location"])


def main_content(html: bytes) -> str:
    text = html.decode()
    body = text[text.index("<main") : text.index("</main>")]
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", body)


@pytest.mark.parametrize("path", ["/telephony/getcallreport", "/TELEPHONY/GETCALLREPORT", "/Telephony/GetCallReport/"])
def test_it_matches_the_path_in_any_case(cast: Cast, specialist_client: Client, path: str) -> None:
    response = specialist_client.get(f"{path}?reportVer=9991234&ani=9991234567")
    assert response.status_code == 303
    assert report_at(response["Location"]).phone_e164 == "+19991234567"


def test_it_matches_parameter_names_in_any_case(cast: Cast, specialist_client: Client) -> None:
    report = pop(
        specialist_client, "ReportVer=9991234&ANI=9991234567&callstart=2008-09-22T14:01:54Z&AGENT=34&LANGUAGE=112211"
    )
    assert report.phone_e164 == "+19991234567"
    assert report.call_start.isoformat() == "2008-09-22T14:01:54+00:00"
    assert report.agent == cast.specialist
    assert report.values["language"] == "Spanish"


def test_it_percent_decodes_values_once(cast: Cast, specialist_client: Client) -> None:
    report = pop(specialist_client, "reportVer=9991234&agent=sam%40lifeline.example&dnis=line%2540one")
    assert report.agent == cast.specialist
    assert report.values["dialled_number"] == "line%40one"


def test_a_doubly_encoded_email_is_not_decoded_twice(cast: Cast, specialist_client: Client) -> None:
    report = pop(specialist_client, "reportVer=9991234&agent=sam%2540lifeline.example")
    assert report.agent is None
    assert any("sam%40lifeline.example" in notice for notice in call_of(report).notices)


def test_a_repeated_parameter_uses_the_first_non_empty_value_and_warns(cast: Cast, specialist_client: Client) -> None:
    response = specialist_client.get(f"{URL}?reportVer=9991234&ani=&ani=9991234567&ANI=8881234567")
    report = report_at(response["Location"])
    assert report.phone_e164 == "+19991234567"
    warnings = [n for n in call_of(report).notices if "`ani`" in n and "3 times" in n]
    assert len(warnings) == 1
    page = specialist_client.get(response["Location"])
    assert "The parameter <code>ani</code> was sent 3 times" in page.content.decode()


def test_a_repeated_report_ver_uses_the_first_non_empty_one(cast: Cast, specialist_client: Client) -> None:
    report = pop(specialist_client, "reportVer=&reportVer=9991234&reportver=5550001")
    assert report.form == cast.form_a


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_first_non_empty_value_counts_across_spellings_of_a_name(
    cast: Cast, specialist_client: Client, method: str
) -> None:
    # In the order sent, not grouped by spelling: `ANI=` comes first but is empty.
    query = "reportVer=9991234&ANI=&ani=9991234567&ANI=8881234567"
    if method == "GET":
        response = specialist_client.get(f"{URL}?{query}")
    else:
        response = specialist_client.post(URL, query, content_type="application/x-www-form-urlencoded")
    report = report_at(response["Location"])
    assert report.phone_e164 == "+19991234567"
    assert call_of(report).params == [
        ["reportVer", "9991234"],
        ["ANI", ""],
        ["ani", "9991234567"],
        ["ANI", "8881234567"],
    ]


@pytest.mark.parametrize("query", ["", "?ani=9991234567", "?reportVer=", "?reportVer=%20%20&agent=34"])
@pytest.mark.parametrize("logged_in", [True, False])
def test_a_missing_report_ver_is_a_clear_400(cast: Cast, query: str, logged_in: bool) -> None:
    client = Client()
    if logged_in:
        client.force_login(cast.specialist)
    response = client.get(URL + query)
    assert response.status_code == 400
    assert "reportVer is missing" in response.content.decode()
    assert not Call.objects.exists()


def test_unknown_retired_and_foreign_forms_get_one_identical_404(cast: Cast, specialist_client: Client) -> None:
    retired = pop(specialist_client, "reportVer=9991234").form
    retired.retired_at = timezone.now()
    retired.save(update_fields=["retired_at"])
    bodies = []
    for report_ver in ["0000000", "9991234", "5550001"]:
        response = specialist_client.get(f"{URL}?reportVer={report_ver}&ani=9991234567")
        assert response.status_code == 404
        bodies.append(main_content(response.content))
    assert bodies[0] == bodies[1] == bodies[2]
    assert "9991234" not in bodies[0] and "5550001" not in bodies[0]


def test_a_form_encoded_post_behaves_like_a_get(cast: Cast, specialist_client: Client) -> None:
    response = specialist_client.post(
        "/telephony/getcallreport",
        {"ReportVer": "9991234", "agent": "34", "ani": "999-123-4567", "language": "112211"},
    )
    assert response.status_code == 303
    report = report_at(response["Location"])
    assert (report.agent, report.phone_e164, report.values["language"]) == (cast.specialist, "+19991234567", "Spanish")


def test_a_post_without_report_ver_is_a_400(cast: Cast, specialist_client: Client) -> None:
    assert specialist_client.post(URL, {"ani": "9991234567"}).status_code == 400


@pytest.mark.parametrize("method", ["put", "delete", "head", "options", "patch"])
def test_other_methods_are_refused(cast: Cast, specialist_client: Client, method: str) -> None:
    assert getattr(specialist_client, method)(f"{URL}?reportVer=9991234").status_code == 405
    assert not Call.objects.exists()


def test_a_url_of_more_than_8_kb_is_accepted(cast: Cast, specialist_client: Client) -> None:
    extra = "&".join(f"ivr{n}=value-{n:04d}-padding" for n in range(400))
    query = f"reportVer=9991234&agent=34&ani=9991234567&language=112211&dnis=8886201111&{extra}"
    assert len(URL) + 1 + len(query) > 8192
    report = pop(specialist_client, query)
    assert report.values["incoming_line"] == "Main line"
    assert len(call_of(report).unmapped) == 400
    assert call_of(report).unmapped[0] == ["ivr0", "value-0000-padding"]


def test_the_redirect_goes_to_an_opaque_address_without_the_number(cast: Cast, specialist_client: Client) -> None:
    response = specialist_client.get(f"{URL}?reportVer=9991234&ani=9991234567")
    assert response.status_code == 303
    assert re.fullmatch(r"/reports/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/", response["Location"])
    assert "9991234567" not in response["Location"]


def test_a_specialist_of_another_organization_cannot_open_the_form(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.specialist_b)
    assert client.get(f"{URL}?reportVer=9991234&agent=34").status_code == 404
    assert not Call.objects.exists()


def test_a_specialist_of_another_organization_cannot_open_the_draft(cast: Cast, specialist_client: Client) -> None:
    location = specialist_client.get(f"{URL}?reportVer=9991234&ani=9991234567")["Location"]
    client = Client()
    client.force_login(cast.specialist_b)
    response = client.get(location)
    assert response.status_code == 404
    assert b"9991234567" not in response.content
    assert client.post(location + "save", {"version": "1"}).status_code == 404


def test_each_organization_opens_its_own_form(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.specialist_b)
    report = pop(client, "reportVer=5550001&agent=34&language=112211")
    assert report.form == cast.form_b
    assert report.agent == cast.specialist_b
    assert report.values == {}
    assert call_of(report).unmapped == [["language", "112211"]]


def test_nul_characters_are_dropped_not_a_crash(cast: Cast, specialist_client: Client) -> None:
    report = pop(specialist_client, "reportVer=9991234&dnis=888%00620&ani=%00&callStart=%00&x%00y=1%00")
    assert report.values["dialled_number"] == "888620"
    assert call_of(report).unmapped == [["xy", "1"]]
    assert all("\x00" not in name + value for name, value in call_of(report).params)


def test_too_many_parameters_are_a_400_not_a_crash(cast: Cast, specialist_client: Client) -> None:
    query = "reportVer=9991234&" + "&".join(f"p{n}=1" for n in range(2500))
    response = specialist_client.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert not Call.objects.exists()
