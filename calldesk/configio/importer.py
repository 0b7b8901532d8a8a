"""`calldesk config import`: make the installation match a configuration document.

All-or-nothing: the whole document is checked first and applied in one transaction.
Idempotent: a row is written only where it differs from the file, a form's revision is
published only when its definition changed, and a password is re-hashed only when it no
longer matches. Organizations, users and forms the file does not name are left alone.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import check_password
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from calldesk.accounts.models import Organization, User
from calldesk.callforms.models import CallForm
from calldesk.callforms.services import create_form, publish_revision, replace_mappings
from calldesk.configio.document import load_text
from calldesk.configio.schema import FormPlan, OrganizationPlan, UserPlan, plan_document
from calldesk.configure.audit import record

KINDS = ("organization", "user", "form", "caller profile")


@dataclass
class Summary:
    created: Counter[str] = field(default_factory=Counter)
    changed: Counter[str] = field(default_factory=Counter)
    revisions: int = 0

    @property
    def anything(self) -> bool:
        return bool(self.created or self.changed)

    def __str__(self) -> str:
        if not self.anything:
            return "nothing changed"
        parts = []
        if self.created:
            parts.append("created " + _counts(self.created))
        if self.changed:
            revisions = f" ({_plural(self.revisions, 'new revision')})" if self.revisions else ""
            parts.append("changed " + _counts(self.changed) + revisions)
        else:
            parts.append("changed nothing else")
        return "; ".join(parts)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _counts(counter: Counter[str]) -> str:
    return ", ".join(_plural(counter[kind], kind) for kind in KINDS if counter[kind])


def import_text(text: str, filename: str = "") -> Summary:
    return import_document(load_text(text, filename))


def import_document(document: Any) -> Summary:
    """Apply the document; raise ConfigError (changing nothing) if it has any problem."""
    summary = Summary()
    with transaction.atomic():
        # Checked inside the transaction so the ownership checks see what is then written.
        for plan in plan_document(document):
            own = Summary()
            org = _apply_organization(plan, own)
            if own.anything:
                # The admin pages' audit trail also shows changes that came in by file.
                record(org, None, "config.import", "configuration file", summary=str(own))
            summary.created += own.created
            summary.changed += own.changed
            summary.revisions += own.revisions
    return summary


def _assign(instance: Model, values: dict[str, Any]) -> list[str]:
    """Set the values that differ; return the names of the fields that changed."""
    changed = []
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    return changed


def _apply_organization(plan: OrganizationPlan, summary: Summary) -> Organization:
    org = Organization.objects.filter(slug=plan.slug).first()
    if org is None:
        org = Organization.objects.create(slug=plan.slug, **plan.values)
        summary.created["organization"] += 1
    elif changed := _assign(org, plan.values):
        org.save(update_fields=changed)
        summary.changed["organization"] += 1
    for user in plan.users:
        _apply_user(org, user, summary)
    for form in plan.forms:
        _apply_form(org, form, summary)
    if plan.callers:
        from calldesk.callers.configio import apply_callers

        made, altered = apply_callers(org, plan.callers)
        summary.created["caller profile"] += made
        summary.changed["caller profile"] += altered
    return org


def _apply_user(org: Organization, plan: UserPlan, summary: Summary) -> None:
    user = User.objects.filter(email=plan.email).first()
    if user is None:
        user = User(email=plan.email, organization=org, **plan.values)
        if plan.password is not None:
            user.set_password(plan.password)
        elif plan.password_hash is not None:
            user.password = plan.password_hash
        else:
            user.set_unusable_password()
        user.save()
        summary.created["user"] += 1
        return
    changed = _assign(user, plan.values)
    # hashers.check_password without a setter: a matching password is never re-hashed.
    if plan.password is not None and not check_password(plan.password, user.password):
        user.set_password(plan.password)
        changed.append("password")
    elif plan.password_hash is not None and user.password != plan.password_hash:
        user.password = plan.password_hash
        changed.append("password")
    if changed:
        user.save(update_fields=changed)
        summary.changed["user"] += 1


def _apply_form(org: Organization, plan: FormPlan, summary: Summary) -> None:
    form = CallForm.objects.filter(organization=org, report_ver=plan.report_ver).first()
    if form is None:
        form = create_form(org, plan.report_ver, plan.name, plan.definition_json)
        if plan.retired:
            form.retired_at = timezone.now()
            form.save(update_fields=["retired_at"])
        replace_mappings(form, plan.mappings)
        summary.created["form"] += 1
        return
    changed = _assign(form, {"name": plan.name})
    if plan.retired is not None and plan.retired != form.is_retired:
        form.retired_at = timezone.now() if plan.retired else None
        changed.append("retired_at")
    if changed:
        form.save(update_fields=changed)
    published = publish_revision(form, plan.definition_json) is not None
    summary.revisions += published
    if replace_mappings(form, plan.mappings) or published or changed:
        summary.changed["form"] += 1
