"""The resource directory: Open Referral HSDS 3.0 records, one directory per Calldesk organization.

Each model is the HSDS table of the same name with HSDS's field names (a foreign key `x` is
HSDS's `x_id`), its UUID `id` and its required fields (hsds/datapackage.json is the copy of the
specification these follow; tests check every field against it). HSDS ids are UUIDs, unique by
design, so they are the primary keys: one id belongs to one organization's directory, and an
import that finds an id in another organization's directory refuses it (docs/resources.md).

Beside HSDS's fields every record has its Calldesk `owner` and `retired_at`: a record that a
newer import no longer holds is retired, not deleted, so a report's referral still finds what it
pointed to; search, export and the HSDS API show only records that are not retired.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper

from calldesk.accounts.models import Organization as CalldeskOrganization


def optional_text() -> models.TextField:
    """An optional HSDS string: empty when absent, as in a CSV cell."""
    return models.TextField(blank=True, default="")


def optional_number() -> models.FloatField:
    return models.FloatField(null=True, blank=True)


def uuid_ref() -> models.UUIDField:
    """A UUID HSDS names but whose table the directory does not hold (program, contact, …)."""
    return models.UUIDField(null=True, blank=True)


class Record(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    owner = models.ForeignKey(CalldeskOrganization, on_delete=models.CASCADE, related_name="+")
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self._meta.model_name} {self.id}"


class Verified(models.Model):
    """I&R standards ask that a record be checked yearly: when, and by whom."""

    last_verified_on = models.DateField(null=True, blank=True)
    last_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        abstract = True


class LocationType(models.TextChoices):
    PHYSICAL = "physical"
    POSTAL = "postal"
    VIRTUAL = "virtual"


class ServiceStatus(models.TextChoices):
    ACTIVE = "active"
    INACTIVE = "inactive"
    DEFUNCT = "defunct"
    TEMPORARILY_CLOSED = "temporarily closed"


class Organization(Record, Verified):
    name = models.TextField()
    alternate_name = optional_text()
    description = models.TextField()
    email = optional_text()
    website = optional_text()
    tax_status = optional_text()
    tax_id = optional_text()
    year_incorporated = optional_number()
    legal_status = optional_text()
    logo = optional_text()
    uri = optional_text()
    parent_organization_id = uuid_ref()

    def __str__(self) -> str:
        return self.name


class Service(Record, Verified):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="services")
    program_id = uuid_ref()
    name = models.TextField()
    alternate_name = optional_text()
    description = optional_text()
    url = optional_text()
    email = optional_text()
    status = models.CharField(max_length=20, choices=ServiceStatus.choices)
    interpretation_services = optional_text()
    application_process = optional_text()
    fees_description = optional_text()
    wait_time = optional_text()
    fees = optional_text()
    accreditations = optional_text()
    eligibility_description = optional_text()
    minimum_age = optional_number()
    maximum_age = optional_number()
    assured_date = models.DateField(null=True, blank=True)
    assurer_email = optional_text()
    licenses = optional_text()
    alert = optional_text()
    last_modified = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # Search and the HSDS API list an organization's current services.
            models.Index(fields=["owner", "retired_at", "status"], name="resources_service_owner"),
        ]

    def __str__(self) -> str:
        return self.name


class Location(Record, Verified):
    location_type = models.CharField(max_length=10, choices=LocationType.choices)
    url = optional_text()
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="locations"
    )
    name = optional_text()
    alternate_name = optional_text()
    description = optional_text()
    transportation = optional_text()
    latitude = optional_number()
    longitude = optional_number()
    external_identifier = optional_text()
    external_identifier_type = optional_text()

    class Meta:
        indexes = [
            # "Near a place" first keeps the locations inside a bounding box (search.py).
            models.Index(fields=["owner", "latitude", "longitude"], name="resources_location_box"),
        ]

    def __str__(self) -> str:
        return self.name or str(self.id)


class Address(Record):
    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.CASCADE, related_name="addresses")
    attention = optional_text()
    address_1 = models.TextField()
    address_2 = optional_text()
    city = models.TextField()
    region = optional_text()
    state_province = models.TextField()
    postal_code = models.TextField()
    country = models.TextField()
    address_type = models.CharField(max_length=10, choices=LocationType.choices)

    class Meta:
        verbose_name_plural = "addresses"
        indexes = [
            # A postcode's centroid is the mean of its locations (search.py).
            models.Index(fields=["owner", "postal_code"], name="resources_address_postcode"),
        ]


class ServiceAtLocation(Record):
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="service_at_locations")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="service_at_locations")
    description = optional_text()


class Phone(Record):
    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.CASCADE, related_name="phones")
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.CASCADE, related_name="phones")
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="phones"
    )
    contact_id = uuid_ref()
    service_at_location = models.ForeignKey(
        ServiceAtLocation, null=True, blank=True, on_delete=models.CASCADE, related_name="phones"
    )
    number = models.TextField()
    extension = optional_number()
    type = optional_text()
    description = optional_text()


class Schedule(Record):
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.CASCADE, related_name="schedules")
    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.CASCADE, related_name="schedules")
    service_at_location = models.ForeignKey(
        ServiceAtLocation, null=True, blank=True, on_delete=models.CASCADE, related_name="schedules"
    )
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    dtstart = models.DateField(null=True, blank=True)
    timezone = optional_number()
    until = models.DateField(null=True, blank=True)
    count = optional_number()
    wkst = optional_text()
    freq = optional_text()
    interval = optional_number()
    byday = optional_text()
    byweekno = optional_text()
    bymonthday = optional_text()
    byyearday = optional_text()
    description = optional_text()
    opens_at = models.TimeField(null=True, blank=True)
    closes_at = models.TimeField(null=True, blank=True)
    schedule_link = optional_text()
    attending_type = optional_text()
    notes = optional_text()


class ServiceArea(Record):
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.CASCADE, related_name="service_areas")
    name = optional_text()
    description = optional_text()
    extent = optional_text()
    extent_type = optional_text()
    uri = optional_text()


class Language(Record):
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.CASCADE, related_name="languages")
    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.CASCADE, related_name="languages")
    phone = models.ForeignKey(Phone, null=True, blank=True, on_delete=models.CASCADE, related_name="languages")
    name = optional_text()
    code = optional_text()
    note = optional_text()

    class Meta:
        # A search asks for a language by code or name, any case (UPPER(code) = 'ES'). These
        # indexes find its rows, and give PostgreSQL statistics of the expression: without them
        # it guessed 0.5 % of the rows where a quarter speak Spanish, and chose a nested loop
        # (63 ms at 50,000 services, 23 ms with them).
        indexes = [
            models.Index(Upper("code"), name="resources_language_code_upper"),
            models.Index(Upper("name"), name="resources_language_name_upper"),
        ]


class Taxonomy(Record):
    name = models.TextField()
    description = models.TextField()
    uri = optional_text()
    version = optional_text()

    class Meta:
        verbose_name_plural = "taxonomies"

    def __str__(self) -> str:
        return self.name


class TaxonomyTerm(Record):
    code = optional_text()
    name = models.TextField()
    description = models.TextField()
    parent_id = uuid_ref()
    # HSDS names both the taxonomy's name (`taxonomy`, text) and its record (`taxonomy_id`).
    taxonomy = optional_text()
    language = optional_text()
    vocabulary = models.ForeignKey(
        Taxonomy, null=True, blank=True, on_delete=models.CASCADE, db_column="taxonomy_id", related_name="terms"
    )
    term_uri = optional_text()

    class Meta:
        indexes = [
            # The panel's taxonomy tree (the terms under a term, whether a term has any), and search
            # by a term, which walks down from it to the terms below (search.py).
            models.Index(fields=["owner", "parent_id"], name="resources_term_parent"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}".strip()


class Attribute(Record):
    """Links a taxonomy term to any record (`link_entity` names its table, `link_id` its id)."""

    link_id = models.UUIDField()
    taxonomy_term = models.ForeignKey(TaxonomyTerm, on_delete=models.CASCADE, related_name="attributes")
    link_type = optional_text()
    link_entity = models.TextField()
    value = optional_text()

    class Meta:
        indexes = [
            # Search by term: the services a term is attached to.
            models.Index(fields=["owner", "taxonomy_term", "link_entity"], name="resources_attribute_term"),
        ]


class ServiceIndex(models.Model):
    """Search's copy of a service's words: folded (lower case, accents removed) by search.fold, the
    same on both databases, so PostgreSQL's full-text index and SQLite's FTS5 see the same tokens.
    Rebuilt for an organization after every import or edit (search.rebuild_index)."""

    owner = models.ForeignKey(CalldeskOrganization, on_delete=models.CASCADE, related_name="+")
    service = models.OneToOneField(Service, on_delete=models.CASCADE, related_name="search_index")
    name_text = models.TextField()  # the name and alternate name, folded
    doc = models.TextField()  # everything searchable, folded, tokens joined by spaces
    active = models.BooleanField(default=True)  # status "active": what search shows unless asked

    def __str__(self) -> str:
        return self.name_text


class SearchWord(models.Model):
    """Every word of an organization's directory, for typo-tolerant search (a word typed is
    widened to the directory's words close to it before the full-text match)."""

    owner = models.ForeignKey(CalldeskOrganization, on_delete=models.CASCADE, related_name="+")
    word = models.CharField(max_length=100)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "word"], name="resources_searchword_unique")]

    def __str__(self) -> str:
        return self.word


class DirectorySettings(models.Model):
    """An organization's choices about its directory: whether /hsds/ answers without a token."""

    owner = models.OneToOneField(CalldeskOrganization, on_delete=models.CASCADE, related_name="+")
    public_api = models.BooleanField(default=False)
    # A new value at every import and location edit: search's cached place centres are this version's.
    places_version = models.UUIDField(default=uuid.uuid4)

    def __str__(self) -> str:
        return f"directory settings of {self.owner}"


class ImportJob(models.Model):
    """An import started from the admin page, run in the background: its state and progress,
    kept in the database so whichever process serves the page can say how far it got."""

    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        REFUSED = "refused"  # the file has problems: nothing was imported
        FAILED = "failed"  # the import stopped (its process ended, or an error): nothing was imported

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)  # opaque: the status page's URL
    owner = models.ForeignKey(CalldeskOrganization, on_delete=models.CASCADE, related_name="+")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file_name = models.CharField(max_length=255)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    step = models.CharField(max_length=200, blank=True, default="")
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=100)
    summary = models.TextField(blank=True, default="")
    problems = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The process running it (machine, pid, start time: jobs.this_process), to tell a job lost
    # in a restart from one still running.
    runner = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        indexes = [
            # The admin page shows an organization's latest import; a new one checks none runs.
            models.Index(fields=["owner", "created_at"], name="resources_importjob_latest"),
        ]

    def __str__(self) -> str:
        return f"import of {self.file_name} ({self.state})"
