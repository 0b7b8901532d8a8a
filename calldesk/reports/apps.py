from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "calldesk.reports"
    label = "reports"
