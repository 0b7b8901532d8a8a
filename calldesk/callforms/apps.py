from django.apps import AppConfig


class CallformsConfig(AppConfig):
    name = "calldesk.callforms"
    label = "callforms"
