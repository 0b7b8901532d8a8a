"""Every page of the site, for each role: the page-width test and the accessibility test walk
the same list, so a new page added here is checked by both."""

from __future__ import annotations

from dataclasses import dataclass

from calldesk.accounts.models import User
from calldesk.callers import services as callers
from calldesk.reports.models import CallReport
from tests.cast import Cast
from tests.reportdata import CALLER, CALLER_E164, make_known, make_report


@dataclass(frozen=True)
class Tour:
    """Who visits which pages; `draft` is a report still being written (the editor)."""

    who: str
    user: User | None
    paths: list[str]
    draft: CallReport | None = None


ANONYMOUS_PAGES = ["/accounts/login/"]


def every_page(cast: Cast) -> list[Tour]:
    known = make_known(cast)
    draft = make_report(cast.form_a, cast.specialist, known.r1.call_start, status="draft", phone=(CALLER, CALLER_E164))
    specialist_pages = [
        "/console/",
        "/reports/unfinished/",
        "/reports/",
        f"/reports/{known.r1.public_id}/",
        "/accounts/security/",
        "/no/such/page",
    ]
    profile, _ = callers.create_profile(cast.supervisor, CALLER_E164)
    callers.add_alert(cast.supervisor, profile, "Safety plan on file")
    supervisor_pages = [
        *specialist_pages,
        "/reports/?status=any",
        "/dashboards/?from=2026-03-01&to=2026-03-10",
        "/callers/",
        f"/callers/{profile.public_id}/",
        "/resources/admin/services/",
        "/resources/admin/services/?due=1",
    ]
    form = cast.form_a.public_id
    admin_pages = [
        *supervisor_pages,
        "/configure/",
        "/configure/forms/",
        f"/configure/forms/{form}/",
        f"/configure/forms/{form}/mappings/",
        f"/configure/forms/{form}/url/",
        f"/configure/forms/{form}/revisions/",
        f"/configure/forms/{form}/preview/",
        "/configure/users/",
        "/configure/users/new/",
        "/configure/settings/",
        "/configure/tokens/",
        "/configure/audit/",
        "/audit/",
        "/resources/admin/",
    ]
    return [
        Tour("anonymous", None, ANONYMOUS_PAGES),
        Tour("specialist", cast.specialist, specialist_pages, draft),
        Tour("supervisor", cast.supervisor, supervisor_pages),
        Tour("admin", cast.admin, admin_pages),
    ]
