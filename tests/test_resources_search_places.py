"""Search near a place: a postal code, a city ("Springfield", "springfield, il", accents and case
aside) or the caller's place field; its centre is the mean of the directory's own locations there,
kept per directory version (an edit of a location moves it at once). An unknown or ambiguous place
is said so, never an empty page that reads as "nothing near". The same on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from calldesk.resources import search, services
from calldesk.resources.models import Address, Location, Organization
from tests.apicast import bearer, token_for
from tests.cast import Cast
from tests.reporting import JSON
from tests.resources_directory import load_directory

SPRINGFIELD = ["Night Shelter", "Eastside Food Bank", "Café Solidaire", "Clínica Esperanza", "Tenant Legal Aid"]


@pytest.fixture
def directory(cast: Cast, tmp_path: Path) -> Cast:
    load_directory(cast.org_a, tmp_path)
    return cast


def found(cast: Cast, place: str, radius_km: float = 10) -> search.Result:
    return search.search(cast.org_a, search.Query(place=place, radius_km=radius_km))


def names(result: search.Result) -> list[str]:
    return [hit.service.name for hit in result.hits]


def test_a_city_is_a_place_whatever_its_case_accents_and_state(directory: Cast) -> None:
    expected = names(found(directory, "62701"))
    springfield = found(directory, "Springfield")
    assert names(springfield) and set(names(springfield)) == set(SPRINGFIELD)
    assert expected  # the postal code still works
    for typed in ("springfield", "SPRINGFIELD, IL", "  Springfield ,  il ", "Spríngfield, Il."):
        assert names(found(directory, typed)) == names(springfield), typed
    assert names(found(directory, "Péoria", radius_km=5)) == ["Peoria Food Pantry"]
    assert names(found(directory, "peoria, IL", radius_km=5)) == ["Peoria Food Pantry"]


def test_the_centre_of_a_city_is_the_mean_of_its_locations(directory: Cast) -> None:
    located = Location.objects.filter(owner=directory.org_a, addresses__city="Springfield")
    points = [(x.latitude, x.longitude) for x in located]
    mean = (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))
    centre = search.centre_of(directory.org_a, search.Query(place="springfield"), [])
    assert centre is not None
    assert abs(centre[0] - mean[0]) < 1e-6 and abs(centre[1] - mean[1]) < 1e-6


def test_an_unknown_place_is_said_so(directory: Cast) -> None:
    result = found(directory, "Gotham")
    assert result.hits == [] and result.notices == ["no location of the directory has the postal code or city “Gotham”"]
    assert found(directory, "Springfield, MO").notices  # a state the city is not in
    assert found(directory, "99999").notices


def test_a_city_in_two_states_asks_for_the_state(directory: Cast) -> None:
    other = Location.objects.create(owner=directory.org_a, location_type="physical", latitude=37.2, longitude=-93.3)
    Address.objects.create(
        owner=directory.org_a,
        location=other,
        address_1="1 Park",
        city="Springfield",
        state_province="MO",
        postal_code="65801",
        country="US",
        address_type="physical",
    )
    search.directory_changed(directory.org_a.pk)
    result = found(directory, "Springfield")
    assert result.hits == [] and "IL, MO" in result.notices[0] and "Springfield, IL" in result.notices[0]
    assert set(names(found(directory, "Springfield, IL"))) == set(SPRINGFIELD)
    assert found(directory, "springfield, mo", radius_km=50).hits == []  # no service there
    assert not found(directory, "springfield, mo", radius_km=50).notices


def test_the_panel_and_the_hsds_api_take_a_city_too(directory: Cast, specialist_client: Client) -> None:
    body = specialist_client.get("/resources/search?place=springfield%2C+il&radius=10", **JSON).json()
    assert {r["name"] for r in body["results"]} == set(SPRINGFIELD)
    body = specialist_client.get("/resources/search?place=Gotham", **JSON).json()
    assert body["results"] == [] and "Gotham" in body["notices"][0]
    token = token_for(directory.admin)
    near = Client().get("/hsds/service_at_locations?postcode=Peoria&proximity=1000", **bearer(token)).json()
    assert [item["service"]["name"] for item in near["contents"]] == ["Peoria Food Pantry"]
    unknown = Client().get("/hsds/service_at_locations?postcode=Gotham&proximity=1000", **bearer(token))
    assert unknown.status_code == 400 and "Gotham" in unknown.json()["detail"]


def centre_queries(cast: Cast, place: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        found(cast, place)
    return [q["sql"] for q in queries.captured_queries if "AVG(" in q["sql"] or "SUM(" in q["sql"]]


def test_a_place_centre_is_computed_once_per_directory_version(directory: Cast) -> None:
    found(directory, "62701")
    found(directory, "springfield")
    assert centre_queries(directory, "62701") == []
    assert centre_queries(directory, "Springfield") == []


def test_an_edited_location_moves_its_place_centre_at_once(directory: Cast, cast: Cast, tmp_path: Path) -> None:
    before = search.centre_of(directory.org_a, search.Query(place="Peoria"), [])
    before_code = search.centre_of(directory.org_a, search.Query(place="61602"), [])
    assert before == before_code == (40.69, -89.59)
    location = Location.objects.get(owner=directory.org_a, addresses__city="Peoria")
    location.latitude, location.longitude = 40.7, -89.6
    services.save_record(location, cast.admin, verified=False)
    assert search.centre_of(directory.org_a, search.Query(place="Peoria"), []) == (40.7, -89.6)
    assert search.centre_of(directory.org_a, search.Query(place="61602"), []) == (40.7, -89.6)
    # And an import that changes nothing still starts a new version (its rows were rewritten).
    version = search.directory_version(directory.org_a)
    load_directory(directory.org_a, tmp_path / "again")
    assert search.directory_version(directory.org_a) != version
    assert search.centre_of(directory.org_a, search.Query(place="Peoria"), []) == (40.69, -89.59)


def test_a_renamed_organization_is_found_by_its_new_name_at_once(directory: Cast, cast: Cast) -> None:
    organization = Organization.objects.get(owner=directory.org_a, name="Sangamon Community Services")
    organization.name = "Prairie Harbor Services"
    services.save_record(organization, cast.admin, verified=False)
    assert "Eastside Food Bank" in names(search.search(directory.org_a, search.Query(words="harbor")))
    assert search.search(directory.org_a, search.Query(words="sangamon")).hits == []
