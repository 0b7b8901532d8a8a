"""Which reports a list or an export shows: the filters people combine.

One declarative form reads the query string (`from`, `to`, `agent`, `form`, `call_type`,
`status`, `phone`, `f_<field key>`, `sort`) and turns it into a `ReportFilter`, which narrows
a queryset that is already scoped to what the user may see (`visible_reports`). A field is
matched by its key in every revision of the organization's forms, so a report written with
an older revision is found by the same filter.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.db.models import Q, QuerySet

from calldesk.accounts.models import Organization, User
from calldesk.callforms.definition import CHOICE_TYPES, TEXT_TYPES, FieldType
from calldesk.callforms.models import CallForm, FormRevision
from calldesk.callforms.setups import parsed_revision
from calldesk.lib.blind import words
from calldesk.lib.crypto import phone_hash
from calldesk.lib.datefields import BoundedDateField
from calldesk.lib.phones import normalise_query
from calldesk.lib.sealed import HASHED, value_hash
from calldesk.reports import tokens
from calldesk.reports.models import CallReport, Status

FIELD_PREFIX = "f_"
# `status` empty: every report but drafts (drafts have their own "unfinished calls" list).
ANY_STATUS = "any"
SORTS = {
    "-call_start": ("-call_start", "-id"),
    "call_start": ("call_start", "id"),
    "-submitted_at": ("-submitted_at", "-id"),
    "submitted_at": ("submitted_at", "id"),
    "agent": ("agent__name", "agent__email", "-call_start", "-id"),
    "-agent": ("-agent__name", "-agent__email", "-call_start", "-id"),
    "form": ("form__name", "-call_start", "-id"),
    "-form": ("-form__name", "-call_start", "-id"),
    "status": ("status", "-call_start", "-id"),
    "-status": ("-status", "-call_start", "-id"),
}
YES_NO = {"yes": True, "no": False}


@dataclass(frozen=True)
class FilterField:
    """A custom field as filters see it: the union of its revisions under one key."""

    key: str
    label: str
    type: FieldType
    choices: tuple[str, ...] = ()
    personal: bool = False
    # The revisions that mark it personal: their reports hold it sealed, the others in clear.
    sealed_in: frozenset[int] = frozenset()
    clear_in: frozenset[int] = frozenset()

    @property
    def by_words(self) -> bool:
        """Found by a word or the start of one (sealed text), not by a part of the text."""
        return self.personal and self.type in TEXT_TYPES


def _revisions(organization: Organization, form: CallForm | None = None) -> QuerySet[FormRevision]:
    revisions = FormRevision.objects.filter(form__organization=organization)
    if form is not None:
        revisions = revisions.filter(form=form)
    # Their definitions are parsed once per process (callforms.setups): reading and decoding
    # every revision's whole definition again for each list page, export and API page is not
    # needed (a revision not yet kept reads its definition when parsed).
    return revisions.order_by("form_id", "number").defer("definition_json")


def report_fields(
    organization: Organization, form: CallForm | None = None, revisions: Iterable[FormRevision] | None = None
) -> list[FilterField]:
    """Every custom field key of the organization's forms (or one form), in first-seen order.
    The latest revision names it; choice labels of all revisions are kept, since old reports
    hold the labels of their own revision. `revisions`: those of `_revisions`, when read already."""
    read = list(_revisions(organization, form) if revisions is None else revisions)
    # The fields follow from the revisions' parsed definitions, which are kept per process by
    # (id, setup version): so are the fields, by the same keys (a list page, an export and each
    # API page built them again, FilterField by FilterField).
    key = tuple((revision.pk, revision.setup_version) for revision in read)
    fields = _fields.get(key)
    if fields is None:
        fields = _fields_of(read)
        if len(_fields) >= 256:
            _fields.clear()
        _fields[key] = fields
    return list(fields)


_fields: dict[tuple[tuple[int, int], ...], tuple[FilterField, ...]] = {}


def _fields_of(revisions: list[FormRevision]) -> tuple[FilterField, ...]:
    found: dict[str, FilterField] = {}
    for revision in revisions:
        for item in parsed_revision(revision).definition.fields:
            before = found.get(item.key)
            choices = tuple(dict.fromkeys((*(before.choices if before else ()), *(c.label for c in item.choices))))
            sealed_in = before.sealed_in if before else frozenset()
            clear_in = before.clear_in if before else frozenset()
            if item.personal:
                sealed_in |= {revision.pk}
            else:
                clear_in |= {revision.pk}
            found[item.key] = FilterField(item.key, item.label, item.type, choices, item.personal, sealed_in, clear_in)
    return tuple(found.values())


def call_type_labels(
    organization: Organization, form: CallForm | None = None, revisions: Iterable[FormRevision] | None = None
) -> dict[str, str]:
    labels: dict[str, str] = {}
    for revision in _revisions(organization, form) if revisions is None else revisions:
        for call_type in parsed_revision(revision).definition.call_types:
            labels[call_type.key] = call_type.label
    return labels


def day_range(start: date | None, end: date | None, zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    """Whole days in the organization's zone as UTC bounds: [start 00:00, day after end 00:00)."""
    lower = datetime.combine(start, time.min, tzinfo=zone) if start else None
    upper = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone) if end else None
    return lower, upper


def within(reports: QuerySet[CallReport], lower: datetime | None, upper: datetime | None) -> QuerySet[CallReport]:
    """The reports whose call started in [lower, upper) (`day_range`'s bounds; None: open)."""
    if lower:
        reports = reports.filter(call_start__gte=lower)
    if upper:
        reports = reports.filter(call_start__lt=upper)
    return reports


@dataclass(frozen=True)
class ReportFilter:
    start: date | None = None
    end: date | None = None
    agent: User | None = None
    form: CallForm | None = None
    call_type: str = ""
    status: str = ""
    phone: str = ""  # E.164
    values: dict[str, Any] = field(default_factory=dict)  # field key → wanted value
    fields: dict[str, FilterField] = field(default_factory=dict)
    sort: str = "-call_start"
    organization_id: int = 0

    def apply(self, reports: QuerySet[CallReport], zone: ZoneInfo) -> QuerySet[CallReport]:
        reports = within(reports, *day_range(self.start, self.end, zone))
        if self.agent:
            reports = reports.filter(agent=self.agent)
        if self.form:
            reports = reports.filter(form=self.form)
        if self.call_type:
            reports = reports.filter(call_type=self.call_type)
        if self.status == "":
            reports = reports.exclude(status=Status.DRAFT)
        elif self.status != ANY_STATUS:
            reports = reports.filter(status=self.status)
        if self.phone:
            reports = reports.filter(phone_hash=phone_hash(self.phone))  # the number is sealed at rest
        for key, wanted in self.values.items():
            reports = reports.filter(self._value_q(self.fields[key], wanted))
        return reports.order_by(*SORTS[self.sort])

    @property
    def by_words(self) -> bool:
        """Whether a value is looked up in the blind index (a sealed text field's words)."""
        return any(self.fields[key].by_words for key in self.values)

    def _value_q(self, item: FilterField, wanted: Any) -> Q:
        """Reports of revisions where the field is personal hold it sealed: found through the
        blind index (text) or the keyed hash (anything else), never by comparing the stored
        ciphertext. Reports of the other revisions hold it in clear and are matched as such."""
        if not item.sealed_in:
            return self._plain_q(item, wanted)
        if item.type in TEXT_TYPES:
            sealed = tokens.matching(self.organization_id, item.key, str(wanted)) or Q(pk__in=[])
        else:
            sealed = _sealed_q(item, wanted) & Q(revision_id__in=item.sealed_in)
        if not item.clear_in:  # the usual case: one indexed lookup, no scan of the JSON
            return sealed
        return sealed | (self._plain_q(item, wanted) & Q(revision_id__in=item.clear_in))

    @staticmethod
    def _plain_q(item: FilterField, wanted: Any) -> Q:
        if item.type == FieldType.CHOICE or item.type == FieldType.YES_NO:
            return Q(**{f"values__{item.key}": wanted})
        if item.type == FieldType.MULTI_CHOICE:
            # A list is stored as JSON text ["A", "B"]; the quoted label matches one whole item on
            # SQLite and PostgreSQL alike (JSON `contains` does not exist on SQLite).
            return Q(**{f"values__{item.key}__icontains": f'"{wanted}"'})
        return Q(**{f"values__{item.key}__icontains": wanted})

    def describe(self) -> dict[str, Any]:
        """The filter as plain data, for the export record."""
        data: dict[str, Any] = {
            "from": self.start.isoformat() if self.start else "",
            "to": self.end.isoformat() if self.end else "",
            "agent": str(self.agent.public_id) if self.agent else "",
            "form": str(self.form.public_id) if self.form else "",
            "call_type": self.call_type,
            "status": self.status,
            "phone": self.phone,
            "values": self.values,
            "sort": self.sort,
        }
        return {key: value for key, value in data.items() if value not in ("", {})}


class PhoneQueryField(forms.CharField):
    """A phone number typed to search by, cleaned to E.164 in the organization's region
    ("" when empty); a partial number is an error, since it would match nothing."""

    def __init__(self, region: str, **kwargs: Any) -> None:
        self.region = region
        super().__init__(required=False, max_length=60, label="Phone number", **kwargs)

    def clean(self, value: Any) -> str:
        typed: str = super().clean(value).strip()
        if not typed:
            return ""
        e164 = normalise_query(typed, self.region)
        if not e164:
            raise forms.ValidationError("Enter a whole phone number, e.g. 999-123-4567.")
        return e164


class PeriodForm(forms.Form):
    """The days a list is filtered to (`from`, `to`, whole days in the organization's zone: see
    `day_range`): the filter bar's first fields, also read alone by the API's prepared pages."""

    def __init__(self, data: Any = None) -> None:
        super().__init__(data)
        self.fields["from"] = BoundedDateField(required=False, label="From", widget=_date())
        self.fields["to"] = BoundedDateField(required=False, label="To", widget=_date())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("from"), data.get("to")
        if start and end and start > end:
            self.add_error("to", "The end date is before the start date.")
        return data


class ReportFilterForm(PeriodForm):
    """The list's filter bar. Field names are the query-string names (`from`, `to`, …)."""

    def __init__(self, user: User, data: Any = None) -> None:
        super().__init__(data)
        assert user.organization is not None
        self.organization: Organization = user.organization
        forms_qs = CallForm.objects.filter(organization=self.organization).order_by("name")
        if user.is_supervisor:
            agents = User.objects.filter(organization=self.organization).order_by("name", "email")
            self.fields["agent"] = forms.ModelChoiceField(
                agents, required=False, to_field_name="public_id", empty_label="Any agent", label="Agent"
            )
        self.fields["form"] = forms.ModelChoiceField(
            forms_qs, required=False, to_field_name="public_id", empty_label="Any form", label="Form"
        )
        # One read of the revisions for the call types and the fields (this runs for every
        # list page and every API page).
        revisions = list(_revisions(self.organization))
        types = call_type_labels(self.organization, revisions=revisions)
        self.fields["call_type"] = forms.ChoiceField(
            choices=[("", "Any call type"), *types.items()], required=False, label="Call type"
        )
        self.fields["status"] = forms.ChoiceField(
            choices=[("", "Any but drafts"), (ANY_STATUS, "Any, drafts too"), *Status.choices],
            required=False,
            label="Status",
        )
        self.fields["phone"] = PhoneQueryField(self.organization.phone_region)
        self.report_fields = {item.key: item for item in report_fields(self.organization, revisions=revisions)}
        for item in self.report_fields.values():
            self.fields[FIELD_PREFIX + item.key] = _value_field(item)
        self.fields["sort"] = forms.ChoiceField(
            choices=[(key, key) for key in SORTS], required=False, widget=forms.HiddenInput
        )

    @property
    def value_fields(self) -> list[forms.BoundField]:
        return [self[FIELD_PREFIX + key] for key in self.report_fields]

    def result(self) -> ReportFilter:
        """The filter of a valid form."""
        data = self.cleaned_data
        values: dict[str, Any] = {}
        for key, item in self.report_fields.items():
            wanted = data.get(FIELD_PREFIX + key)
            if wanted in ("", None):
                continue
            values[key] = YES_NO[wanted] if item.type == FieldType.YES_NO else wanted
        return ReportFilter(
            start=data.get("from"),
            end=data.get("to"),
            agent=data.get("agent"),
            form=data.get("form"),
            call_type=data.get("call_type", ""),
            status=data.get("status", ""),
            phone=data.get("phone", ""),
            values=values,
            fields=self.report_fields,
            sort=data.get("sort") or "-call_start",
            organization_id=self.organization.pk,
        )


def _sealed_q(item: FilterField, wanted: Any) -> Q:
    digest = value_hash(item.key, wanted)
    if item.type == FieldType.MULTI_CHOICE:
        return Q(**{f"values__{item.key}__{HASHED}__icontains": f'"{digest}"'})
    return Q(**{f"values__{item.key}__{HASHED}": digest})


def _date() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _value_field(item: FilterField) -> forms.Field:
    if item.type in CHOICE_TYPES:
        return forms.ChoiceField(choices=_options(item.choices), required=False, label=item.label)
    if item.type == FieldType.YES_NO:
        return forms.ChoiceField(choices=_options(["yes", "no"], "Yes No".split()), required=False, label=item.label)
    if item.by_words:
        return forms.CharField(
            required=False,
            max_length=200,
            label=item.label,
            help_text="words, or their first 3 letters or more",
            validators=[_has_a_word],
        )
    return forms.CharField(required=False, max_length=200, label=item.label, help_text="contains")


def _has_a_word(typed: str) -> None:
    if typed.strip() and not words(typed):
        raise forms.ValidationError("Type a word, or the start of one (3 letters or more).")


def _options(values: Iterable[str], labels: Iterable[str] | None = None) -> list[tuple[str, str]]:
    values = list(values)
    return [("", "Any"), *zip(values, labels if labels is not None else values, strict=True)]
