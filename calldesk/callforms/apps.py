from django.apps import AppConfig


class CallformsConfig(AppConfig):
    name = "calldesk.callforms"
    label = "callforms"

    def ready(self) -> None:
        # Connects the revision cache's signals in every process, whatever it imports first.
        from calldesk.callforms import revision_cache  # noqa: F401
