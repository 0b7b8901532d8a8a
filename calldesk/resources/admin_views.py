"""Admin pages of the resource directory: import a directory (upload with progress), edit
organizations, services and locations, mark them verified, and the list due for their yearly
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
from django.views.decorators.http import require_http_methods, require_POST

from calldesk.accounts.access import admin_required, current_user, supervisor_required
from calldesk.resources import hsds, search, services, uploads
from calldesk.resources.importer import ImportRefused
from calldesk.resources.models import DirectorySettings, Location, Organization, Service

VERIFY_EVERY_DAYS = 365
KINDS: dict[str, type[Organization | Service | Location]] = {
    "organizations": Organization,
    "services": Service,
    "locations": Location,
}
TABLE_OF = {"organizations": "organization", "services": "service", "locations": "location"}
PAGE_SIZE = 50


class UploadForm(forms.Form):
    file = forms.FileField(label="Directory (.zip of an HSDS datapackage, or HSDS .json)")


@admin_required
@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    owner = current_user(request).organization
    assert owner is not None
    context: dict[str, Any] = {"form": UploadForm(), "counts": _counts(owner), "due": _due(owner).count()}
    context["settings"], _ = DirectorySettings.objects.get_or_create(owner=owner)
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        context["form"] = form
        wants_json = "application/json" in request.headers.get("Accept", "")
        if form.is_valid():
            try:
                with uploads.unpacked(form.cleaned_data["file"]) as path:
                    summary = services.import_directory(owner, path)
            except ImportRefused as refused:
                if wants_json:
                    return JsonResponse({"ok": False, "problems": refused.problems}, status=400)
                context["problems"] = refused.problems
                return render(request, "resources/admin_home.html", context, status=400)
            if wants_json:
                return JsonResponse({"ok": True, "summary": str(summary)})
            context["summary"] = str(summary)
            context["counts"] = _counts(owner)
        elif wants_json:
            return JsonResponse({"ok": False, "problems": [str(e) for e in form.errors.get("file", [])]}, status=400)
    return render(request, "resources/admin_home.html", context)


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


def _edit_form(kind: str) -> type[forms.ModelForm]:
    table = hsds.tables()[TABLE_OF[kind]]
    editable = [
        f.name
        for f in KINDS[kind]._meta.concrete_fields
        if f.attname in table.fields and f.name != "id" and not f.is_relation and not f.attname.endswith("_id")
    ]

    class EditForm(forms.ModelForm):
        verified = forms.BooleanField(
            required=False, label="Verified today (the details were checked with the provider)"
        )

        class Meta:
            model = KINDS[kind]
            fields = editable

    return EditForm


@supervisor_required
@require_http_methods(["GET", "POST"])
def record_edit(request: HttpRequest, kind: str, record_id: str) -> HttpResponse:
    if kind not in KINDS:
        raise Http404("Not found")
    user = current_user(request)
    found = (
        KINDS[kind]
        ._default_manager.filter(owner=user.organization, retired_at=None, id=_uuid_or_404(record_id))
        .first()
    )
    if found is None:
        raise Http404("Not found")
    form = _edit_form(kind)(request.POST or None, instance=found)
    if request.method == "POST" and form.is_valid():
        record = form.save(commit=False)
        if form.cleaned_data.get("verified"):
            record.last_verified_on = timezone.localdate()
            record.last_verified_by = user
        record.save()
        if kind == "services":
            search.index_service(record)
        elif kind == "organizations":
            search.rebuild_index(record.owner)
        return redirect(reverse("resources-admin-list", kwargs={"kind": kind}) + f"?saved={record.id}")
    return render(request, "resources/record_edit.html", {"kind": kind, "record": found, "form": form})


def _uuid_or_404(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise Http404("Not found") from None
