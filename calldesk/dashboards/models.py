"""The dashboards' rollup: each settled day's counts, kept exact by the database's own triggers.

Dashboards read reports, exports and retention runs (all in `reports`); what they own is this
cache of their own sums. A day is *settled* once it ended a few days ago (rollup.settled_before):
its counts rarely change after that, so they are counted once and kept (`DayCounts`). Any write
that could change a settled day's counts — a report or call of that day inserted, changed or
deleted, by Calldesk, retention or plain SQL — goes through triggers (migration 0004) that bump
that UTC day's generation (`DayChange`); a kept day is used only while the generations it was
counted under are still the current ones. Days not settled are always counted from the reports.
"""

from __future__ import annotations

from django.db import models

from calldesk.accounts.models import Organization


class DayChange(models.Model):
    """How many times rows of a settled UTC day changed; written only by the triggers."""

    # A plain number, not a foreign key: the triggers write here while an organization's reports
    # are deleted with it, after Django's collector removed its rows (they would then point to a
    # deleted organization at commit). Rows of a deleted organization are never read.
    organization_id = models.BigIntegerField()
    day = models.DateField()  # in UTC
    generation = models.BigIntegerField(default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization_id", "day"], name="dashboard_change_day_unique")]

    def __str__(self) -> str:
        return f"{self.day}: generation {self.generation}"


class DayCounts(models.Model):
    """One settled day's counts in the organization's zone, per form (rollup.Tally as JSON)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()  # in the organization's zone
    # What the counts were made under: the zone and the forms' revisions (rollup.signature) and
    # the generations of the UTC days the local day touches. Any difference: counted again.
    signature = models.CharField(max_length=64)
    generations = models.JSONField(default=dict)
    counts = models.JSONField(default=dict)
    counted_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "day"], name="dashboard_counts_day_unique")]

    def __str__(self) -> str:
        return f"{self.day} (counted {self.counted_at:%Y-%m-%d %H:%M})"
