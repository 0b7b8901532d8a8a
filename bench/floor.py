"""The benchmark's floor: the least Django can do for the same work as the real paths.

Served together with the whole app (bench/floor_settings.py sets this URLconf), behind the same
middleware and the same database session, so `real / floor` is what Calldesk's own code costs:

    GET  /bench/floor/pop?...          one transaction: INSERT call + INSERT report; 303
    GET  /bench/floor/<uuid>/          one SELECT; a page the editor's size (BENCH_PAGE_BYTES)
    POST /bench/floor/<uuid>/save      the same body as the editor's autosave; one guarded UPDATE

The form and revision ids are looked up once per process (a floor reads no configuration).
"""

from __future__ import annotations

import os
from functools import cache
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from calldesk.callforms.models import FormRevision
from calldesk.reports.models import CallReport, Status
from calldesk.telephony.models import Call
from calldesk.urls import urlpatterns as app_urlpatterns

FORM = "1234567"


@cache
def _revision() -> tuple[int, int]:
    revision = FormRevision.objects.filter(form__report_ver=FORM).order_by("-number").first()
    assert revision is not None
    return revision.form_id, revision.pk


@cache
def _filler() -> str:
    size = int(os.environ.get("BENCH_PAGE_BYTES", "20000"))
    return mark_safe("<p>" + "x" * max(size - 700, 0) + "</p>")


@login_required
@require_GET
def floor_pop(request: HttpRequest) -> HttpResponse:
    user = request.user
    form_id, revision_id = _revision()
    pairs = [[name, value] for name, value in request.GET.items()]
    with transaction.atomic():
        call = Call.objects.create(
            organization_id=user.organization_id,  # type: ignore[union-attr]
            form_id=form_id,
            revision_id=revision_id,
            opened_by=user,
            params=pairs,
            fingerprint=str(hash(request.META["QUERY_STRING"])),
        )
        report = CallReport.objects.create(
            organization_id=user.organization_id,  # type: ignore[union-attr]
            form_id=form_id,
            revision_id=revision_id,
            call=call,
            call_start=timezone.now(),
            phone_raw=request.GET.get("ani", ""),
            values={},
            author=user,
        )
    return HttpResponseRedirect(f"/bench/floor/{report.public_id}/", status=303)


@login_required
@require_GET
def floor_page(request: HttpRequest, public_id: UUID) -> HttpResponse:
    report = CallReport.objects.filter(
        public_id=public_id,
        organization_id=request.user.organization_id,  # type: ignore[union-attr]
    ).first()
    if report is None:
        raise Http404("No such report")
    return render(request, "bench/floor_page.html", {"report": report, "filler": _filler()})


@login_required
@require_POST
def floor_save(request: HttpRequest, public_id: UUID) -> HttpResponse:
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1
    values = {name[2:]: request.POST.getlist(name) for name in request.POST if name.startswith("f_")}
    saved = CallReport.objects.filter(
        public_id=public_id,
        organization_id=request.user.organization_id,  # type: ignore[union-attr]
        author=request.user,
        status=Status.DRAFT,
        version=version,
    ).update(values=values, version=F("version") + 1, updated_at=timezone.now())
    if not saved:
        return JsonResponse({"ok": False, "conflict": True}, status=409)
    return JsonResponse({"ok": True, "version": version + 1})


urlpatterns = [
    *app_urlpatterns,
    path("bench/floor/pop", floor_pop),
    path("bench/floor/<uuid:public_id>/", floor_page),
    path("bench/floor/<uuid:public_id>/save", floor_save),
]
