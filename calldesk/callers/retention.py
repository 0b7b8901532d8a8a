"""Retention for caller profiles, run with the reports' (calldesk.reports.retention): a profile
nobody changed since the cutoff and whose numbers made no call since then is blanked like a
report's personal fields. Its name, instructions, alerts, block and numbers go; the row stays,
marked, so counts of profiles stay true. Safe to re-run: a blanked profile has no number left
and is not taken again.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from calldesk.accounts.models import Organization
from calldesk.callers.models import CallerNumber, CallerProfile, not_blocked
from calldesk.reports.models import CallReport


def blank_profiles(organization: Organization, cutoff: datetime, now: datetime) -> int:
    blanked = 0
    stale = CallerProfile.objects.filter(organization=organization, updated_at__lt=cutoff, redacted_at__isnull=True)
    for profile_id in stale.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            profile = (
                CallerProfile.objects.select_for_update(skip_locked=True)
                .filter(pk=profile_id, updated_at__lt=cutoff, redacted_at__isnull=True)
                .first()
            )
            if profile is None:
                continue
            hashes = list(CallerNumber.objects.filter(profile=profile).values_list("number_hash", flat=True))
            recent = CallReport.objects.filter(
                organization=organization, phone_hash__in=hashes, call_start__gte=cutoff
            ).exists()
            if recent:  # the caller still calls: the profile is still in use
                continue
            CallerNumber.objects.filter(profile=profile).delete()
            # `update` leaves updated_at alone: a blanking is not an edit.
            CallerProfile.objects.filter(pk=profile.pk).update(
                preferred_name="", instructions="", block=not_blocked(), alerts=[], redacted_at=now
            )
            blanked += 1
    return blanked
