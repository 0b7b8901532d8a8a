"""The report lists supervisors and specialists search (issue 5 builds filters and exports here)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from calldesk.accounts.access import current_user
from calldesk.reports.models import Status
from calldesk.reports.views import visible_reports


@login_required
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    reports = (
        visible_reports(user)
        .exclude(status=Status.DRAFT)
        .select_related("form", "agent")
        .order_by("-call_start", "-id")
    )
    page = Paginator(reports, 50).get_page(request.GET.get("page"))
    return render(
        request, "reports/list.html", {"page": page, "title": "My reports" if not user.is_supervisor else "Reports"}
    )
