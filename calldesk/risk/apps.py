from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "calldesk.risk"
    label = "risk"

    def ready(self) -> None:
        # The console's push carries risk events (calldesk.push imports no app's internals).
        from calldesk.push.events import register_kind
        from calldesk.reports import retention, services
        from calldesk.risk.services import blank_old_records, describe_for_console, submit_refusal

        register_kind("risk", describe_for_console)
        # The editor's panel reads the report's risk event only when it has one.
        from django.db.models import Exists, OuterRef

        from calldesk.risk.models import RiskEvent
        from calldesk.risk.services import FLAG

        services.REPORT_FLAGS[FLAG] = lambda: Exists(RiskEvent.objects.filter(report=OuterRef("pk")))
        # A report is not submitted while its emergency record has no outcome.
        if submit_refusal not in services.SUBMIT_CHECKS:
            services.SUBMIT_CHECKS.append(submit_refusal)
        # An emergency record's reference and notes name the caller's case: blanked with the reports.
        if blank_old_records not in retention.RETENTION_HOOKS:
            retention.RETENTION_HOOKS.append(blank_old_records)
