from django.urls import path

from calldesk.dashboards import views

urlpatterns = [
    path("", views.dashboard, name="dashboards-home"),
]
