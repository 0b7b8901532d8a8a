"""Page numbers from the query string: anything past the end shows the last page, anything
unreadable the first; never a 500, however many digits (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.cast import Cast
from tests.reportdata import Known, make_known

HUGE = ["99999999999999999999999", "9223372036854775808", "9223372036854775807", "1" + "0" * 5000]


@pytest.fixture
def known(cast: Cast) -> Known:
    return make_known(cast)


@pytest.mark.parametrize("sort", ["agent", "-form", "status", "call_start", "-call_start"])
@pytest.mark.parametrize("page", HUGE)
def test_a_huge_page_number_shows_the_last_page(supervisor_client: Client, known: Known, sort: str, page: str) -> None:
    response = supervisor_client.get(f"/reports/?sort={sort}&status=any&page={page}")
    assert response.status_code == 200
    # Six known reports fit on one page: the last page is the first, and it lists them.
    assert response.context["page"].number == 1
    assert len(response.context["page"].object_list) == 6


@pytest.mark.parametrize("page", ["-5", "0", "1e3", "abc", "²", ""])
def test_an_unreadable_page_number_shows_the_first_page(supervisor_client: Client, known: Known, page: str) -> None:
    for sort in ("agent", "call_start"):
        # An empty `page=` is first dropped from the address (a redirect), like every empty parameter.
        response = supervisor_client.get(f"/reports/?sort={sort}&status=any&page={page}", follow=True)
        assert response.status_code == 200
        assert response.context["page"].number == 1


def test_the_unfinished_list_takes_a_huge_page_number_too(supervisor_client: Client, known: Known) -> None:
    assert supervisor_client.get(f"/reports/unfinished/?page={HUGE[0]}").status_code == 200
