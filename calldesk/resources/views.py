"""The resource panel beside the report editor: search the directory, pick unmet-need terms.
JSON for the panel's script; any signed-in member of an organization searches its own directory."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from calldesk.accounts.access import current_user, role_required
from calldesk.resources import search, taxonomy
from calldesk.resources.models import Attribute, TaxonomyTerm
from calldesk.resources.search import fold

member_required = role_required(lambda user: True)
MAX_QUERY_TEXT = 200
MAX_PLACE = 100


def _float(raw: str | None) -> float | None:
    try:
        value = float(raw) if raw not in (None, "") else None
    except ValueError:
        return None
    return value if value is not None and abs(value) <= 180 else None


def _uuid(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


def query_from(params: Any) -> search.Query:
    """The panel's (and the HSDS API's) parameters as a search query; bad values are left out."""
    radius = _float(params.get("radius")) or search.DEFAULT_RADIUS_KM
    return search.Query(
        words=str(params.get("q", ""))[:MAX_QUERY_TEXT],
        term_id=_uuid(params.get("term")),
        # `postcode` is the parameter's older name.
        place=str(params.get("place") or params.get("postcode") or "")[:MAX_PLACE],
        latitude=_float(params.get("lat")),
        longitude=_float(params.get("lon")),
        radius_km=min(max(radius, 0.1), 500.0),
        open_now=params.get("open_now") in ("1", "true", "on"),
        language=str(params.get("language", ""))[:50],
        active_only=params.get("all") not in ("1", "true", "on"),
    )


def hit_json(hit: search.Hit, terms: dict[uuid.UUID, list[str]]) -> dict[str, Any]:
    service = hit.service
    return {
        "id": str(service.id),
        "name": service.name,
        "organization": service.organization.name,
        "status": service.status,
        "distance_km": hit.distance_km,
        "phones": hit.phones,
        "address": hit.address,
        "hours": hit.hours,
        "eligibility": service.eligibility_description,
        "fees": service.fees_description,
        "terms": terms.get(service.id, []),
    }


def terms_of(owner_id: int, service_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    links = Attribute.objects.filter(
        owner_id=owner_id, retired_at=None, link_entity="service", link_id__in=service_ids
    ).values_list("link_id", "taxonomy_term__name")
    found: dict[uuid.UUID, list[str]] = {}
    for link_id, name in links.order_by("taxonomy_term__name"):
        found.setdefault(link_id, []).append(name)
    return found


@require_GET
@member_required
def search_json(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    assert user.organization is not None
    result = search.search(user.organization, query_from(request.GET))
    terms = terms_of(user.organization.pk, [h.service.id for h in result.hits])
    return JsonResponse({"results": [hit_json(h, terms) for h in result.hits], "notices": result.notices})


@require_GET
@member_required
def terms_json(request: HttpRequest) -> HttpResponse:
    """Taxonomy terms whose name or code holds what was typed (for unmet needs and the filter)."""
    user = current_user(request)
    typed = fold(str(request.GET.get("q", ""))[:MAX_QUERY_TEXT]).strip()
    terms = TaxonomyTerm.objects.filter(owner=user.organization, retired_at=None).order_by("name", "id")
    found = []
    for term in terms.only("id", "name", "code", "parent_id").iterator(chunk_size=2000):
        if not typed or typed in fold(term.name) or typed in fold(term.code):
            found.append({"id": str(term.id), "name": term.name, "code": term.code})
            if len(found) >= 20:
                break
    return JsonResponse({"results": found})


@require_GET
@member_required
def term_tree_json(request: HttpRequest) -> HttpResponse:
    """The taxonomy terms under `parent` (or at the top), for the panel's tree."""
    user = current_user(request)
    assert user.organization is not None
    raw = request.GET.get("parent")
    parent = _uuid(raw)
    if raw and parent is None:
        return JsonResponse({"error": "parent must be a term's id"}, status=400)
    branches = taxonomy.children(user.organization, parent)
    if branches is None:
        return JsonResponse({"error": "no such term"}, status=404)
    return JsonResponse(
        {
            "results": [
                {"id": str(b.id), "name": b.name, "code": b.code, "has_children": b.has_children} for b in branches
            ]
        }
    )
