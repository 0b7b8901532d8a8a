"""Admin pages of the resource directory: import a directory (upload, then the import runs in the
background and the page shows its progress), edit
organizations, services and locations and the phones, schedules and taxonomy terms of services
and locations, mark them verified, and the list due for their yearly
verification (the I&R standards' rule)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from calldesk.accounts.access import admin_required, current_user, supervisor_required
from calldesk.resources import hsds, jobs, record_forms, search, services
from calldesk.resources.importer import ImportRefused
from calldesk.resources.models import DirectorySettings, ImportJob, Service

VERIFY_EVERY_DAYS = 365
KINDS = record_forms.KINDS
PAGE_SIZE = 50


class UploadForm(forms.Form):
    file = forms.FileField(label="Directory (.zip of an HSDS datapackage, or HSDS .json)")


@admin_required
@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    """The directory's page; a POSTed file starts a background import (202 with its status URL
    for the page's script, else a redirect to this page, which shows the import's progress)."""
    owner = current_user(request).organization
    assert owner is not None
    context: dict[str, Any] = {"form": UploadForm(), "counts": _counts(owner), "due": _due(owner).count()}
    context["settings"], _ = DirectorySettings.objects.get_or_create(owner=owner)
    wants_json = "application/json" in request.headers.get("Accept", "")
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        context["form"] = form
        problems = [str(e) for e in form.errors.get("file", [])]
        if form.is_valid():
            try:
                job = jobs.start_import(owner, current_user(request), form.cleaned_data["file"])
            except ImportRefused as refused:
                problems = refused.problems
            except jobs.AlreadyRunning as running:
                problems = [f"An import of {running} is still running; wait for it to finish."]
            else:
                if wants_json:
                    return JsonResponse(
                        {"ok": True, "job": jobs.status(job), "status_url": _status_url(job)}, status=202
                    )
                return redirect(reverse("resources-admin") + f"?job={job.id}")
        if wants_json:
            return JsonResponse({"ok": False, "problems": problems}, status=400)
        context["problems"] = problems
        return render(request, "resources/admin_home.html", context, status=400)
    shown = _job_of(owner, request.GET.get("job")) if request.GET.get("job") else jobs.latest(owner)
    if shown is not None:
        context["job"] = jobs.status(shown)
        context["job_status_url"] = _status_url(shown)
    return render(request, "resources/admin_home.html", context)


def _status_url(job: Any) -> str:
    return reverse("resources-admin-import-status", kwargs={"job_id": job.id})


def _job_of(owner: Any, raw: str | None) -> Any:
    found = ImportJob.objects.filter(owner=owner, id=_uuid_or_404(raw or "")).first()
    if found is None:
        raise Http404("Not found")
    return found


@admin_required
@require_GET
def import_status(request: HttpRequest, job_id: str) -> HttpResponse:
    """A background import's state and progress, polled by the page (JSON)."""
    owner = current_user(request).organization
    return JsonResponse(jobs.status(_job_of(owner, job_id)))


@admin_required
@require_POST
def public_api(request: HttpRequest) -> HttpResponse:
    owner = current_user(request).organization
    DirectorySettings.objects.update_or_create(owner=owner, defaults={"public_api": request.POST.get("public") == "1"})
    return redirect("resources-admin")


def _counts(owner: Any) -> list[tuple[str, int]]:
    return [
        (name, table.model._default_manager.filter(owner=owner, retired_at=None).count())
        for name, table in hsds.tables().items()
    ]


def _due(owner: Any, kind: str = "services") -> Any:
    cutoff = timezone.localdate() - dt.timedelta(days=VERIFY_EVERY_DAYS)
    records = KINDS[kind]._default_manager.filter(owner=owner, retired_at=None)
    return records.exclude(last_verified_on__gt=cutoff).order_by("last_verified_on", "id")


@supervisor_required
def record_list(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in KINDS:
        raise Http404("Not found")
    owner = current_user(request).organization
    due_only = request.GET.get("due") == "1"
    records = _due(owner, kind) if due_only else KINDS[kind]._default_manager.filter(owner=owner, retired_at=None)
    typed = request.GET.get("q", "")[:200].strip()
    if typed:
        for word in search.words_of(typed):
            records = records.filter(name__icontains=word)
    records = records.order_by("name", "id") if not due_only else records
    total = records.count()
    context = {"kind": kind, "records": list(records[:PAGE_SIZE]), "total": total, "due_only": due_only, "q": typed}
    return render(request, "resources/record_list.html", context)


def _record_or_404(user: Any, kind: str, record_id: str) -> Any:
    if kind not in KINDS:
        raise Http404("Not found")
    records = KINDS[kind]._default_manager.filter(owner=user.organization, retired_at=None)
    found = records.filter(id=_uuid_or_404(record_id)).first()
    if found is None:
        raise Http404("Not found")
    return found


@supervisor_required
@require_http_methods(["GET", "POST"])
def record_edit(request: HttpRequest, kind: str, record_id: str) -> HttpResponse:
    user = current_user(request)
    found = _record_or_404(user, kind, record_id)
    form = record_forms.record_form(kind)(request.POST or None, instance=found)
    if request.method == "POST" and form.is_valid():
        record = form.save(commit=False)
        services.save_record(record, user, verified=bool(form.cleaned_data.get("verified")))
        return redirect(reverse("resources-admin-list", kwargs={"kind": kind}) + f"?saved={record.id}")
    parts = {part: services.parts_of(found, part) for part in record_forms.PARTS_OF.get(kind, ())}
    context = {"kind": kind, "record": found, "form": form, "parts": parts}
    return render(request, "resources/record_edit.html", context, status=400 if form.errors else 200)


def _part_form(kind: str, parent: Any, part: Any, data: Any) -> Any:
    form_class = record_forms.PART_FORMS[kind]
    if form_class is record_forms.TermForm:
        entity = "service" if isinstance(parent, Service) else "location"
        return form_class(data, instance=part, owner=parent.owner, link_entity=entity, link_id=parent.id)
    return form_class(data, instance=part)


def _part_or_404(parent: Any, kind: str, part_id: str | None) -> Any:
    if kind not in record_forms.PARTS_OF.get(_kind_of(parent), ()):
        raise Http404("Not found")
    if part_id is None:
        return record_forms.PART_MODELS[kind](owner=parent.owner)
    found = services.parts_of(parent, kind).filter(id=_uuid_or_404(part_id)).first()
    if found is None:
        raise Http404("Not found")
    return found


def _kind_of(record: Any) -> str:
    return next(kind for kind, model in KINDS.items() if isinstance(record, model))


@supervisor_required
@require_http_methods(["GET", "POST"])
def part_edit(request: HttpRequest, kind: str, record_id: str, part: str, part_id: str | None = None) -> HttpResponse:
    """Add or edit a phone, schedule or term of a service or location."""
    user = current_user(request)
    parent = _record_or_404(user, kind, record_id)
    found = _part_or_404(parent, part, part_id)
    form = _part_form(part, parent, found, request.POST or None)
    back = reverse("resources-admin-edit", kwargs={"kind": kind, "record_id": parent.id})
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        if part == "terms":
            saved.taxonomy_term = form.cleaned_data["term"]
        services.save_part(parent, saved, user, verified=bool(form.cleaned_data.get("verified")))
        return redirect(f"{back}?saved={part}#{part}")
    context = {"kind": kind, "record": parent, "part": part, "form": form, "adding": part_id is None, "back": back}
    return render(request, "resources/part_edit.html", context, status=400 if form.errors else 200)


@supervisor_required
@require_POST
def part_remove(request: HttpRequest, kind: str, record_id: str, part: str, part_id: str) -> HttpResponse:
    user = current_user(request)
    parent = _record_or_404(user, kind, record_id)
    services.retire_part(parent, _part_or_404(parent, part, part_id), user)
    back = reverse("resources-admin-edit", kwargs={"kind": kind, "record_id": parent.id})
    return redirect(f"{back}?removed={part}#{part}")


def _uuid_or_404(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise Http404("Not found") from None
