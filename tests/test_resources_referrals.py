"""The `referrals` field type: services given (ids and a snapshot) and unmet needs (a term),
added from the resource panel's search, kept as they were, filtered, exported and counted."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from calldesk.reports.models import CallReport, ExportRecord, Status
from calldesk.resources import services
from calldesk.resources.generate import write_datapackage
from tests.cast import Cast, make_form
from tests.reporting import JSON, editor_data, open_draft
from tests.resources_directory import directory_rows, load_directory, service_id, term_id

REFERRAL_FORM = {
    "fields": [
        {"key": "summary", "label": "Summary", "type": "long_text"},
        {"key": "referrals", "label": "Referrals", "type": "referrals"},
    ]
}
POP = "/Telephony/GetCallReport?reportVer=7770001&agent=34&ani=999-123-4567"


@pytest.fixture
def desk(cast: Cast, tmp_path: Path) -> Cast:
    make_form(cast.org_a, "7770001", REFERRAL_FORM, "I&R call")
    load_directory(cast.org_a, tmp_path)
    return cast


def referral_document(client: Client) -> str:
    """What the panel builds: two services from a search, one unmet need from the terms."""
    found = client.get("/resources/search?q=food&postcode=62701", **JSON).json()["results"]
    assert [hit["name"] for hit in found] == ["Eastside Food Bank"]
    shelter = client.get("/resources/search?q=shelter", **JSON).json()["results"][0]
    need = client.get("/resources/terms?q=transport", **JSON).json()["results"][0]
    assert need["name"] == "Transportation"

    def snapshot(hit: dict) -> dict:
        return {
            "id": hit["id"],
            "name": hit["name"],
            "organization": hit["organization"],
            "phone": hit["phones"][0],
            "address": hit["address"],
            "terms": hit["terms"],
        }

    return json.dumps({"services": [snapshot(found[0]), snapshot(shelter)], "unmet": [need]})


def submit_with_referrals(client: Client) -> CallReport:
    report = open_draft(client, POP)
    data = editor_data(report, f_summary="Needs food and a bed", f_referrals=referral_document(client))
    response = client.post(f"/reports/{report.public_id}/submit", data)
    assert response.status_code in (302, 303), response.content[:1000]
    report.refresh_from_db()
    assert report.status == Status.SUBMITTED
    return report


def test_a_report_keeps_the_services_given_and_the_unmet_needs(desk: Cast, specialist_client: Client) -> None:
    report = submit_with_referrals(specialist_client)
    given = report.values["referrals"]
    assert [s["id"] for s in given["services"]] == [service_id("Eastside Food Bank"), service_id("Night Shelter")]
    assert given["services"][0]["phone"] == "217-555-0100"
    assert given["services"][0]["address"] == "1 Main St, Springfield, IL, 62701"
    assert given["services"][0]["terms"] == ["Food pantries"]
    assert given["unmet"] == [{"id": term_id("transport"), "name": "Transportation", "code": "TRANSPORT"}]

    page = specialist_client.get(f"/reports/{report.public_id}/").content.decode()
    assert "Eastside Food Bank · 217-555-0100; Night Shelter · 217-555-0102; Unmet: Transportation" in page


def test_the_snapshot_stays_after_the_directory_changes(desk: Cast, specialist_client: Client, tmp_path: Path) -> None:
    report = submit_with_referrals(specialist_client)
    rows = directory_rows()
    rows["service"][0]["name"] = "Eastside Food Bank (moved)"
    services.import_directory(desk.org_a, write_datapackage(rows, tmp_path / "v2"))
    report.refresh_from_db()
    assert report.values["referrals"]["services"][0]["name"] == "Eastside Food Bank"


def test_the_list_filters_and_the_csv_exports_referrals(
    desk: Cast, specialist_client: Client, supervisor_client: Client
) -> None:
    submit_with_referrals(specialist_client)
    other = open_draft(specialist_client, POP + "&x=1")
    specialist_client.post(f"/reports/{other.public_id}/submit", editor_data(other, f_summary="No referral"))

    response = supervisor_client.get("/reports/?f_referrals=Night+Shelter&export=csv")
    text = b"".join(response.streaming_content).decode("utf-8")  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 1
    assert rows[0]["Referrals"] == (
        "Eastside Food Bank · 217-555-0100; Night Shelter · 217-555-0102; Unmet: Transportation"
    )
    everything = supervisor_client.get("/reports/?export=csv")
    all_rows = list(csv.DictReader(io.StringIO(b"".join(everything.streaming_content).decode().lstrip("\ufeff"))))  # type: ignore[attr-defined]
    assert sorted(r["Referrals"] for r in all_rows) == ["", rows[0]["Referrals"]]


def test_the_dashboard_counts_referrals_and_unmet_needs(
    desk: Cast, specialist_client: Client, supervisor_client: Client
) -> None:
    submit_with_referrals(specialist_client)
    body = supervisor_client.get("/dashboards/").content.decode()
    data = json.loads(body.split('<script id="dashboard-data" type="application/json">')[1].split("</script>")[0])
    charts = {c["id"]: dict(zip(c["labels"], c["values"], strict=True)) for c in data}
    assert charts["referrals_term"] == {"Food pantries": 1, "Homeless shelter": 1}
    assert charts["referrals_service"] == {"Eastside Food Bank": 1, "Night Shelter": 1}
    assert charts["unmet_term"] == {"Transportation": 1}


def test_a_broken_referrals_document_is_kept_as_typed_and_refused_at_submit(
    desk: Cast, specialist_client: Client
) -> None:
    report = open_draft(specialist_client, POP)
    bad = '{"services": [{"id": "nope", "name": "x"}]}'
    data = editor_data(report, f_referrals=bad)
    saved = specialist_client.post(f"/reports/{report.public_id}/save", data, **JSON)
    assert saved.status_code == 200
    report.refresh_from_db()
    assert report.values.get("referrals") is None
    assert report.unchecked == {"f_referrals": bad}
    # The page shows the kept text in the hidden input, so the browser posts it back.
    page = specialist_client.get(f"/reports/{report.public_id}/edit/").content.decode()
    assert 'value="{&quot;services&quot;: [{&quot;id&quot;: &quot;nope&quot;' in page
    submitted = specialist_client.post(f"/reports/{report.public_id}/submit", editor_data(report, f_referrals=bad))
    report.refresh_from_db()
    assert report.status == Status.DRAFT
    assert "Referrals could not be read" in submitted.content.decode()


def test_the_editor_shows_the_resource_panel_and_the_referrals_input(desk: Cast, specialist_client: Client) -> None:
    report = open_draft(specialist_client, POP)
    page = specialist_client.get(f"/reports/{report.public_id}/edit/").content.decode()
    assert 'id="resource-panel"' in page and "resources/referrals.js" in page
    assert 'name="f_referrals"' in page and "data-referrals" in page


def test_search_is_for_members_of_the_organization_only(desk: Cast, client: Client) -> None:
    assert client.get("/resources/search?q=food").status_code == 302  # to the login page
    client.force_login(desk.specialist_b)
    assert client.get("/resources/search?q=food").json()["results"] == []
    assert client.get("/resources/terms?q=food").json()["results"] == []


def test_bad_search_parameters_are_left_out_not_errors(desk: Cast, specialist_client: Client) -> None:
    response = specialist_client.get("/resources/search?q=food&lat=north&lon=999&term=nope&radius=-5")
    assert response.status_code == 200
    assert [hit["name"] for hit in response.json()["results"]] == ["Eastside Food Bank", "Peoria Food Pantry"]


def test_a_phone_system_cannot_map_a_value_into_referrals(desk: Cast) -> None:
    from calldesk.callforms.definition import MappingRule, parse_definition
    from calldesk.callforms.services import check_mapping

    problems = check_mapping(MappingRule("need", "", "referrals", ""), parse_definition(REFERRAL_FORM))
    assert problems == ["Referrals is filled from the resource directory, not by the phone system"]


def test_the_referrals_document_is_checked(db: None) -> None:
    from calldesk.callforms.referrals import read_referrals

    good = {"id": service_id("Night Shelter"), "name": "Night Shelter", "phone": "1", "address": "", "organization": ""}
    value, problem = read_referrals(json.dumps({"services": [good, good], "unmet": []}))
    assert problem == "" and value is not None and len(value["services"]) == 1  # the same service once
    assert read_referrals(json.dumps({"services": [good] * 31}))[1] == "At most 30 services on one report."
    assert read_referrals('{"services": [{"id": "x"}]}')[1].startswith("Referrals could not be read")
    assert read_referrals(json.dumps({"services": [{**good, "name": "x" * 301}]}))[0] is None
    assert read_referrals(json.dumps({"services": [{**good, "script": "<b>"}]}))[0] is None
    assert read_referrals("") == (None, "")


def test_the_taxonomy_tree_gives_a_level_at_a_time(desk: Cast, specialist_client: Client) -> None:
    top = specialist_client.get("/resources/terms/tree", **JSON).json()["results"]
    assert [t["name"] for t in top] == [
        "Crisis counseling",
        "Food pantries",
        "Health clinic",
        "Homeless shelter",
        "Legal aid",
        "Transportation",
    ]
    pantries = next(t for t in top if t["name"] == "Food pantries")
    assert pantries["has_children"] is True and pantries["code"] == "PANTRY"
    assert all(not t["has_children"] for t in top if t is not pantries)
    below = specialist_client.get(f"/resources/terms/tree?parent={pantries['id']}", **JSON).json()["results"]
    assert below == [{"id": term_id("meals"), "name": "Hot meals", "code": "MEALS", "has_children": False}]


def test_the_taxonomy_tree_refuses_bad_parents_and_outsiders(desk: Cast, specialist_client: Client) -> None:
    assert specialist_client.get("/resources/terms/tree?parent=nope", **JSON).status_code == 400
    assert specialist_client.get(f"/resources/terms/tree?parent={service_id('Night Shelter')}").status_code == 404
    other = Client()
    other.force_login(desk.specialist_b)
    assert other.get("/resources/terms/tree", **JSON).json()["results"] == []
    assert other.get(f"/resources/terms/tree?parent={term_id('pantry')}").status_code == 404
    assert Client().get("/resources/terms/tree").status_code == 302
    assert specialist_client.post("/resources/terms/tree").status_code == 405


def csv_rows(response: Any) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def test_the_second_csv_has_one_row_per_referral_from_the_same_filter(
    desk: Cast, specialist_client: Client, supervisor_client: Client
) -> None:
    report = submit_with_referrals(specialist_client)
    other = open_draft(specialist_client, POP + "&x=1")
    specialist_client.post(f"/reports/{other.public_id}/submit", editor_data(other, f_summary="No referral"))
    page = supervisor_client.get("/reports/?f_referrals=Night+Shelter").content.decode()
    assert 'href="/reports/?f_referrals=Night+Shelter&amp;export=referral"' in page

    response = supervisor_client.get("/reports/?f_referrals=Night+Shelter&export=referral")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="referrals-')
    rows = csv_rows(response)
    when = report.call_start.astimezone(desk.org_a.zone).strftime("%Y-%m-%d %H:%M:%S")
    start = {"Report": str(report.public_id), "Call start": when, "Field": "Referrals"}
    none = {"Unmet need id": "", "Unmet need": "", "Unmet need code": ""}
    assert rows == [
        {
            **start,
            "Kind": "service",
            "Service id": service_id("Eastside Food Bank"),
            "Service": "Eastside Food Bank",
            "Organization": "Sangamon Community Services",
            "Phone": "217-555-0100",
            "Address": "1 Main St, Springfield, IL, 62701",
            **none,
        },
        {
            **start,
            "Kind": "service",
            "Service id": service_id("Night Shelter"),
            "Service": "Night Shelter",
            "Organization": "Sangamon Community Services",
            "Phone": "217-555-0102",
            "Address": rows[1]["Address"],
            **none,
        },
        {
            **start,
            "Kind": "unmet need",
            "Service id": "",
            "Service": "",
            "Organization": "",
            "Phone": "",
            "Address": "",
            "Unmet need id": term_id("transport"),
            "Unmet need": "Transportation",
            "Unmet need code": "TRANSPORT",
        },
    ]
    assert len(csv_rows(supervisor_client.get("/reports/?export=referral"))) == 3  # the other report has none
    record = ExportRecord.objects.filter(format="referral").order_by("started_at").first()
    assert record is not None and record.rows == 3 and record.complete and record.user == desk.supervisor


def test_the_referral_csv_keeps_to_what_a_user_sees_and_neutralises_formulas(
    desk: Cast, specialist_client: Client, client: Client
) -> None:
    report = open_draft(specialist_client, POP)
    document = {"services": [], "unmet": [{"id": term_id("transport"), "name": "=HYPERLINK(1)", "code": "T"}]}
    data = editor_data(report, f_summary="x", f_referrals=json.dumps(document))
    assert specialist_client.post(f"/reports/{report.public_id}/submit", data).status_code in (302, 303)
    assert csv_rows(specialist_client.get("/reports/?export=referral"))[0]["Unmet need"] == "'=HYPERLINK(1)"
    other = Client()
    other.force_login(desk.specialist_b)
    assert other.get("/reports/?export=referral").status_code == 400  # org B's forms have no referrals field
    assert client.get("/reports/?export=referral").status_code == 302


def test_the_referral_csv_is_offered_only_where_a_form_has_referrals(cast: Cast, supervisor_client: Client) -> None:
    assert "export=referral" not in supervisor_client.get("/reports/").content.decode()
    response = supervisor_client.get("/reports/?export=referral")
    assert response.status_code == 400 and b"no referrals field" in response.content
    assert not ExportRecord.objects.filter(format="referral").exists()


PLACE_FORM = {
    "fields": [
        {"key": "postcode", "label": "Caller's postcode", "type": "text"},
        {"key": "referrals", "label": "Referrals", "type": "referrals"},
    ]
}
PLACE_POP = "/Telephony/GetCallReport?reportVer=7770002&agent=34&ani=999-123-4567"


def charts_of(client: Client) -> dict[str, dict[str, int]]:
    body = client.get("/dashboards/").content.decode()
    data = json.loads(body.split('<script id="dashboard-data" type="application/json">')[1].split("</script>")[0])
    titles = {c["id"]: c["title"] for c in data}
    charts = {c["id"]: dict(zip(c["labels"], c["values"], strict=True)) for c in data}
    charts["titles"] = titles
    return charts


def submit_need(client: Client, postcode: str, *needs: str, n: int = 0) -> None:
    report = open_draft(client, PLACE_POP + f"&n={n}")
    unmet = [{"id": term_id(key), "name": key.title(), "code": key.upper()} for key in needs]
    data = editor_data(report, f_postcode=postcode, f_referrals=json.dumps({"services": [], "unmet": unmet}))
    assert client.post(f"/reports/{report.public_id}/submit", data).status_code in (302, 303)


def test_the_dashboard_counts_unmet_needs_per_area_from_the_place_field(
    desk: Cast, specialist_client: Client, supervisor_client: Client
) -> None:
    make_form(desk.org_a, "7770002", PLACE_FORM, "I&R with place")
    submit_need(specialist_client, "62701", "transport", "legal", n=1)
    submit_need(specialist_client, " 62701 ", "transport", n=2)
    submit_need(specialist_client, "sw1a  1aa", "transport", n=3)
    submit_need(specialist_client, "SW1A 1AA", "legal", n=4)
    submit_need(specialist_client, "", "transport", n=5)
    submit_need(specialist_client, "61602", n=6)  # no unmet need: not counted
    charts = charts_of(supervisor_client)
    assert charts["unmet_area"] == {"62701": 3, "sw1a 1aa": 2, "(no area recorded)": 1}
    assert charts["titles"]["unmet_area"] == "Unmet needs per area (Caller's postcode)"
    assert charts["unmet_term"] == {"Transport": 4, "Legal": 2}


def test_a_personal_place_field_is_not_opened_for_the_chart(
    desk: Cast, specialist_client: Client, supervisor_client: Client
) -> None:
    sealed = {"fields": [{**PLACE_FORM["fields"][0], "personal": True}, PLACE_FORM["fields"][1]]}
    make_form(desk.org_a, "7770002", sealed, "I&R with place")
    submit_need(specialist_client, "62701", "transport", n=1)
    assert charts_of(supervisor_client)["unmet_area"] == {"(no area recorded)": 1}


def test_no_area_chart_without_a_place_field(desk: Cast, specialist_client: Client, supervisor_client: Client) -> None:
    submit_with_referrals(specialist_client)
    assert "unmet_area" not in charts_of(supervisor_client)
