from django.urls import path

from calldesk.risk import views

urlpatterns = [
    path("reports/<uuid:public_id>/raise", views.raise_risk, name="risk-raise"),
    path("reports/<uuid:public_id>/emergency", views.record_emergency, name="risk-emergency"),
    path("<uuid:public_id>/take", views.take, name="risk-take"),
    path("<uuid:public_id>/take-over", views.take_over, name="risk-take-over"),
]

# Mounted at /configure/risk-webhook/ (calldesk/urls.py), beside the other admin pages.
configure_patterns = [
    path("", views.webhook, name="risk-webhook"),
]
