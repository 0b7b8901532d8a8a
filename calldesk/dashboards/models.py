"""What supervisors did with reports in bulk: exports, and what retention removed."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from calldesk.accounts.models import Organization
from calldesk.lib.sealed import SealedJSONField


class ExportRecord(models.Model):
    """One export of a filtered report list (SPEC §4: every export is recorded)."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="exports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="exports")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    format = models.CharField(max_length=8, choices=Format.choices)
    # The filter as the list read it ({"from": "2026-01-01", "phone": "+1…", …}): sealed, since
    # it may name a caller's number, which retention also blanks here like anywhere else.
    filters = SealedJSONField(default=dict)
    # Rows written; for a download cut short, the rows sent before it stopped.
    rows = models.PositiveIntegerField(default=0)
    complete = models.BooleanField(default=False)

    class Meta:
        indexes = [
            # The audit list: an organization's exports, newest first; retention by age.
            models.Index(fields=["organization", "started_at"], name="export_org_started_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.format} export of {self.rows} rows at {self.started_at:%Y-%m-%d %H:%M}"


class RetentionRun(models.Model):
    """One run of the retention command for one organization: what it blanked."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="retention_runs")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    retention_days = models.PositiveIntegerField()
    # Reports whose call started before this were past the retention period.
    cutoff = models.DateTimeField()
    reports_redacted = models.PositiveIntegerField(default=0)
    calls_redacted = models.PositiveIntegerField(default=0)
    exports_redacted = models.PositiveIntegerField(default=0)
    # The personal field keys blanked on at least one report (never their values).
    field_keys = models.JSONField(default=list)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"retention of {self.organization_id} at {self.started_at:%Y-%m-%d %H:%M}: {self.reports_redacted}"
