"""Call reports (one filled form) and their history of changes."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models

from calldesk.accounts.models import Organization
from calldesk.callforms.models import CallForm, FormRevision
from calldesk.lib.prepared import insert
from calldesk.lib.sealed import PersonalValuesField, PhoneHashField, SealedJSONField, SealedTextField
from calldesk.lib.urls import uuid_url
from calldesk.reports import tokens
from calldesk.telephony.models import Call


def is_empty(value: Any) -> bool:
    """None, "" and [] all mean "nothing entered". `False` (a yes/no answered No) and 0 are values."""
    return value is None or value == "" or value == []


def stored_values(values: dict[str, Any]) -> dict[str, Any]:
    """A report's values as stored: an empty field has no key at all, never a JSON null, "" or [].
    One shape for "empty" keeps every query simple on both databases: a JSON null reads as the
    text `null` on SQLite (so a filter `nu` matched it, and charts counted it apart from "none")."""
    return {key: value for key, value in values.items() if not is_empty(value)}


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    # A non-data call (hang-up, silent, …) closed in one click.
    CLOSED = "closed", "Closed"
    # A draft a supervisor closed because nobody will finish it.
    ABANDONED = "abandoned", "Abandoned"
    # The draft of a specialist whose phone rang while another specialist answered the call
    # (ringall queues, forked rings): withdrawn, never in anyone's unfinished calls.
    ANSWERED_ELSEWHERE = "elsewhere", "Answered elsewhere"


class CallReport(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="reports")
    form = models.ForeignKey(CallForm, on_delete=models.PROTECT, related_name="reports")
    revision = models.ForeignKey(FormRevision, on_delete=models.PROTECT, related_name="reports")
    call = models.OneToOneField(Call, on_delete=models.SET_NULL, null=True, blank=True, related_name="report")
    # Built-in fields.
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="reports_as_agent"
    )
    call_start = models.DateTimeField()
    # The caller's number is sealed at rest (calldesk.lib.sealed); equality lookups (repeat
    # callers, the phone filter) use phone_hash, a keyed hash of phone_e164 set by every save.
    phone_raw = SealedTextField(blank=True)
    phone_e164 = SealedTextField(blank=True)
    phone_hash = PhoneHashField(source="phone_e164")
    call_type = models.CharField(max_length=63, blank=True)
    # Custom fields: {field_key: value} as the revision defines them.
    values = PersonalValuesField(default=dict)  # the fields marked personal sealed at rest
    # A draft's values that do not pass their check yet, as typed ({posted name: text}): a
    # draft keeps everything typed and submit refuses them (reports.forms). Sealed:
    # any field's typing may be the caller's (a half-typed number, a name in the wrong field).
    unchecked = SealedJSONField(default=dict, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reports_written")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every save; a save based on an older version is refused (no silent overwrite).
    version = models.PositiveIntegerField(default=1)
    # The key of the submit that submitted it: the same submit retried answers as done.
    submit_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # Set when personal data was blanked by retention.
    redacted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # Repeat-caller history: earlier calls of one number to one organization.
            models.Index(fields=["organization", "phone_hash", "call_start"], name="report_repeat_caller_idx"),
            # Report lists and dashboards: an organization's reports in a date range.
            models.Index(fields=["organization", "call_start"], name="report_org_start_idx"),
            # "My unfinished calls" and "My reports".
            models.Index(fields=["author", "status", "created_at"], name="report_author_status_idx"),
            # A specialist's report list: their reports (as agent or as author) by call start.
            models.Index(fields=["agent", "call_start"], name="report_agent_start_idx"),
            models.Index(fields=["author", "call_start"], name="report_author_start_idx"),
            # The list sorted by form or by status reads each form's (each status's) reports
            # newest first from these (reports.lists._grouped_rows); by agent, the agent index above.
            models.Index(fields=["form", "call_start"], name="report_form_start_idx"),
            models.Index(fields=["organization", "status", "call_start"], name="report_org_status_start_idx"),
        ]
        constraints = [
            # A report is submitted (or closed) at a known time, and a draft has no submit time.
            models.CheckConstraint(
                condition=models.Q(status="draft", submitted_at__isnull=True)
                | models.Q(status__in=["abandoned", "elsewhere"])
                | models.Q(status__in=["submitted", "closed"], submitted_at__isnull=False),
                name="report_submitted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"report {self.public_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.values = stored_values(self.values or {})
        created = self._state.adding
        update_fields = kwargs.get("update_fields")
        super().save(*args, **kwargs)
        if update_fields is None or "values" in update_fields or "status" in update_fields:
            # The word index of the personal text fields follows the values and the status,
            # whatever path saved them (submit, close, abandon, correct; a draft holds none).
            tokens.write_all(self, created)

    def get_absolute_url(self) -> str:
        return uuid_url("reports-detail", public_id=self.public_id)

    def insert_draft(self) -> None:
        """Write this new draft as `save()` would (a new draft has no word index), by an INSERT
        compiled once: every screen pop writes one."""
        assert self._state.adding and self.status == Status.DRAFT
        self.values = stored_values(self.values or {})
        insert(self)

    @property
    def is_draft(self) -> bool:
        return self.status == Status.DRAFT


class ReportChange(models.Model):
    class Action(models.TextChoices):
        CREATED = "created", "Created"
        SAVED = "saved", "Saved"
        SUBMITTED = "submitted", "Submitted"
        CORRECTED = "corrected", "Corrected"
        CLOSED = "closed", "Closed"
        ABANDONED = "abandoned", "Closed as abandoned"
        REOPENED = "reopened", "Reopened"
        ANSWERED_ELSEWHERE = "elsewhere", "Withdrawn: answered elsewhere"
        REDACTED = "redacted", "Personal data removed"
        # A follow-up of the report scheduled, tried, done or closed (calldesk.followups).
        FOLLOW_UP = "follow_up", "Follow-up"

    report = models.ForeignKey(CallReport, on_delete=models.CASCADE, related_name="changes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True)
    action = models.CharField(max_length=12, choices=Action.choices)
    # {field_key: [before, after]} for the fields this change touched; sealed, since it holds
    # numbers and personal values as they were.
    changes = SealedJSONField(default=dict)
    version = models.PositiveIntegerField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} of {self.report_id} at {self.at:%Y-%m-%d %H:%M}"


class ReportToken(models.Model):
    """One blind-index token of a report's sealed text fields (calldesk.lib.blind): how a
    supervisor finds a caller by a word or the start of one while the database holds no name.
    The token already carries the organization and the field key, so no other column is needed;
    written by `reports.tokens` with every save of the report's values, removed by retention."""

    # The foreign key's own index serves rewriting and deleting one report's tokens.
    report = models.ForeignKey(CallReport, on_delete=models.CASCADE, related_name="+")
    token = models.BigIntegerField()

    class Meta:
        indexes = [
            # A search: the reports holding a token (an index-only scan gives their ids).
            models.Index(fields=["token", "report"], name="report_token_idx"),
        ]

    def __str__(self) -> str:
        return f"token of {self.report_id}"


class ExportRecord(models.Model):
    """One export of a filtered report list: every export is recorded, complete or cut short."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"
        # A second CSV of the same filter: one row per referral (reports/referral_exports.py).
        REFERRALS = "referral", "Referrals (CSV)"
        # `GET /api/reports/export`: the reports as JSON lines, for an API token (api/reports.py).
        API = "api", "API (JSON lines)"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="exports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="exports")
    # Who exported when it was no person: an API token, by name ("API token “nightly copy”"),
    # as the access log names it.
    actor = models.CharField(max_length=254, blank=True, default="")
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
        # The table keeps the name it had when dashboards held this model: moving the model
        # between apps renamed nothing in an existing database.
        db_table = "dashboards_exportrecord"
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
        db_table = "dashboards_retentionrun"
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"retention of {self.organization_id} at {self.started_at:%Y-%m-%d %H:%M}: {self.reports_redacted}"
