"""Organizations stay apart on every URL: each URL pattern, found through Django's URL
resolver (so a URL added later is swept without editing this test), is requested by every
role of each organization (and by someone logged out) with the OTHER organization's ids in
its path, its query string and its form body, by GET and by POST.

Two things must hold for every request: nothing of the other organization shows up in the
answer (its callers' numbers, its report texts, its field labels, its people's emails;
spreadsheets are unzipped to be read), and none of the other organization's rows changes.
A 500 is a failure too. Each failure names the URL, the identity and the method. Phone
systems are among the identities: each organization's API token, sent as a Bearer header.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.http import HttpResponseBase
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RoutePattern
from django.utils.regex_helper import normalize

from calldesk.accounts.models import Organization, Role, User
from calldesk.callers import services as caller_services
from calldesk.callforms.models import CallForm
from calldesk.configure.tokens import create_token
from calldesk.followups.services import record_attempt, schedule_follow_up
from calldesk.reports.models import ExportRecord, Status
from calldesk.risk import services as risk_services
from tests.cast import PASSWORD, make_form, make_org, make_user
from tests.reportdata import make_report

pytestmark = pytest.mark.slow

# At most this many fillings of one pattern's path parameters (every candidate for a
# one-parameter URL; a sample of the combinations beyond).
MAX_FILLINGS = 40


@dataclass
class World:
    """One organization's people and data, with the strings that must never leave it."""

    org: Organization
    users: dict[str, User]
    markers: list[str]
    api_token: str  # the raw API token of the organization's phone system
    ids: dict[str, str] = field(default_factory=dict)  # query/form parameter → a value of this org


def build_world(slug: str, zone: str, region: str, caller: tuple[str, str, str], report_ver: str) -> World:
    raw, e164, digits = caller
    org = make_org(slug, f"Org {slug}", time_zone=zone, region=region)
    users = {
        role: make_user(org, f"{role}@{slug}.example", role, agent_id="34", name=f"{role.title()} {slug}")
        for role in (Role.SPECIALIST, Role.SUPERVISOR, Role.ADMIN)
    }
    label = f"Secret field {slug.upper()}"
    form = make_form(
        org,
        report_ver,
        {
            "fields": [
                {"key": "summary", "label": label, "type": "long_text", "personal": True},
                {"key": "topic", "label": "Topic", "type": "choice", "choices": ["Housing", "Food"]},
            ]
        },
        name=f"Form {slug}",
        mappings=[("dnis", "", "topic", "Food")],
    )
    text = f"Report text of {slug.upper()} only"
    author = users[Role.SPECIALIST]
    start = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    report = make_report(form, author, start, phone=(raw, e164), values={"summary": text, "topic": "Housing"})
    draft = make_report(form, author, start, phone=(raw, e164), values={"summary": text}, status=Status.DRAFT)
    reason = f"Follow-up reason of {slug.upper()} only"
    follow_up = schedule_follow_up(report, author, due_at=start, assignee=author, method="call", reason=reason)
    note = f"Attempt note of {slug.upper()} only"
    record_attempt(follow_up, author, "no_answer", note=note)
    token = create_token(users[Role.ADMIN], f"Token {slug}")
    # Imminent risk on the draft, with its emergency record and the organization's webhook.
    reference, hook_url = f"Emergency ref {slug.upper()}", f"https://dispatch-{slug}.example/hook"
    risk_services.set_webhook(org.pk, hook_url)
    risk_services.raise_risk(draft, author)
    risk_services.record_emergency(draft, author, {"service": "psap", "reference": reference, "consent": "with"})
    ExportRecord.objects.create(organization=org, user=users[Role.SUPERVISOR], format="csv", filters={"phone": e164})
    caller_name, caller_alert = f"Caller name {slug.upper()}", f"Caller alert {slug.upper()}"
    profile, _ = caller_services.create_profile(users[Role.SUPERVISOR], e164)
    caller_services.update_profile(users[Role.SUPERVISOR], profile, caller_name, f"Instructions {slug.upper()}")
    caller_services.add_alert(users[Role.SUPERVISOR], profile, caller_alert)
    caller_services.block_caller(users[Role.SUPERVISOR], profile, None)
    world = World(
        org,
        users,
        markers=[
            raw,
            e164,
            digits,
            text,
            label,
            caller_name,
            caller_alert,
            reason,
            note,
            reference,
            hook_url,
            *(u.email for u in users.values()),
        ],
        api_token=token.raw,
    )
    world.ids = {
        "reportVer": report_ver,
        "report_ver": report_ver,
        "agent": str(author.public_id),
        "user": str(author.public_id),
        "form": str(form.public_id),
        "report": str(report.public_id),
        "draft": str(draft.public_id),
        "public_id": str(report.public_id),
        "token": str(token.token.public_id),
        "organization": slug,
        "org": slug,
        "id": str(report.pk),
        "pk": str(report.pk),
        "agentId": "34",
        "ani": "",
        "dnis": "8886201111",
        "version": "1",
        "call_type": "hang_up",
        "close_as": "hang_up",
        "status": "any",
        "active": "0",
        "index": "0",
        "action": "remove",
        "revision": "1",
        "f_summary": "changed by an outsider",
        "name": "changed by an outsider",
        "email": "outsider@example.com",
        "password": "an-outsiders-password",
        "profile_id": str(profile.public_id),
        "kind": "block",
        "duration": "permanent",
        "text": "changed by an outsider",
        # The follow-ups' pages and API.
        "chosen": str(follow_up.public_id),
        "report_id": str(report.public_id),
        "due_at": "2027-01-05T09:00",
        "dueAt": "2027-01-05T09:00",
        "assignee": str(author.public_id),
        "method": "call",
        "outcome": "reached",
        "note": "changed by an outsider",
        "reason": "changed by an outsider",
    }
    return world


def path_candidates(world: World) -> list[str]:
    """Every identifier of the organization's rows that a URL path could carry."""
    found: list[str] = [world.org.slug, world.ids["reportVer"]]
    for model in apps.get_models():
        rows = owned_rows(model, world.org)
        if rows is None:
            continue
        names = {f.name for f in model._meta.get_fields()}
        for row in rows:
            if "public_id" in names:
                found.append(str(row.public_id))
            found.append(str(row.pk))
    return list(dict.fromkeys(found))


def owned_rows(model: type[models.Model], org: Organization) -> models.QuerySet[Any] | None:
    """The model's rows that belong to `org` (directly or through one foreign key), or None
    when the model has no way to an organization (sessions, permissions, …)."""
    if model is Organization:
        return Organization.objects.filter(pk=org.pk)
    names = {f.name: f for f in model._meta.get_fields()}
    direct = names.get("organization")
    if isinstance(direct, models.ForeignKey) and direct.related_model is Organization:
        return model._default_manager.filter(organization=org)
    # Another name for the organization (the resource directory's `owner`, whose records have an
    # `organization` of their own: HSDS's).
    for item in model._meta.get_fields():
        if isinstance(item, models.ForeignKey) and item.related_model is Organization:
            return model._default_manager.filter(**{item.name: org})
    for item in model._meta.get_fields():
        if isinstance(item, models.ForeignKey) and item.related_model is not None:
            related = {f.name: f for f in item.related_model._meta.get_fields()}
            if isinstance(related.get("organization"), models.ForeignKey):
                if related["organization"].related_model is Organization:
                    return model._default_manager.filter(**{f"{item.name}__organization": org})
    return None


def fingerprint(org: Organization) -> dict[str, str]:
    """A hash of every row the organization owns, per model."""
    prints = {}
    for model in apps.get_models():
        rows = owned_rows(model, org)
        if rows is not None:
            dump = repr(list(rows.order_by("pk").values()))
            prints[model._meta.label] = hashlib.sha256(dump.encode()).hexdigest()
    return prints


@dataclass(frozen=True)
class Route:
    shown: str  # e.g. reports/<public_id>/ (for messages)
    regex: str  # the whole pattern, root to leaf
    formats: list[tuple[str, list[str]]]  # from django.utils.regex_helper.normalize
    converters: dict[str, Any]


def routes() -> list[Route]:
    found: list[Route] = []

    def walk(patterns: list[Any], regex: str, shown: str, converters: dict[str, Any]) -> None:
        for item in patterns:
            own = item.pattern.regex.pattern.lstrip("^")
            text = str(item.pattern)
            convs = {**converters, **(item.pattern.converters if isinstance(item.pattern, RoutePattern) else {})}
            if isinstance(item, URLResolver):
                walk(item.url_patterns, regex + own, shown + text, convs)
            elif isinstance(item, URLPattern):
                whole = regex + own
                found.append(Route(shown + text, whole, normalize(whole), convs))

    walk(get_resolver().url_patterns, "", "/", {})
    return found


def fillings(route: Route, candidates: list[str]) -> Iterator[str]:
    """Paths for the route, with the other organization's identifiers in its parameters.
    Raises when a parameter can take none of them, naming the URL: a new kind of parameter
    must be taught to this test rather than silently skipped."""
    format_string, params = route.formats[0]
    if not params:
        yield "/" + format_string
        return
    choices = []
    for name in params:
        converter = route.converters.get(name)
        pattern = converter.regex if converter is not None else r"[^/]+"
        fitting = [c for c in candidates if re.fullmatch(pattern, c)]
        if not fitting:
            raise AssertionError(f"{route.shown}: no identifier of the other organization fits <{name}> ({pattern})")
        choices.append(fitting)
    for combo in itertools.islice(itertools.product(*choices), MAX_FILLINGS):
        path = "/" + format_string % dict(zip(params, combo, strict=True))
        try:
            get_resolver().resolve(path)
        except Resolver404:
            continue
        yield path


def readable(response: HttpResponseBase) -> str:
    """The answer as text: body (unzipped when it is a spreadsheet), headers included."""
    head = " ".join(f"{k}: {v}" for k, v in response.items())
    if getattr(response, "streaming", False):
        # An event stream may never end; its headers are checked, its body cannot be here.
        response.close()
        return head
    body: bytes = response.content  # type: ignore[attr-defined]
    if body.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            body = b"".join(archive.read(name) for name in archive.namelist())
    return head + body.decode("utf-8", "replace")


@dataclass
class Sweep:
    failures: list[str] = field(default_factory=list)
    requests: int = 0
    urls: set[str] = field(default_factory=set)

    def attack(self, client: Client, who: str, route: Route, victims: list[World]) -> None:
        candidates = [c for victim in victims for c in path_candidates(victim)]
        data = {k: v for victim in victims for k, v in victim.ids.items()}
        markers = [m for victim in victims for m in victim.markers]
        before = [fingerprint(victim.org) for victim in victims]
        for path in fillings(route, candidates):
            self.urls.add(route.shown)
            for method in ("GET", "POST"):
                self.requests += 1
                if method == "GET":
                    response = client.get(path, data)
                else:
                    response = client.post(path, data)
                where = f"{method} {path} as {who}"
                # 503 is a deliberate "not here": e.g. /console/events under WSGI, whose real
                # stream calldesk/asgi.py serves outside the URL resolver (tests/test_push_*).
                if response.status_code >= 500 and response.status_code != 503:
                    self.failures.append(f"{where}: answered {response.status_code}")
                    continue
                text = readable(response)
                for marker in markers:
                    if marker and marker in text:
                        self.failures.append(f"{where}: the answer shows the other organization's {marker!r}")
        after = [fingerprint(victim.org) for victim in victims]
        for victim, old, new in zip(victims, before, after, strict=True):
            changed = [label for label in old if old[label] != new.get(label)]
            if changed:
                self.failures.append(f"{route.shown} as {who}: changed {victim.org.slug}'s {', '.join(changed)}")


@pytest.mark.django_db(transaction=False)
def test_no_url_lets_one_organization_see_or_change_anothers_data() -> None:
    a = build_world("alpha", "Asia/Tokyo", "US", ("+1 999-555-0142", "+19995550142", "9995550142"), "7001001")
    b = build_world("bravo", "America/New_York", "GB", ("020 7946 0958", "+442079460958", "2079460958"), "7002002")
    sweep = Sweep()
    all_routes = routes()
    assert len(all_routes) >= 30, [r.shown for r in all_routes]
    # Who attacks: a user of each role, or a phone system with the organization's API token.
    identities: list[tuple[str, User | str | None, list[World]]] = [("someone logged out", None, [a, b])]
    for own, other in ((a, b), (b, a)):
        identities += [(f"{role} of {own.org.slug}", user, [other]) for role, user in own.users.items()]
        identities.append((f"the API token of {own.org.slug}", own.api_token, [other]))
    for route in all_routes:
        for who, identity, victims in identities:
            if isinstance(identity, str):
                client = Client(headers={"Authorization": f"Bearer {identity}"})
            else:
                client = Client()
                if identity is not None:
                    client.force_login(identity)  # again for each URL: a swept logout must not end the sweep
            sweep.attack(client, who, route, victims)
    assert not sweep.failures, f"{len(sweep.failures)} problems:\n" + "\n".join(sweep.failures[:60])
    # The sweep reached every pattern (a pattern it could not fill raised above).
    assert sweep.urls == {r.shown for r in all_routes}
    print(f"isolation sweep: {len(sweep.urls)} URL patterns, {sweep.requests} requests")
    assert sweep.requests > 500
    assert CallForm.objects.filter(organization=b.org).count() == 1
    assert User.objects.get(email=b.users[Role.SPECIALIST].email).check_password(PASSWORD)
