from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "calldesk.followups"
    label = "followups"

    def ready(self) -> None:
        # The console's stream asks every registered source what its viewer should be reminded of.
        from calldesk.followups.reminders import due_for_console
        from calldesk.followups.retention import blank_for_retention
        from calldesk.push.reminders import register
        from calldesk.reports import retention

        register("followups", due_for_console)
        # The editor's panel looks for the report's follow-ups only when there are some.
        from django.db.models import Exists, OuterRef

        from calldesk.followups.models import FollowUp
        from calldesk.followups.panel import FLAG
        from calldesk.reports.services import REPORT_FLAGS

        REPORT_FLAGS[FLAG] = lambda: Exists(FollowUp.objects.filter(report=OuterRef("pk")))
        # Reasons and attempt notes are blanked by the organization's retention like reports.
        if blank_for_retention not in retention.RETENTION_HOOKS:
            retention.RETENTION_HOOKS.append(blank_for_retention)
