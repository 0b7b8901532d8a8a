from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "calldesk.audit"
    label = "audit"

    def ready(self) -> None:
        from calldesk.audit import receivers

        receivers.connect()
