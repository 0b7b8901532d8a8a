from django.test import Client

from calldesk.reports.models import CallReport
from tests.cast import Cast


def test_the_example_url_opens_a_prefilled_draft(cast: Cast, specialist_client: Client) -> None:
    response = specialist_client.get(
        "/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=999-123-4567&dnis=8886201111&language=112211"
    )
    assert response.status_code == 303
    report = CallReport.objects.get()
    assert response["Location"] == f"/reports/{report.public_id}/"
    assert report.agent == cast.specialist
    assert report.phone_e164 == "+19991234567"
    assert report.values == {"language": "Spanish", "incoming_line": "Main line", "dialled_number": "8886201111"}
    page = specialist_client.get(response["Location"])
    assert page.status_code == 200
    assert b"Spanish" in page.content
