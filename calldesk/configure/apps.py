from django.apps import AppConfig


class ConfigureConfig(AppConfig):
    name = "calldesk.configure"
    label = "configure"
