from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "calldesk.risk"
    label = "risk"

    def ready(self) -> None:
        # The console's push carries risk events (calldesk.push imports no app's internals).
        from calldesk.push.events import register_kind
        from calldesk.risk.services import describe_for_console

        register_kind("risk", describe_for_console)
