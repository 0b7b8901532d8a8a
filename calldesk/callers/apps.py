from django.apps import AppConfig


class CallersConfig(AppConfig):
    name = "calldesk.callers"
    label = "callers"

    def ready(self) -> None:
        from calldesk.callers import hooks

        hooks.connect()
        # A pop looks the caller's profile up only when the number has one.
        from django.db.models import Exists, OuterRef

        from calldesk.callers.models import CallerNumber
        from calldesk.callers.services import FLAG
        from calldesk.reports.services import REPORT_FLAGS

        REPORT_FLAGS[FLAG] = lambda: Exists(
            CallerNumber.objects.filter(organization=OuterRef("organization_id"), number_hash=OuterRef("phone_hash"))
        )
