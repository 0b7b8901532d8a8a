"""The read-only HSDS API at /hsds/: HSDS's paths, query parameters and paging envelope, behind
an API token or public when the organization says so; schemathesis against HSDS's own OpenAPI
description (no 500, no answer that breaks the schema)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from calldesk.resources.models import DirectorySettings
from tests.apicast import bearer, other_org_token, revoked_token, token_for
from tests.cast import Cast
from tests.resources_directory import load_directory, service_id, term_id

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def token(cast: Cast, tmp_path: Path) -> str:
    load_directory(cast.org_a, tmp_path)
    return token_for(cast.admin)


def get(path: str, token: str | None = None) -> dict:
    response = Client().get(path, **(bearer(token) if token else {}))
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/json"
    return response.json()


def names(page: dict) -> list[str]:
    return [item.get("name") or item["service"]["name"] for item in page["contents"]]


def test_the_root_says_the_version_and_where_the_description_is(token: str) -> None:
    body = get("/hsds/", token)
    assert body["version"] == "3.0"
    assert body["openapi_url"].endswith("/hsds/openapi.json")


def test_services_are_paged_as_hsds_says(token: str) -> None:
    first = get("/hsds/services?per_page=3", token)
    assert {k: v for k, v in first.items() if k != "contents"} == {
        "total_items": 8,
        "total_pages": 3,
        "page_number": 1,
        "size": 3,
        "first_page": True,
        "last_page": False,
        "empty": False,
    }
    last = get("/hsds/services?per_page=3&page=3", token)
    assert last["size"] == 2 and last["last_page"] and not last["first_page"]
    beyond = get("/hsds/services?per_page=3&page=9", token)
    assert beyond["empty"] and beyond["contents"] == []
    every = names(get("/hsds/services?per_page=50", token))
    assert every[:3] == ["Café Solidaire", "Clínica Esperanza", "Crisis Counseling Line"]
    assert "Old Food Program" in every  # HSDS lists inactive services too, with their status


def page_queries(path: str, token: str) -> tuple[dict, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        body = get(path, token)
    return body, [q["sql"] for q in queries.captured_queries]


def lists_services(sql: str) -> bool:
    # The queries that list services or their search rows in order (not those reading one page's details).
    return bool(re.search(r'FROM "?resources_(service|serviceindex)"? ', sql)) and "ORDER BY" in sql


def test_a_page_is_what_the_database_returns_not_every_row(token: str) -> None:
    for path in ("/hsds/services?per_page=3&page=2", "/hsds/services?search=food&per_page=1&page=2"):
        body, sql = page_queries(path, token)
        assert body["page_number"] == 2 and body["size"] in (1, 3)
        listing = [q for q in sql if lists_services(q) and "COUNT(" not in q.upper()]
        assert listing and all(re.search(r"LIMIT \d+ OFFSET \d+", q) for q in listing), listing
        assert all("LIMIT 100000" not in q for q in sql)
        assert any("COUNT(" in q.upper() for q in sql)  # the total, counted by the database
    assert names(get("/hsds/services?search=food&per_page=1&page=2", token)) == ["Old Food Program"]
    assert get("/hsds/services?search=food&per_page=1&page=2", token)["total_items"] == 3
    # A typo is found on every page of one listing, whatever the page.
    assert names(get("/hsds/services?search=foood&per_page=2&page=2", token)) == ["Peoria Food Pantry"]


def test_services_by_search_term_taxonomy_and_organization(token: str) -> None:
    assert names(get("/hsds/services?search=food", token)) == [
        "Eastside Food Bank",
        "Old Food Program",
        "Peoria Food Pantry",
    ]
    assert names(get(f"/hsds/services?taxonomy_term_id={term_id('meals')}", token)) == ["Café Solidaire"]
    assert names(get("/hsds/services?taxonomy_term_id=not-a-uuid", token)) == []
    assert names(get("/hsds/services?modified_after=2030-01-01T00:00:00Z", token)) == []
    taxonomy = get("/hsds/taxonomies", token)["contents"][0]
    assert get(f"/hsds/services?taxonomy_id={taxonomy['id']}", token)["total_items"] == 8


def test_one_service_comes_whole(token: str) -> None:
    body = get(f"/hsds/services/{service_id('Eastside Food Bank')}", token)
    assert body["name"] == "Eastside Food Bank"
    assert body["organization"]["name"] == "Sangamon Community Services"
    assert [p["number"] for p in body["phones"]] == ["217-555-0100"]
    assert body["schedules"][0]["opens_at"] == "09:00:00"
    assert body["service_at_locations"][0]["location"]["addresses"][0]["postal_code"] == "62701"
    assert body["attributes"][0]["taxonomy_term"]["name"] == "Food pantries"
    assert {x["code"] for x in body["languages"]} == {"en", "es"}


def test_service_at_locations_near_a_postcode(token: str) -> None:
    near = names(get("/hsds/service_at_locations?postcode=62701&proximity=1000", token))
    assert near == ["Night Shelter", "Old Food Program", "Eastside Food Bank", "Café Solidaire"]
    # An unknown place is said so, never an empty page that reads as "nothing near".
    unknown = Client().get("/hsds/service_at_locations?postcode=00000&proximity=1000", **bearer(token))
    assert unknown.status_code == 400
    assert "00000" in unknown.json()["detail"]


def test_service_at_locations_by_search_come_in_rank_order_a_page_from_the_database(token: str) -> None:
    every = get("/hsds/service_at_locations?search=food&per_page=50", token)
    assert names(every) == ["Eastside Food Bank", "Old Food Program", "Peoria Food Pantry"]
    assert every["total_items"] == 3
    assert names(get("/hsds/service_at_locations?search=foood&per_page=50", token)) == names(every)  # a typo too
    body, sql = page_queries("/hsds/service_at_locations?search=food&per_page=1&page=2", token)
    assert names(body) == ["Old Food Program"] and body["total_items"] == 3 and body["page_number"] == 2
    # The rank is joined and paged in SQL: no query carries the list of every matching service.
    matches = [service_id(name) for name in names(every)]
    assert not [q for q in sql if sum(m.replace("-", "") in q.replace("-", "") for m in matches) > 1], sql
    assert any(re.search(r"LIMIT \d+ OFFSET \d+", q) and "resources_serviceatlocation" in q for q in sql)
    # With a place, the search keeps its services and the distance orders them.
    near = names(get("/hsds/service_at_locations?postcode=62701&proximity=1000&search=food", token))
    assert near == ["Old Food Program", "Eastside Food Bank"]
    assert get("/hsds/service_at_locations?search=zeppelin", token)["total_items"] == 0


def test_terms_and_organizations(token: str) -> None:
    top = names(get("/hsds/taxonomy_terms?top_only=true", token))
    assert "Hot meals" not in top and "Food pantries" in top
    below = get(f"/hsds/taxonomy_terms?parent_id={term_id('pantry')}", token)
    assert names(below) == ["Hot meals"]
    term = get(f"/hsds/taxonomy_terms/{term_id('meals')}", token)
    assert term["taxonomy_detail"]["name"] == "Needs"
    organization = get("/hsds/organizations", token)["contents"][0]
    whole = get(f"/hsds/organizations/{organization['id']}?full_service=true", token)
    assert len(whole["services"]) == 8 and "phones" in whole["services"][0]


def test_unknown_ids_are_404_and_the_directory_needs_a_token(cast: Cast, token: str) -> None:
    assert Client().get("/hsds/services/nope", **bearer(token)).status_code == 404
    assert Client().get(f"/hsds/services/{term_id('meals')}", **bearer(token)).status_code == 404
    assert Client().get("/hsds/services").status_code == 401
    assert Client().get("/hsds/services", **bearer(revoked_token(cast.admin))).status_code == 401
    assert Client().get(f"/hsds/services?token={token}").status_code == 401
    # Another organization's token reads its own (empty) directory, never this one.
    other = other_org_token(cast)
    assert get("/hsds/services", other)["total_items"] == 0
    assert Client().get(f"/hsds/services/{service_id('Night Shelter')}", **bearer(other)).status_code == 404


def test_a_public_directory_is_read_without_a_token(cast: Cast, token: str) -> None:
    address = f"/hsds/services?directory={cast.org_a.public_id}"
    assert Client().get(address).status_code == 401
    DirectorySettings.objects.update_or_create(owner=cast.org_a, defaults={"public_api": True})
    assert get(address)["total_items"] == 8
    assert Client().get(f"/hsds/services?directory={cast.org_b.public_id}").status_code == 401


def test_the_description_is_hsds_with_local_schemas(db: None) -> None:
    document = get("/hsds/openapi.json")
    assert set(document["paths"]) >= {"/services", "/services/{id}", "/service_at_locations", "/taxonomy_terms/{id}"}
    text = str(document)
    assert "raw.githubusercontent.com" not in text and "'$ref': 'phone.json'" not in text
    assert document["components"]["schemas"]["service"]["required"] == ["id", "name", "status"]


schema = schemathesis.openapi.from_wsgi("/hsds/openapi.json", get_wsgi_application())


@pytest.fixture
def connections_kept() -> Iterator[None]:
    """As in test_api_openapi: the WSGI handler must not close the test's connection."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_answer_is_a_500_or_breaks_the_hsds_schema(
    case: schemathesis.Case, token: str, connections_kept: None
) -> None:
    if "id" in (case.path_parameters or {}) and case.path.startswith("/services"):
        case.path_parameters["id"] = service_id("Eastside Food Bank")  # now and then a real one
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
