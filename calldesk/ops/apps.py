from django.apps import AppConfig


class OpsConfig(AppConfig):
    """How Calldesk is run: the `calldesk serve` command (see docs/serving.md)."""

    name = "calldesk.ops"
    label = "ops"
