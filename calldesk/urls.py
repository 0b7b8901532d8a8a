from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import include, path

from calldesk.accounts import twofactor_views
from calldesk.accounts.views import LoginView, logout_view
from calldesk.api.site import api
from calldesk.lib.middleware import TELEPHONY_PATH
from calldesk.ops.health import healthz, readyz
from calldesk.risk import urls as risk_urls
from calldesk.telephony import views as telephony_views


def home(request: HttpRequest) -> HttpResponse:
    return redirect("reports-list" if request.user.is_authenticated else "accounts-login")


FAVICON = Path(__file__).resolve().parent / "static" / "calldesk" / "favicon.ico"


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers and bookmarks ask for /favicon.ico whatever the page links; answered here, not 404."""
    return HttpResponse(FAVICON.read_bytes(), content_type="image/x-icon")


urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("favicon.ico", favicon, name="favicon"),
    path("accounts/login/", LoginView.as_view(), name="accounts-login"),
    path("accounts/logout/", logout_view, name="accounts-logout"),
    path("accounts/two-factor/", twofactor_views.verify, name="accounts-two-factor"),
    path("accounts/two-factor/setup/", twofactor_views.setup, name="accounts-two-factor-setup"),
    path("accounts/security/", twofactor_views.security, name="accounts-security"),
    path("accounts/", include("calldesk.accounts.urls")),
    # Matched for any spelling of the path by CanonicalTelephonyPathMiddleware.
    path(TELEPHONY_PATH.removeprefix("/"), telephony_views.get_call_report, name="telephony-get-call-report"),
    path("Telephony/resume/<str:token>", telephony_views.resume, name="telephony-resume"),
    path("reports/", include("calldesk.reports.urls")),
    path("configure/risk-webhook/", include(risk_urls.configure_patterns)),
    path("configure/", include("calldesk.configure.urls")),
    path("risk/", include("calldesk.risk.urls")),
    path("dashboards/", include("calldesk.dashboards.urls")),
    path("api/", api.urls),
    path("audit/", include("calldesk.audit.urls")),
    path("console/", include("calldesk.push.urls")),
    path("callers/", include("calldesk.callers.urls")),
    path("followups/", include("calldesk.followups.urls")),
    path("resources/", include("calldesk.resources.urls")),
    path("hsds/", include("calldesk.resources.hsds_urls")),
]

# A database that cannot be reached answers 503, saying so (pages and API alike).
handler500 = "calldesk.lib.unavailable.server_error"
