"""Retention for follow-ups: the reason and the attempts' notes may name the caller, so they are
blanked with the report's personal fields, once its call is older than the organization keeps
personal data (`calldesk retention`). Due times, states and outcomes stay for the dashboards."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q

from calldesk.accounts.models import Organization
from calldesk.followups.models import Attempt, FollowUp


def blank_follow_ups(organization: Organization, cutoff: datetime) -> int:
    """Blanks what is left to blank; answers how many follow-ups had something blanked."""
    old = Q(report__organization=organization, report__call_start__lt=cutoff)
    with transaction.atomic():
        follow_ups = FollowUp.objects.filter(old).exclude(reason="").update(reason="")
        Attempt.objects.filter(
            Q(follow_up__report__organization=organization), follow_up__report__call_start__lt=cutoff
        ).exclude(note="").update(note="")
    return follow_ups


def blank_for_retention(organization: Organization, cutoff: datetime, now: datetime) -> int:
    """`blank_follow_ups` as a retention hook (calldesk.reports.retention.RETENTION_HOOKS)."""
    return blank_follow_ups(organization, cutoff)
