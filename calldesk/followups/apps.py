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
        # Reasons and attempt notes are blanked by the organization's retention like reports.
        if blank_for_retention not in retention.RETENTION_HOOKS:
            retention.RETENTION_HOOKS.append(blank_for_retention)
