"""The forms of the directory's edit pages: a record (organization, service, location) and its
parts (phones, schedules, taxonomy terms). Every form checks what was typed against the HSDS
Table Schema with Calldesk's limits, through the importer's own check (importer.check_row), so
a page accepts exactly what a file import accepts and says it in the same words."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms

from calldesk.resources import hsds, importer
from calldesk.resources.models import Attribute, Location, Organization, Phone, Schedule, Service, TaxonomyTerm
from calldesk.resources.search import fold

KINDS: dict[str, type[Organization | Service | Location]] = {
    "organizations": Organization,
    "services": Service,
    "locations": Location,
}
TABLE_OF = {"organizations": "organization", "services": "service", "locations": "location"}
# The parts a page edits, of services and locations (HSDS links phones and schedules to either,
# and terms to any record through attributes).
PART_KINDS = ("phones", "schedules", "terms")
PARTS_OF = {"services": PART_KINDS, "locations": PART_KINDS}
SCHEDULE_FIELDS = [
    "freq",
    "byday",
    "opens_at",
    "closes_at",
    "valid_from",
    "valid_to",
    "wkst",
    "interval",
    "bymonthday",
    "description",
    "notes",
]
VERIFIED_LABEL = "Verified today (the details were checked with the provider)"


class HsdsChecked(forms.ModelForm):
    """A ModelForm of an HSDS table whose cleaned values must also pass the import's check."""

    hsds_table = ""
    verified = forms.BooleanField(required=False, label=VERIFIED_LABEL)

    def extra_cells(self) -> dict[str, str]:
        """Cells the row needs that the form does not show (its id, required references)."""
        return {"id": str(self.instance.id)}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        table = hsds.tables()[self.hsds_table]
        cells = self.extra_cells()
        for name in self.Meta.fields:  # type: ignore[attr-defined]
            field = hsds.ATTNAMES.get(table.name, {}).get(name, name)
            if field in table.fields and name in cleaned:
                cells[field] = hsds.to_cell(cleaned[name])
        for column, problems in importer.check_row(table.name, cells).items():
            target = column if column in self.fields else None
            for problem in problems:
                if target and target in self.cleaned_data:
                    self.add_error(target, problem)
                elif not target:
                    self.add_error(None, f"{column}: {problem}" if column else problem)
        return cleaned


def record_form(kind: str) -> type[HsdsChecked]:
    """The form of an organization, service or location: HSDS's own fields (not references)."""
    table = hsds.tables()[TABLE_OF[kind]]
    editable = [
        f.name
        for f in KINDS[kind]._meta.concrete_fields
        if f.attname in table.fields and f.name != "id" and not f.is_relation and not f.attname.endswith("_id")
    ]

    class RecordForm(HsdsChecked):
        hsds_table = table.name

        class Meta:
            model = KINDS[kind]
            fields = editable

    return RecordForm


class PhoneForm(HsdsChecked):
    hsds_table = "phone"

    class Meta:
        model = Phone
        fields = ["number", "extension", "type", "description"]
        widgets = {"description": forms.TextInput}


class ScheduleForm(HsdsChecked):
    hsds_table = "schedule"

    class Meta:
        model = Schedule
        fields = SCHEDULE_FIELDS
        labels = {
            "freq": "Frequency (WEEKLY or MONTHLY)",
            "byday": "Days (e.g. MO,TU,WE,TH,FR)",
            "opens_at": "Opens at (HH:MM)",
            "closes_at": "Closes at (HH:MM)",
            "wkst": "Week starts on (MO…SU)",
            "bymonthday": "Days of the month (e.g. 1,15)",
        }
        widgets = {"description": forms.TextInput, "notes": forms.TextInput}


class TermForm(HsdsChecked):
    """A taxonomy term attached to the record (an HSDS attribute), typed by code or name."""

    hsds_table = "attribute"
    term = forms.CharField(label="Taxonomy term (code or name)", max_length=1000)

    class Meta:
        model = Attribute
        fields = ["value"]
        widgets = {"value": forms.TextInput}

    def __init__(self, *args: Any, owner: Any, link_entity: str, link_id: uuid.UUID, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owner, self.link_entity, self.link_id = owner, link_entity, link_id
        if self.instance.pk and self.instance.taxonomy_term_id:
            self.initial.setdefault("term", self.instance.taxonomy_term.code or self.instance.taxonomy_term.name)

    def clean_term(self) -> TaxonomyTerm:
        typed = self.cleaned_data["term"].strip()
        terms = TaxonomyTerm.objects.filter(owner=self.owner, retired_at=None)
        found = list(terms.filter(code=typed)[:2]) if typed else []
        if not found:
            wanted = fold(typed)
            found = [t for t in terms.filter(name__iexact=typed)[:2]] or [
                t for t in terms.only("id", "name", "code").iterator(chunk_size=2000) if fold(t.name) == wanted
            ][:2]
        if not found:
            raise forms.ValidationError("No taxonomy term of the directory has this code or name.")
        if len(found) > 1:
            raise forms.ValidationError("Two terms have this name; type the term's code.")
        return found[0]

    def extra_cells(self) -> dict[str, str]:
        term = self.cleaned_data.get("term")
        return {
            "id": str(self.instance.id),
            "link_id": str(self.link_id),
            "link_entity": self.link_entity,
            "taxonomy_term_id": str(term.id) if isinstance(term, TaxonomyTerm) else str(uuid.uuid4()),
        }


PART_FORMS: dict[str, type[HsdsChecked]] = {"phones": PhoneForm, "schedules": ScheduleForm, "terms": TermForm}
PART_MODELS: dict[str, type[Phone | Schedule | Attribute]] = {
    "phones": Phone,
    "schedules": Schedule,
    "terms": Attribute,
}
