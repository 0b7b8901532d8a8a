from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "calldesk.dashboards"
    label = "dashboards"
