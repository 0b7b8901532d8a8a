from django.urls import path

from calldesk.push import views

urlpatterns = [
    path("", views.console, name="push-console"),
    path("window", views.report_window, name="push-report-window"),
    path("status", views.status, name="push-status"),
    # Served by calldesk/push/stream.py under `calldesk serve`; this view only says so elsewhere.
    path("events", views.stream_unavailable, name="push-events"),
]
