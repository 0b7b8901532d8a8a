"""The resource directory's actions, called by the command, the admin pages and tests alike."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from calldesk.accounts.models import Organization as CalldeskOrganization
from calldesk.accounts.models import User
from calldesk.resources import exporter, generate, importer, search
from calldesk.resources.models import Attribute, Location, Organization, Phone, Schedule, Service

# An import's steps as a share of its time (measured: reading and checking a 5,000-service
# directory took 2.3 s of CPU, writing it 5.1 s, the search index 0.8 s).
READ_SHARE, WRITE_SHARE = 30, 60
TOTAL_SHARE = 100


def import_directory(
    owner: CalldeskOrganization, path: Path, progress: importer.Progress | None = None
) -> importer.Summary:
    """Make `owner`'s directory match the HSDS file(s) at `path`; raises ImportRefused, changing
    nothing. `progress` hears (step, done, total) with total 100 as the import goes."""

    def phase(start: int, share: int) -> importer.Progress | None:
        if progress is None:
            return None
        return lambda what, done, total: progress(what, start + share * done // max(total, 1), TOTAL_SHARE)

    source = importer.read_path(path, phase(0, READ_SHARE))
    with transaction.atomic():
        summary = importer.apply(owner, source, phase(READ_SHARE, WRITE_SHARE))
        if progress:
            progress("updating the search index", READ_SHARE + WRITE_SHARE, TOTAL_SHARE)
        search.rebuild_index(owner)
        search.directory_changed(owner.pk)
    if progress:
        progress("done", TOTAL_SHARE, TOTAL_SHARE)
    return summary


def export_directory(owner: CalldeskOrganization, directory: Path) -> dict[str, int]:
    return exporter.export_directory(owner, directory)


def load_demo_directory(owner: CalldeskOrganization) -> importer.Summary:
    """An invented directory (a few dozen services with terms, places, hours and languages);
    idempotent, since its ids are derived from names."""
    with tempfile.TemporaryDirectory(prefix="calldesk-demo-directory-") as folder:
        rows = generate.make_directory(services=36, locations=24, terms=12, seed=7)
        return import_directory(owner, generate.write_datapackage(rows, Path(folder)))


Verifiable = Organization | Service | Location
Part = Phone | Schedule | Attribute


def _mark_verified(record: Verifiable, user: User) -> None:
    record.last_verified_on = timezone.localdate()
    record.last_verified_by = user


def save_record(record: Verifiable, user: User, verified: bool) -> None:
    """Save an edited organization, service or location (checked by its form) and what search
    keeps of it; `verified` records that the details were checked with the provider today."""
    if verified:
        _mark_verified(record, user)
    with transaction.atomic():
        record.save()
        if isinstance(record, Service):
            search.index_service(record)
        elif isinstance(record, Organization):
            # Its name is in each of its services' words: those are indexed again, not the
            # whole directory (seconds at 50,000 services).
            for service in record.services.select_related("organization"):
                search.index_service(service)
        elif isinstance(record, Location):
            search.directory_changed(record.owner_id)  # its coordinates may have moved a place's centre


def save_part(parent: Service | Location, part: Part, user: User, verified: bool) -> None:
    """Save a phone, schedule or term link (attribute) of `parent`, checked by its form."""
    part.owner_id = parent.owner_id
    if isinstance(part, Attribute):
        part.link_entity = "service" if isinstance(parent, Service) else "location"
        part.link_id = parent.id
    elif isinstance(parent, Service):
        part.service = parent
    else:
        part.location = parent
    with transaction.atomic():
        part.save()
        _parent_changed(parent, user, verified)


def retire_part(parent: Service | Location, part: Part, user: User) -> None:
    """Take a part away the way an import does: retired, so referrals keep what they pointed to."""
    part.retired_at = timezone.now()
    with transaction.atomic():
        part.save(update_fields=["retired_at"])
        _parent_changed(parent, user, verified=False)


def _parent_changed(parent: Service | Location, user: User, verified: bool) -> None:
    if verified:
        _mark_verified(parent, user)
        parent.save(update_fields=["last_verified_on", "last_verified_by"])
    if isinstance(parent, Service):
        # Its terms are among the words search finds it by.
        search.index_service(parent)


def parts_of(parent: Service | Location, kind: str) -> QuerySet[Any]:
    """The current phones, schedules or term links of a service or location."""
    if kind == "terms":
        return (
            Attribute.objects.filter(owner_id=parent.owner_id, link_id=parent.id, retired_at=None)
            .select_related("taxonomy_term")
            .order_by("taxonomy_term__name", "id")
        )
    model = Phone if kind == "phones" else Schedule
    link = {"service": parent} if isinstance(parent, Service) else {"location": parent}
    return model.objects.filter(retired_at=None, **link).order_by("id")
