from django.apps import AppConfig


class VaultConfig(AppConfig):
    """Keys for caller data at rest, their rotation, and backups (docs/security.md)."""

    name = "calldesk.vault"

    def ready(self) -> None:
        from calldesk.vault import checks  # noqa: F401 - registers the deploy checks
