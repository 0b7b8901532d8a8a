from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    name = "calldesk.resources"
    label = "resources"
    verbose_name = "Resource directory (HSDS 3.0)"
