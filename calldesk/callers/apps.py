from django.apps import AppConfig


class CallersConfig(AppConfig):
    name = "calldesk.callers"
    label = "callers"

    def ready(self) -> None:
        from calldesk.callers import hooks

        hooks.connect()
