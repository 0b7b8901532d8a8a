"""Editing a service's or location's phones, schedules and taxonomy terms in pages, with the
import's limits and words; and the record pages themselves held to the same limits."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from calldesk.resources import limits
from calldesk.resources.models import Attribute, Location, Phone, Schedule, Service
from calldesk.resources.search import Query, search
from tests.cast import Cast
from tests.resources_directory import load_directory, service_id, term_id


@pytest.fixture
def directory(cast: Cast, tmp_path: Path) -> Cast:
    load_directory(cast.org_a, tmp_path)
    return cast


def food_bank() -> Service:
    return Service.objects.get(id=service_id("Eastside Food Bank"))


def base(service: Service | None = None) -> str:
    return f"/resources/admin/services/{(service or food_bank()).id}"


def test_the_service_page_lists_its_phones_schedules_and_terms(directory: Cast, supervisor_client: Client) -> None:
    page = supervisor_client.get(f"{base()}/").content.decode()
    assert "217-555-0100" in page and "Food pantries" in page and "MO,TU,WE,TH,FR 09:00–17:00" in page
    assert f'href="{base()}/phones/new"' in page and f'href="{base()}/terms/new"' in page


def test_a_supervisor_adds_edits_and_removes_a_phone(directory: Cast, supervisor_client: Client) -> None:
    saved = supervisor_client.post(
        f"{base()}/phones/new", {"number": "217-555-0199", "extension": "12", "type": "fax", "verified": "on"}
    )
    assert saved.status_code == 302
    phone = Phone.objects.get(number="217-555-0199")
    assert phone.service == food_bank() and phone.owner == directory.org_a and phone.extension == 12
    service = food_bank()
    assert service.last_verified_by == directory.supervisor and service.last_verified_on is not None

    supervisor_client.post(f"{base()}/phones/{phone.id}/", {"number": "217-555-0198", "type": "voice"})
    phone.refresh_from_db()
    assert (phone.number, phone.type, phone.extension) == ("217-555-0198", "voice", None)
    assert "217-555-0198" in search(directory.org_a, Query(words="eastside")).hits[0].phones

    assert supervisor_client.post(f"{base()}/phones/{phone.id}/remove").status_code == 302
    phone.refresh_from_db()
    assert phone.retired_at is not None
    assert "217-555-0198" not in supervisor_client.get(f"{base()}/").content.decode()
    assert supervisor_client.get(f"{base()}/phones/{phone.id}/").status_code == 404


def test_a_phone_is_held_to_the_import_limits_and_words(directory: Cast, supervisor_client: Client) -> None:
    before = Phone.objects.count()
    missing = supervisor_client.post(f"{base()}/phones/new", {"number": "", "type": "voice"})
    assert missing.status_code == 400 and "This field is required." in missing.content.decode()
    long = supervisor_client.post(f"{base()}/phones/new", {"number": "1" * (limits.MAX_SHORT_TEXT + 1)})
    assert long.status_code == 400
    assert f"is longer than {limits.MAX_SHORT_TEXT:,} characters" in long.content.decode()
    assert Phone.objects.count() == before


def test_a_schedule_is_added_with_the_import_rules(directory: Cast, supervisor_client: Client) -> None:
    bad = supervisor_client.post(
        f"{base()}/schedules/new", {"freq": "DAILY", "byday": "SA", "opens_at": "09:00", "closes_at": "12:00"}
    )
    assert bad.status_code == 400 and "&#x27;DAILY&#x27; must be one of: WEEKLY, MONTHLY" in bad.content.decode()
    wrong_time = supervisor_client.post(f"{base()}/schedules/new", {"opens_at": "25:00"})
    assert wrong_time.status_code == 400 and "Enter a valid time." in wrong_time.content.decode()
    assert Schedule.objects.filter(service=food_bank(), byday="SA").count() == 0

    good = supervisor_client.post(
        f"{base()}/schedules/new", {"freq": "WEEKLY", "byday": "SA", "opens_at": "09:00", "closes_at": "12:00"}
    )
    assert good.status_code == 302
    hours = search(directory.org_a, Query(words="eastside")).hits[0].hours
    assert "SA 09:00–12:00" in hours
    assert food_bank().last_verified_on is None  # not ticked: not verified


def test_a_term_is_attached_by_code_or_name_and_search_finds_it(directory: Cast, supervisor_client: Client) -> None:
    assert not search(directory.org_a, Query(words="legal", active_only=True)).hits[0].service.name.startswith("East")
    unknown = supervisor_client.post(f"{base()}/terms/new", {"term": "NO-SUCH"})
    assert unknown.status_code == 400 and "No taxonomy term of the directory" in unknown.content.decode()
    assert supervisor_client.post(f"{base()}/terms/new", {"term": "legal aid"}).status_code == 302
    link = Attribute.objects.get(link_id=food_bank().id, taxonomy_term_id=term_id("legal"))
    assert link.link_entity == "service" and link.owner == directory.org_a
    found = [h.service.name for h in search(directory.org_a, Query(term_id=link.taxonomy_term_id)).hits]
    assert "Eastside Food Bank" in found

    supervisor_client.post(f"{base()}/terms/{link.id}/remove")
    found = [h.service.name for h in search(directory.org_a, Query(term_id=link.taxonomy_term_id)).hits]
    assert "Eastside Food Bank" not in found


def test_a_location_has_its_own_phones_and_terms(directory: Cast, supervisor_client: Client) -> None:
    location = Location.objects.filter(owner=directory.org_a).order_by("id").first()
    assert location is not None
    where = f"/resources/admin/locations/{location.id}"
    assert supervisor_client.post(f"{where}/phones/new", {"number": "217-555-0177"}).status_code == 302
    assert Phone.objects.get(number="217-555-0177").location == location
    assert supervisor_client.post(f"{where}/terms/new", {"term": "CLINIC"}).status_code == 302
    assert Attribute.objects.get(link_id=location.id, retired_at=None).link_entity == "location"


def test_outsiders_never_reach_the_parts(directory: Cast, specialist_client: Client, supervisor_client: Client) -> None:
    phone = Phone.objects.filter(service=food_bank()).first()
    assert phone is not None
    assert specialist_client.post(f"{base()}/phones/new", {"number": "1"}).status_code == 404
    assert specialist_client.post(f"{base()}/phones/{phone.id}/remove").status_code == 404
    other = Client()
    other.force_login(directory.specialist_b)
    assert other.get(f"{base()}/phones/{phone.id}/").status_code == 404
    assert Client().get(f"{base()}/phones/new").status_code == 302
    # Parts only of services and locations, only the kinds there are, only the record's own.
    assert supervisor_client.get(f"{base()}/languages/new").status_code == 404
    org = food_bank().organization
    assert supervisor_client.get(f"/resources/admin/organizations/{org.id}/phones/new").status_code == 404
    shelter = Service.objects.get(id=service_id("Night Shelter"))
    assert supervisor_client.get(f"{base(shelter)}/phones/{phone.id}/").status_code == 404
    assert supervisor_client.get(f"{base()}/phones/not-a-uuid/").status_code == 404
    assert supervisor_client.get(f"{base()}/phones/{phone.id}/remove").status_code == 405
    assert Phone.objects.get(id=phone.id).retired_at is None


def test_a_record_page_refuses_what_an_import_refuses(directory: Cast, supervisor_client: Client) -> None:
    """The record pages checked Django's types only: a latitude of 123 or a 50,000-character name
    was saved, though an import refuses both."""
    location = Location.objects.filter(owner=directory.org_a, latitude__isnull=False).order_by("id").first()
    assert location is not None
    data = {"location_type": "physical", "name": location.name, "latitude": "123", "longitude": "-89.6"}
    response = supervisor_client.post(f"/resources/admin/locations/{location.id}/", data)
    assert response.status_code == 400 and "&#x27;123&#x27; must be from -90 to 90" in response.content.decode()
    service = food_bank()
    data = {"name": "x" * (limits.MAX_SHORT_TEXT + 1), "status": "active", "description": "d"}
    response = supervisor_client.post(f"{base()}/", data)
    assert response.status_code == 400 and "is longer than 1,000 characters" in response.content.decode()
    location.refresh_from_db()
    assert location.latitude != 123 and food_bank().name == service.name
