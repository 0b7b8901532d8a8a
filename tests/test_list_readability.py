"""Lists show numbers formatted for the organization and the draft's agent; filter addresses
carry no empty parameters."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from django.test import Client

from calldesk.reports.models import Status
from tests.cast import Cast
from tests.reportdata import NY, Known, make_known, make_report


@pytest.fixture
def known(cast: Cast) -> Known:
    return make_known(cast)


def test_the_report_list_shows_numbers_in_the_regions_format_and_keeps_what_was_sent(
    cast: Cast, supervisor_client: Client, known: Known
) -> None:
    make_report(
        cast.form_a, cast.specialist, datetime(2026, 3, 3, 9, 0, tzinfo=NY), phone=("442079460958", "+442079460958")
    )
    html = supervisor_client.get("/reports/").content.decode()
    # r1 was sent as 999-123-4567 and r2 as (999) 123 4567: both read the same, nationally.
    assert html.count(">(999) 123-4567</td>") == 2
    assert 'title="Sent as 999-123-4567"' in html and 'title="Sent as (999) 123 4567"' in html
    assert ">+44 20 7946 0958</td>" in html  # another country: international
    known.r2.refresh_from_db()
    assert known.r2.phone_raw == "(999) 123 4567"  # the report keeps what was sent
    page = supervisor_client.get(f"/reports/{known.r2.public_id}/").content.decode()
    assert "<dd>(999) 123 4567</dd>" in page


def test_unfinished_calls_shows_the_agent_beside_the_author(cast: Cast, supervisor_client: Client) -> None:
    make_report(
        cast.form_a,
        cast.specialist,
        datetime(2026, 3, 3, 9, 0, tzinfo=NY),
        agent=cast.specialist2,
        status=Status.DRAFT,
        phone=("999-123-4567", "+19991234567"),
    )
    html = supervisor_client.get("/reports/unfinished/").content.decode()
    assert "<th>Agent</th><th>Author</th>" in html
    row = html[html.index("<tbody>") :]
    assert "<td>Kim Specialist</td><td>Sam Specialist</td>" in row
    assert ">(999) 123-4567</td>" in row


def test_a_filter_submitted_with_empty_fields_leads_to_an_address_without_them(
    cast: Cast, supervisor_client: Client, known: Known
) -> None:
    response = supervisor_client.get(
        "/reports/?from=2026-03-01&to=&agent=&form=&call_type=&status=&phone=&f_language=Spanish&f_summary=&sort="
    )
    assert response.status_code == 302
    assert response["Location"] == "/reports/?from=2026-03-01&f_language=Spanish"
    assert supervisor_client.get("/reports/?from=&to=")["Location"] == "/reports/"
    everything_empty = supervisor_client.get(response["Location"])
    assert everything_empty.status_code == 200


def test_pager_sort_and_export_links_carry_no_empty_parameters(
    cast: Cast, supervisor_client: Client, known: Known
) -> None:
    for n in range(55):
        make_report(cast.form_a, cast.specialist, datetime(2026, 3, 4, 8, n % 60, tzinfo=NY))
    html = supervisor_client.get("/reports/?from=2026-03-01").content.decode()
    links = re.findall(r'href="(/reports/\?[^"]*)"', html)
    assert links, "the page has filter links"
    for link in links:
        query = link.split("?", 1)[1].replace("&amp;", "&")
        for pair in query.split("&"):
            key, _, value = pair.partition("=")
            assert key and value, f"empty parameter in {link}"
    assert 'href="/reports/?from=2026-03-01&amp;page=2"' in html
    assert 'href="/reports/?from=2026-03-01&amp;sort=call_start"' in html


def test_the_dashboard_filter_drops_empty_parameters_too(supervisor_client: Client, known: Known) -> None:
    response = supervisor_client.get("/dashboards/?from=2026-03-01&to=2026-03-10&form=")
    assert response.status_code == 302
    assert response["Location"] == "/dashboards/?from=2026-03-01&to=2026-03-10"
