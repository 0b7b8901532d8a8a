"""The read-only HSDS 3.0 API under /hsds/, as Open Referral's OpenAPI description states it
(hsds/schema/openapi.json): services, organizations, taxonomies, taxonomy terms and services at
locations, with HSDS's query parameters and paging envelope.

Who reads: an organization's API token (`Authorization: Bearer cdk_…`) reads that
organization's directory; without a token, `?directory=<organization public id>` reads a
directory its organization made public. Anything else is 401, the same answer whether or not the
directory exists. Only records that are not retired are shown."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import uuid
from collections.abc import Callable, Iterable
from functools import cache
from importlib import resources
from typing import Any

from django.db.models import Model, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from calldesk.accounts.models import Organization as CalldeskOrganization
from calldesk.configure.tokens import authenticate_token
from calldesk.resources import hsds, search
from calldesk.resources.models import (
    Address,
    Attribute,
    DirectorySettings,
    Language,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 500
MAX_FULL_SERVICES = 100
HSDS_VERSION = "3.0"
PROFILE = "https://docs.openreferral.org/en/v3.0/"

View = Callable[..., HttpResponse]


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"detail": message}, status=status)


def _owner(request: HttpRequest) -> CalldeskOrganization | None:
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, raw = header.partition(" ")
        token = authenticate_token(raw.strip()) if scheme.lower() == "bearer" else None
        return token.organization if token else None
    try:
        public_id = uuid.UUID(request.GET.get("directory", ""))
    except ValueError:
        return None
    found = DirectorySettings.objects.filter(owner__public_id=public_id, public_api=True).select_related("owner")
    settings = found.first()
    return settings.owner if settings else None


def hsds_endpoint(view: Callable[..., HttpResponse]) -> View:
    @require_GET
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if "token" in request.GET:
            return _error(401, "A token in the address is refused: send it in the Authorization header.")
        owner = _owner(request)
        if owner is None:
            return _error(401, "Send an API token (Authorization: Bearer …), or name a public directory.")
        return view(request, owner, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


# Records as HSDS JSON ------------------------------------------------------------------------


def _value(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 1e15 else value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return hsds.to_cell(value)
    return value


def record(table_name: str, obj: Model) -> dict[str, Any]:
    """An HSDS record's own fields; empty ones left out (HSDS types them without null)."""
    table = hsds.tables()[table_name]
    data = {}
    for field in table.fields:
        value = getattr(obj, table.attname(field))
        if value not in (None, ""):
            data[field] = _value(value)
    return data


def _current(queryset: QuerySet[Any]) -> QuerySet[Any]:
    return queryset.filter(retired_at=None)


def _terms_of(owner: CalldeskOrganization, entity: str, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[dict]]:
    found: dict[uuid.UUID, list[dict]] = {}
    links = _current(Attribute.objects.filter(owner=owner, link_entity=entity, link_id__in=list(ids)))
    for link in links.select_related("taxonomy_term").order_by("id"):
        item = record("attribute", link)
        item["taxonomy_term"] = record("taxonomy_term", link.taxonomy_term)
        found.setdefault(link.link_id, []).append(item)
    return found


def _location(owner: CalldeskOrganization, location: Location) -> dict[str, Any]:
    data = record("location", location)
    data["addresses"] = [
        record("address", a) for a in _current(Address.objects.filter(location=location)).order_by("id")
    ]
    data["phones"] = [record("phone", p) for p in _current(Phone.objects.filter(location=location)).order_by("id")]
    data["languages"] = [
        record("language", x) for x in _current(Language.objects.filter(location=location)).order_by("id")
    ]
    data["schedules"] = [
        record("schedule", s) for s in _current(Schedule.objects.filter(location=location)).order_by("id")
    ]
    return data


def full_service(owner: CalldeskOrganization, service: Service) -> dict[str, Any]:
    data = record("service", service)
    data["organization"] = record("organization", service.organization)
    data["phones"] = [record("phone", p) for p in _current(service.phones.all()).order_by("id")]
    data["schedules"] = [record("schedule", s) for s in _current(service.schedules.all()).order_by("id")]
    data["service_areas"] = [record("service_area", a) for a in _current(service.service_areas.all()).order_by("id")]
    data["languages"] = [record("language", x) for x in _current(service.languages.all()).order_by("id")]
    data["service_at_locations"] = [
        {**record("service_at_location", sal), "location": _location(owner, sal.location)}
        for sal in _current(service.service_at_locations.all()).select_related("location").order_by("id")
        if sal.location.retired_at is None
    ]
    data["attributes"] = _terms_of(owner, "service", [service.id]).get(service.id, [])
    return data


def listed_service(service: Service, terms: dict[uuid.UUID, list[dict]]) -> dict[str, Any]:
    data = record("service", service)
    data["organization"] = record("organization", service.organization)
    data["attributes"] = terms.get(service.id, [])
    return data


# Paging --------------------------------------------------------------------------------------


def _int(raw: str | None, default: int, low: int, high: int) -> int:
    try:
        value = int(raw) if raw is not None and raw.strip() else default
    except ValueError:
        return default
    return min(max(value, low), high)


def _paging(request: HttpRequest) -> tuple[int, int]:
    """The page number and its size asked for."""
    return _int(request.GET.get("page"), 1, 1, 1_000_000), _int(
        request.GET.get("per_page"), DEFAULT_PER_PAGE, 1, MAX_PER_PAGE
    )


def envelope(number: int, per_page: int, total: int, contents: list[dict]) -> JsonResponse:
    """HSDS's paging envelope: total_items, total_pages, page_number, size, first_page,
    last_page, empty, contents. Out-of-range page numbers give an empty last page."""
    pages = max(1, math.ceil(total / per_page))
    return JsonResponse(
        {
            "total_items": total,
            "total_pages": pages,
            "page_number": number,
            "size": len(contents),
            "first_page": number == 1,
            "last_page": number >= pages,
            "empty": not contents,
            "contents": contents,
        }
    )


def page_of(request: HttpRequest, items: QuerySet[Any], shown: Callable[[list[Any]], list[dict]]) -> JsonResponse:
    """The page asked for of `items`: the database counts them and returns only the page."""
    number, per_page = _paging(request)
    start = (number - 1) * per_page
    return envelope(number, per_page, items.count(), shown(list(items[start : start + per_page])))


def _uuid(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


def _modified_after(raw: str | None) -> dt.datetime | None:
    if not raw:
        return None
    try:
        parsed = dt.datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


# Endpoints -----------------------------------------------------------------------------------


@hsds_endpoint
def root(request: HttpRequest, owner: CalldeskOrganization) -> HttpResponse:
    return JsonResponse(
        {
            "version": HSDS_VERSION,
            "profile": PROFILE,
            "openapi_url": request.build_absolute_uri(reverse("hsds-openapi")),
        }
    )


def _kept_services(request: HttpRequest, owner: CalldeskOrganization) -> QuerySet[Service]:
    """The services `organization_id`, `modified_after` and `taxonomy_id` keep (a bad value keeps none)."""
    services = _current(Service.objects.filter(owner=owner))
    organization_raw = request.GET.get("organization_id")
    if organization_raw:
        services = (
            services.filter(organization_id=_uuid(organization_raw)) if _uuid(organization_raw) else services.none()
        )
    modified_after = _modified_after(request.GET.get("modified_after"))
    if request.GET.get("modified_after") and modified_after is None:
        services = services.none()
    elif modified_after:
        services = services.filter(last_modified__gte=modified_after)
    taxonomy_raw = request.GET.get("taxonomy_id")
    if taxonomy_raw:
        taxonomy_id = _uuid(taxonomy_raw)
        linked = Attribute.objects.filter(
            owner=owner, retired_at=None, link_entity="service", taxonomy_term__vocabulary_id=taxonomy_id
        )
        services = services.filter(id__in=linked.values("link_id")) if taxonomy_id else services.none()
    return services


def _search_query(request: HttpRequest, kept: QuerySet[Service]) -> search.Query | None:
    """The search `search` and `taxonomy_term_id` ask for among `kept` (None: no search); a bad
    term id finds nothing."""
    words = request.GET.get("search", "")[:200]
    raw_term = request.GET.get("taxonomy_term_id")
    term_id = _uuid(raw_term)
    if not words.strip() and not raw_term:
        return None
    within = kept.none() if raw_term and term_id is None else kept
    return search.Query(words=words, term_id=term_id, active_only=False, paged=True, within=within.values("id"))


@hsds_endpoint
def services(request: HttpRequest, owner: CalldeskOrganization) -> HttpResponse:
    kept = _kept_services(request, owner)
    query = _search_query(request, kept)

    def shown(items: list[Service]) -> list[dict]:
        terms = _terms_of(owner, "service", [s.id for s in items])
        return [listed_service(s, terms) for s in items]

    if query is None:
        return page_of(request, kept.select_related("organization").order_by("name", "id"), shown)
    number, per_page = _paging(request)
    query.offset, query.limit = (number - 1) * per_page, per_page
    found = search.search(owner, query)
    return envelope(number, per_page, found.total or 0, shown([hit.service for hit in found.hits]))


def _one(queryset: QuerySet[Any], raw_id: str) -> Any:
    wanted = _uuid(raw_id)
    return _current(queryset).filter(id=wanted).first() if wanted else None


@hsds_endpoint
def service(request: HttpRequest, owner: CalldeskOrganization, record_id: str) -> HttpResponse:
    found = _one(Service.objects.filter(owner=owner).select_related("organization"), record_id)
    return JsonResponse(full_service(owner, found)) if found else _error(404, "No such service.")


def _words_q(request: HttpRequest, *fields: str) -> Q:
    words = search.words_of(request.GET.get("search", "")[:200])
    q = Q()
    for word in words:
        any_field = Q()
        for field in fields:
            any_field |= Q(**{f"{field}__icontains": word})
        q &= any_field
    return q


@hsds_endpoint
def organizations(request: HttpRequest, owner: CalldeskOrganization) -> HttpResponse:
    found = _current(Organization.objects.filter(owner=owner)).filter(_words_q(request, "name", "description"))
    return page_of(request, found.order_by("name", "id"), lambda items: [record("organization", o) for o in items])


@hsds_endpoint
def organization(request: HttpRequest, owner: CalldeskOrganization, record_id: str) -> HttpResponse:
    found = _one(Organization.objects.filter(owner=owner), record_id)
    if found is None:
        return _error(404, "No such organization.")
    data = record("organization", found)
    data["phones"] = [record("phone", p) for p in _current(found.phones.all()).order_by("id")]
    data["locations"] = [_location(owner, x) for x in _current(found.locations.all()).order_by("id")]
    services = _current(found.services.all()).order_by("name", "id")
    # Whole services cost a handful of queries each: an organization of hundreds gets them listed.
    if request.GET.get("full_service") in ("true", "1") and services.count() <= MAX_FULL_SERVICES:
        data["services"] = [full_service(owner, s) for s in services.select_related("organization")]
    else:
        data["services"] = [record("service", s) for s in services]
    return JsonResponse(data)


@hsds_endpoint
def taxonomies(request: HttpRequest, owner: CalldeskOrganization) -> HttpResponse:
    found = _current(Taxonomy.objects.filter(owner=owner)).filter(_words_q(request, "name", "description"))
    return page_of(request, found.order_by("name", "id"), lambda items: [record("taxonomy", t) for t in items])


@hsds_endpoint
def taxonomy(request: HttpRequest, owner: CalldeskOrganization, record_id: str) -> HttpResponse:
    found = _one(Taxonomy.objects.filter(owner=owner), record_id)
    return JsonResponse(record("taxonomy", found)) if found else _error(404, "No such taxonomy.")


def _term(term: TaxonomyTerm) -> dict[str, Any]:
    data = record("taxonomy_term", term)
    if term.vocabulary is not None:
        data["taxonomy_detail"] = record("taxonomy", term.vocabulary)
    return data


@hsds_endpoint
def taxonomy_terms(request: HttpRequest, owner: CalldeskOrganization) -> HttpResponse:
    found = _current(TaxonomyTerm.objects.filter(owner=owner)).select_related("vocabulary")
    found = found.filter(_words_q(request, "name", "code", "description"))
    if request.GET.get("taxonomy_id"):
        found = (
            found.filter(vocabulary_id=_uuid(request.GET["taxonomy_id"]))
            if _uuid(request.GET["taxonomy_id"])
            else found.none()
        )
    if request.GET.get("parent_id"):
        found = (
            found.filter(parent_id=_uuid(request.GET["parent_id"])) if _uuid(request.GET["parent_id"]) else found.none()
        )
    if request.GET.get("top_only") in ("true", "1"):
        found = found.filter(parent_id=None)
    return page_of(request, found.order_by("name", "id"), lambda items: [_term(t) for t in items])


@hsds_endpoint
def taxonomy_term(request: HttpRequest, owner: CalldeskOrganization, record_id: str) -> HttpResponse:
    found = _one(TaxonomyTerm.objects.filter(owner=owner).select_related("vocabulary"), record_id)
    return JsonResponse(_term(found)) if found else _error(404, "No such taxonomy term.")


@hsds_endpoint
def service_at_locations(request: HttpRequest, owner: CalldeskOrganization) -> HttpResponse:
    """Services at their locations; `postcode` with `proximity` (metres) keeps those within that
    distance of the postcode's centre, nearest first (search.py's centre and distance, in SQL).
    Without a place, in their service's order (its search rank when `search` is given)."""
    kept = _kept_services(request, owner)
    query = _search_query(request, kept)
    found = _current(ServiceAtLocation.objects.filter(owner=owner, service__in=kept.values("id")))
    found = found.filter(location__retired_at=None).select_related("service", "location", "service__organization")
    postcode = request.GET.get("postcode", "").strip()[:100]
    if postcode and query is not None:
        # Among the services the search finds; a listing by distance is not ordered by their rank.
        matched = search.matching(owner, query)
        if matched is None:
            found = found.none()
        else:
            ids = f"SELECT service_id FROM ({matched[0]}) s"  # noqa: S608  # nosec B608 (search.py's SQL)
            found = found.filter(service_id__in=RawSQL(ids, matched[1]))  # noqa: S611  # nosec B611
    if postcode:
        metres = _int(request.GET.get("proximity"), 0, 0, 1_000_000)
        notices: list[str] = []
        # HSDS names a postcode; a city ("Springfield, IL") is placed the same way, as in the panel.
        centre = search.centre_of(owner, search.Query(place=postcode), notices)
        if centre is None:
            return _error(400, notices[0])
        km, km_params = search.km_sql(centre, "resources_location")
        found = found.filter(location__latitude__isnull=False, location__longitude__isnull=False)
        if metres:
            south, north, west, east = search.box(centre, metres / 1000)
            found = found.filter(location__latitude__range=(south, north), location__longitude__range=(west, east))
        found = found.annotate(km=RawSQL(km, km_params))  # noqa: S611  # nosec B611 (constant SQL, values as parameters)
        if metres:
            found = found.filter(km__lte=metres / 1000)
        found = found.order_by("km", "id")
    elif query is None:
        found = found.order_by("service__name", "service_id", "id")

    def shown(items: list[ServiceAtLocation]) -> list[dict]:
        terms = _terms_of(owner, "service", [r.service_id for r in items])
        return [
            {
                **record("service_at_location", r),
                "service": listed_service(r.service, terms),
                "location": _location(owner, r.location),
            }
            for r in items
        ]

    if postcode or query is None:
        return page_of(request, found, shown)
    # In the order of their service's search rank, which is not a column: the database joins the
    # ranking to these rows and reads one page.
    number, per_page = _paging(request)
    page_ids, total = search.ranked_page(owner, query, found, per_page, (number - 1) * per_page)
    rows = found.in_bulk(page_ids)
    return envelope(number, per_page, total, shown([rows[i] for i in page_ids]))


@hsds_endpoint
def service_at_location(request: HttpRequest, owner: CalldeskOrganization, record_id: str) -> HttpResponse:
    found = _one(
        ServiceAtLocation.objects.filter(owner=owner).select_related("service__organization", "location"), record_id
    )
    if found is None or found.service.retired_at or found.location.retired_at:
        return _error(404, "No such service at location.")
    data = full_service(owner, found.service)
    return JsonResponse(data)


# The description ------------------------------------------------------------------------------

COMPILED = {
    "service": "service",
    "service_list": "service",
    "organization": "organization",
    "organization_list": "organization",
    "service_at_location": "service_at_location",
    "service_at_location_list": "service_at_location",
}


@cache
def description() -> dict[str, Any]:
    """HSDS's OpenAPI description, with its schemas inlined as components (it names them by
    their GitHub addresses) and what Calldesk adds: the server, the token, 401 and 404."""
    folder = resources.files("calldesk.resources").joinpath("hsds/schema")
    document = json.loads(folder.joinpath("openapi.json").read_text(encoding="utf-8"))
    schemas: dict[str, Any] = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".json") and entry.name != "openapi.json":
            schema = json.loads(entry.read_text(encoding="utf-8"))
            for key in ("$schema", "$id"):
                schema.pop(key, None)
            schemas[entry.name.removesuffix(".json")] = schema
    text = json.dumps({"document": document, "schemas": schemas})

    def local(match: re.Match[str]) -> str:
        name = match.group(2).removesuffix(".json")
        return f'"$ref": "#/components/schemas/{COMPILED.get(name, name)}"'

    text = re.sub(
        r'"\$ref": "(https://raw\.githubusercontent\.com/openreferral/specification/3\.0/schema/(?:compiled/)?)?([a-z_]+\.json)"',
        local,
        text,
    )
    both = json.loads(text)
    document, schemas = both["document"], both["schemas"]
    components = document.setdefault("components", {})
    components.setdefault("schemas", {}).update(schemas)
    components["schemas"]["Error"] = {
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    }
    components["securitySchemes"] = {"token": {"type": "http", "scheme": "bearer"}}
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for operations in document["paths"].values():
        for operation in operations.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"]["401"] = {"description": "No token, or not a public directory", **error}
                # Calldesk refuses NUL characters in any input before it reaches the database.
                operation["responses"]["400"] = {"description": "The request holds a NUL character", **error}
    for path, operations in document["paths"].items():
        if "{id}" in path:
            for operation in operations.values():
                if isinstance(operation, dict):
                    operation["responses"]["404"] = {"description": "No such record", **error}
    document["info"] = {
        "title": "Calldesk resource directory (HSDS 3.0)",
        "version": HSDS_VERSION,
        "description": "Open Referral's HSDS 3.0 API, read-only, for one organization's directory.",
        "license": {"name": "AGPL-3.0-or-later (Calldesk); the HSDS description: CC-BY-SA-4.0"},
    }
    document["servers"] = [{"url": reverse("hsds-root").rstrip("/")}]
    document["security"] = [{"token": []}]
    return dict(document)


@require_GET
def openapi(request: HttpRequest) -> HttpResponse:
    return JsonResponse(description())
