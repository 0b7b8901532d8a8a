from django.apps import AppConfig


class PushConfig(AppConfig):
    name = "calldesk.push"
    label = "push"
