from django.apps import AppConfig


class ConfigioConfig(AppConfig):
    name = "calldesk.configio"
    label = "configio"
