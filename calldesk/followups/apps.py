from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "calldesk.followups"
    label = "followups"

    def ready(self) -> None:
        # The console's stream asks every registered source what its viewer should be reminded of.
        from calldesk.followups.reminders import due_for_console
        from calldesk.push.reminders import register

        register("followups", due_for_console)
