"""Call report forms (by reportVer), their immutable revisions, and parameter mappings."""

from __future__ import annotations

import secrets
import uuid
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from calldesk.accounts.models import Organization
from calldesk.callforms.definition import Definition, MappingRule


def new_setup_version() -> int:
    """A number not given before (callforms.setups: a counter would come back after a rollback)."""
    return secrets.randbelow(2**62) + 1


class CallForm(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="forms")
    # The public string phone systems send; unique across the whole installation.
    report_ver = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    retired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Replaced whenever a revision is published or a mapping changes (callforms.setups): every
    # process keeps the form's current revision and rules under it, and sees the new number on its
    # next read of the form. Only `bump_setup_version` writes it.
    setup_version = models.PositiveBigIntegerField(default=0, editable=False)

    def __str__(self) -> str:
        return f"{self.name} ({self.report_ver})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding and kwargs.get("update_fields") is None:
            # A form read before a publish must not write its older setup_version back.
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields if not f.primary_key and f.name != "setup_version"
            ]
        super().save(*args, **kwargs)

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    def current_revision(self) -> FormRevision:
        revision = self.revisions.order_by("-number").first()
        if revision is None:
            raise FormRevision.DoesNotExist(f"form {self.report_ver} has no revision")
        return revision


class FormRevision(models.Model):
    form = models.ForeignKey(CallForm, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    # The fields, choices and call types as published (callforms.definition); never edited.
    definition_json = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    # Given once, when the row is written: its parsed definition is kept per process under its id
    # and this number (callforms.setups), so a row that reuses a rolled-back one's id is not
    # served the other's definition. The form's setup_version takes the same number.
    setup_version = models.PositiveBigIntegerField(default=new_setup_version, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["form", "number"], name="revision_form_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.form.report_ver} r{self.number}"

    @cached_property
    def definition(self) -> Definition:
        # Parsed once per process: a revision is never edited (callforms.setups).
        from calldesk.callforms.setups import parsed_revision  # it imports this module

        return parsed_revision(self).definition

    @property
    def personal_keys(self) -> frozenset[str]:
        """The keys of the fields it marks personal (calldesk.lib.sealed asks for them)."""
        from calldesk.callforms.setups import parsed_revision

        return parsed_revision(self).personal

    @property
    def searchable_keys(self) -> frozenset[str]:
        """Its personal fields of text types: those found by their words (reports.tokens)."""
        from calldesk.callforms.setups import parsed_revision

        return parsed_revision(self).searchable


class Mapping(models.Model):
    """A rule of a form: URL parameter (+ optional value) → field (+ optional value to put).

    `value` empty: the rule applies to any value of the parameter. `field_value` empty: the
    value as sent goes into the field (a choice field picks the choice by code or label).
    """

    form = models.ForeignKey(CallForm, on_delete=models.CASCADE, related_name="mappings")
    parameter = models.CharField(max_length=100)  # stored lower-case: names match without case
    value = models.CharField(max_length=500, blank=True)
    field_key = models.CharField(max_length=63)
    field_value = models.CharField(max_length=500, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["form", "parameter", "value", "field_key"], name="mapping_rule_unique"),
        ]

    def __str__(self) -> str:
        sent = f"{self.parameter}={self.value}" if self.value else self.parameter
        return f"{sent} → {self.field_key}" + (f" = {self.field_value}" if self.field_value else "")

    def save(self, *args: object, **kwargs: object) -> None:
        self.parameter = self.parameter.strip().lower()
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def rule(self) -> MappingRule:
        return MappingRule(self.parameter, self.value, self.field_key, self.field_value)


def bump_setup_version(form_id: int, version: int | None = None) -> None:
    """Tell every process that the form's revision or mappings changed (in the caller's
    transaction, so the new number and the change become visible together)."""
    CallForm.objects.filter(pk=form_id).update(setup_version=version or new_setup_version())


@receiver(post_save, sender=FormRevision)
@receiver(post_delete, sender=FormRevision)
@receiver(post_save, sender=Mapping)
@receiver(post_delete, sender=Mapping)
def _setup_changed(sender: type[models.Model], instance: FormRevision | Mapping, **kwargs: Any) -> None:
    # Every write through the ORM, whoever makes it; bulk_create sends no signal, so
    # callforms.services.replace_mappings bumps by itself. A new revision gives the form its own
    # number; anything else (a deletion too: the number must not be an earlier one) a new one.
    new_revision = isinstance(instance, FormRevision) and kwargs.get("created", False)
    bump_setup_version(
        instance.form_id, instance.setup_version if isinstance(instance, FormRevision) and new_revision else None
    )
