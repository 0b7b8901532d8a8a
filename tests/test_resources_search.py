"""Search of the resource directory: named queries and their expected results on a fixed
directory. The same expectations hold on SQLite (FTS5) and PostgreSQL (full text + pg_trgm)."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from calldesk.resources.search import Query, edit_distance, fold, is_open, search
from tests.cast import Cast
from tests.resources_directory import load_directory, term_id


@pytest.fixture
def directory(cast: Cast, tmp_path: Path) -> Cast:
    load_directory(cast.org_a, tmp_path)
    return cast


def names(cast: Cast, **query: object) -> list[str]:
    return [hit.service.name for hit in search(cast.org_a, Query(**query)).hits]  # type: ignore[arg-type]


NAMED_QUERIES = [
    ("a word in names", {"words": "food"}, ["Eastside Food Bank", "Peoria Food Pantry"]),
    ("a word in a description", {"words": "groceries"}, ["Eastside Food Bank", "Peoria Food Pantry"]),
    ("two words, both needed", {"words": "food parcels"}, ["Eastside Food Bank"]),
    ("without accents", {"words": "clinica"}, ["Clínica Esperanza"]),
    # "care" is one letter from "cafe": found too, after the name that holds the word itself.
    ("with other accents and case", {"words": "CAFÉ"}, ["Café Solidaire", "Clínica Esperanza"]),
    ("a letter swapped", {"words": "shleter"}, ["Night Shelter"]),
    ("a letter wrong", {"words": "counceling"}, ["Crisis Counseling Line"]),
    ("the start of a word", {"words": "couns"}, ["Crisis Counseling Line"]),
    ("the organization's name", {"words": "sangamon eviction"}, ["Tenant Legal Aid"]),
    ("a word of the term", {"words": "pantries"}, ["Eastside Food Bank", "Peoria Food Pantry"]),
    ("name before description", {"words": "emergency"}, ["Eastside Food Bank", "Night Shelter"]),
    ("nothing", {"words": "zeppelin"}, []),
    (
        "a term and the terms below it",
        {"term_id": uuid.UUID(term_id("pantry"))},
        ["Café Solidaire", "Eastside Food Bank", "Peoria Food Pantry"],
    ),
    ("a term below", {"term_id": uuid.UUID(term_id("meals"))}, ["Café Solidaire"]),
    ("language by code", {"language": "es"}, ["Clínica Esperanza", "Crisis Counseling Line", "Eastside Food Bank"]),
    ("language by name", {"language": "french"}, ["Café Solidaire"]),
    (
        "inactive ones too",
        {"words": "food", "active_only": False},
        ["Eastside Food Bank", "Old Food Program", "Peoria Food Pantry"],
    ),
    (
        "near a postal code, nearest first",
        {"place": "62701", "radius_km": 10},
        ["Night Shelter", "Eastside Food Bank", "Café Solidaire", "Clínica Esperanza", "Tenant Legal Aid"],
    ),
    ("near a point", {"latitude": 40.69, "longitude": -89.59, "radius_km": 5}, ["Peoria Food Pantry"]),
    ("words near a place", {"words": "food", "place": "62701", "radius_km": 10}, ["Eastside Food Bank"]),
    ("an unknown postal code", {"place": "99999"}, []),
]


def test_named_queries_give_their_expected_results(directory: Cast) -> None:
    # One import for every query (an import per query made this file ten times slower); every
    # wrong query is listed, not only the first.
    wrong = {label: got for label, query, expected in NAMED_QUERIES if (got := names(directory, **query)) != expected}
    assert wrong == {}


def test_distances_are_shown_in_km(directory: Cast) -> None:
    hits = search(directory.org_a, Query(place="62704", radius_km=50)).hits
    assert hits[0].distance_km == 0.0
    assert [round(h.distance_km or 0) for h in hits] == sorted(round(h.distance_km or 0) for h in hits)
    assert hits[0].phones and hits[0].address.endswith("62704")


# Tuesday 8 December 2026; New York is UTC-5.
def ny(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return (
        dt.datetime(2026, 12, day, hour + 5, minute, tzinfo=dt.UTC)
        if hour + 5 < 24
        else dt.datetime(2026, 12, day + 1, hour + 5 - 24, minute, tzinfo=dt.UTC)
    )


def test_open_now_reads_hours_in_the_organizations_zone(directory: Cast) -> None:
    assert names(directory, open_now=True, at=ny(8, 23, 30)) == ["Crisis Counseling Line", "Night Shelter"]
    # Past midnight, the shelter that opened on Tuesday evening is still open.
    assert names(directory, open_now=True, at=ny(9, 7, 30)) == ["Crisis Counseling Line", "Night Shelter"]
    assert names(directory, open_now=True, at=ny(9, 10)) == [
        "Clínica Esperanza",
        "Crisis Counseling Line",
        "Eastside Food Bank",
        "Peoria Food Pantry",
    ]
    saturday_noon = ny(12, 12)
    assert names(directory, open_now=True, at=saturday_noon) == [
        "Café Solidaire",
        "Clínica Esperanza",
        "Crisis Counseling Line",
    ]
    # Words and open now together.
    assert names(directory, words="food", open_now=True, at=saturday_noon) == []


def test_another_organization_sees_nothing_of_this_directory(directory: Cast) -> None:
    assert search(directory.org_b, Query(words="food")).hits == []
    assert search(directory.org_b, Query()).hits == []


def test_hours_across_midnight_belong_to_the_day_they_open() -> None:
    night = (dt.time(20), dt.time(8))
    saturday_night = dt.datetime(2026, 12, 12, 23)
    sunday_morning = dt.datetime(2026, 12, 13, 7)
    monday_morning = dt.datetime(2026, 12, 14, 7)
    assert is_open(saturday_night, "SA", *night)
    assert is_open(sunday_morning, "SA", *night)
    assert not is_open(monday_morning, "SA", *night)
    assert not is_open(sunday_morning, "SU", *night)


def test_folding_and_edit_distance() -> None:
    assert fold("Clínica ÉSPERANZA") == "clinica esperanza"
    assert edit_distance("shelter", "shleter", 2) == 1
    assert edit_distance("food", "bank", 1) == 2


def test_a_retired_service_is_no_longer_found(directory: Cast, tmp_path: Path) -> None:
    from calldesk.resources import services
    from calldesk.resources.generate import write_datapackage
    from tests.resources_directory import directory_rows, service_id

    rows = directory_rows()
    gone = service_id("Night Shelter")
    for name, table in rows.items():
        rows[name] = [r for r in table if gone not in (r["id"], r.get("service_id"), r.get("link_id"))]
    services.import_directory(directory.org_a, write_datapackage(rows, tmp_path / "v2"))
    assert names(directory, words="shelter") == []
    assert names(directory, open_now=True, at=ny(8, 23, 30)) == ["Crisis Counseling Line"]
    assert "Night Shelter" not in names(directory, place="62701", radius_km=10)


def test_words_within_a_typo_are_added_only_when_the_words_themselves_find_too_few(directory: Cast) -> None:
    # "care" is in the clinic's description; "cafe", one letter away, names the café. Asked for
    # one service, the word itself finds enough and the café is not tried.
    assert names(directory, words="care", limit=1) == ["Clínica Esperanza"]
    assert names(directory, words="care") == ["Café Solidaire", "Clínica Esperanza"]


def test_a_search_makes_the_same_few_queries_whatever_it_combines(
    directory: Cast, django_assert_max_num_queries: Any
) -> None:
    query = {
        "words": "food",
        "term_id": uuid.UUID(term_id("pantry")),
        "place": "62701",
        "radius_km": 10,
        "language": "es",
        "open_now": True,
        "at": ny(8, 12),
        "limit": 1,
    }
    names(directory, **query)  # the directory's words are read once per process
    # The words' own matches, the postcode's centre, how many services the other conditions
    # keep, one query that filters and ranks, the services shown, then their phones, locations,
    # addresses and hours. On PostgreSQL also the setting that plans for these values, and (inside
    # the test's transaction) the savepoint and its release.
    from django.db import connection

    with django_assert_max_num_queries(12 if connection.vendor == "postgresql" else 9):
        assert names(directory, **query) == ["Eastside Food Bank"]


def test_distances_are_measured_as_distance_km_says_on_either_database(directory: Cast) -> None:
    from calldesk.resources.models import Location
    from calldesk.resources.search import distance_km

    centre = (39.79, -89.66)
    hits = search(directory.org_a, Query(latitude=centre[0], longitude=centre[1], radius_km=50)).hits
    assert len(hits) == 5  # the active services with a place in Springfield
    for hit in hits:
        location = Location.objects.get(service_at_locations__service=hit.service)
        assert hit.distance_km == round(distance_km(centre, (location.latitude, location.longitude)), 3)


def test_open_now_in_the_database_agrees_with_is_open_around_the_week(directory: Cast) -> None:
    from tests.resources_directory import SERVICES

    for day in range(7, 14):
        for hour in range(0, 24, 3):
            at = ny(day, hour, 30)
            local = at.astimezone(directory.org_a.zone).replace(tzinfo=None)
            expected = sorted(
                name
                for name, _, _, _, _, (days, opens, closes), status in SERVICES
                if status == "active"
                and is_open(local, days, dt.time.fromisoformat(opens), dt.time.fromisoformat(closes))
            )
            assert names(directory, open_now=True, at=at) == expected, at


def test_day_codes_may_be_spaced_or_in_lower_case() -> None:
    tuesday_noon = dt.datetime(2026, 12, 8, 12)
    assert is_open(tuesday_noon, "mo, tu", dt.time(9), dt.time(17))
    assert is_open(tuesday_noon, " , ", dt.time(9), dt.time(17))  # no day named: every day
    assert not is_open(tuesday_noon, "we,th", dt.time(9), dt.time(17))


@pytest.mark.postgres
def test_an_import_leaves_the_search_indexes_ready_for_postgresql_planner(cast: Cast, tmp_path: Path) -> None:
    """A bulk write parks GIN entries in a pending list until a vacuum; meanwhile PostgreSQL
    reads every row instead of the index (35 to 50 ms a search at 50,000 services). An import
    merges them and takes the statistics, in its transaction."""
    load_directory(cast.org_a, tmp_path)
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple")
        for index in ("resources_searchword_trgm", "resources_serviceindex_words"):
            cursor.execute("SELECT pending_tuples FROM pgstatginindex(%s::regclass)", [index])
            assert cursor.fetchone() == (0,), index
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'resources_searchword'")
        assert cursor.fetchone()[0] > 0  # analysed: the planner knows the words are there
