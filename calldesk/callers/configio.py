"""Caller profiles in the configuration document (`calldesk config export --with-callers`;
`config import` takes them whenever the document has them). Each profile is one entry under
its organization's `callers`, matched on import by any of its numbers:

    callers:
      - numbers: ["+19991234567"]
        preferred_name: Jo
        instructions: Speak slowly.
        alerts: [{text: Safety plan on file, expires_at: null}]
        block: {until: null}          # permanent; absent or null: not blocked

The limits are the services' own (the pages and the API check the same). Alerts and blocks
that have ended are neither exported nor imported, so an export imports back unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from calldesk.accounts.models import Organization
from calldesk.callers import services
from calldesk.callers.models import CallerAlert, CallerNumber, CallerProfile, not_blocked
from calldesk.configio.document import ConfigError
from calldesk.lib.crypto import phone_hash
from calldesk.lib.phones import read_phone
from calldesk.lib.times import parse_time

CALLER_KEYS = ("numbers", "preferred_name", "instructions", "alerts", "block")
ALERT_KEYS = ("text", "expires_at")
BLOCK_KEYS = ("until",)


@dataclass
class CallerPlan:
    place: str
    numbers: list[str]  # E.164
    preferred_name: str = ""
    instructions: str = ""
    alerts: list[tuple[str, datetime | None]] = field(default_factory=list)
    block: dict[str, Any] = field(default_factory=not_blocked)


def export_callers(org: Organization) -> list[dict[str, Any]]:
    now = timezone.now()
    entries = []
    profiles = org.caller_profiles.filter(redacted_at__isnull=True).prefetch_related("numbers")
    for profile in profiles:
        numbers = sorted(number.number_e164 for number in profile.numbers.all())
        if not numbers:
            continue
        blocked, until = profile.blocked_until(now)
        entry: dict[str, Any] = {
            "numbers": numbers,
            "preferred_name": profile.preferred_name,
            "instructions": profile.instructions,
            "alerts": [
                {"text": alert.text, "expires_at": alert.expires_at.isoformat() if alert.expires_at else None}
                for alert in profile.active_alerts(now)
            ],
        }
        if blocked:
            entry["block"] = {"until": until.isoformat() if until else None}
        entries.append(entry)
    return sorted(entries, key=lambda entry: entry["numbers"][0])


def plan_callers(check: Any, items: list[Any], place: str, region: str, zone: Any) -> list[CallerPlan]:
    """Check the entries (every problem noted on `check`, the configio checker)."""
    plans = []
    seen: dict[str, str] = {}
    now = timezone.now()
    for index, item in enumerate(items):
        where = f"{place}.callers[{index}]"
        raw = check.mapping(item, where, CALLER_KEYS)
        if raw is None:
            continue
        plan = CallerPlan(where, [])
        numbers = check.items(raw, "numbers", where)
        if not numbers:
            check.problem(f"{where}.numbers", "needs at least one number")
        if len(numbers) > services.MAX_NUMBERS:
            check.problem(f"{where}.numbers", f"at most {services.MAX_NUMBERS} numbers")
        for position, number in enumerate(numbers[: services.MAX_NUMBERS]):
            spot = f"{where}.numbers[{position}]"
            reading = read_phone(str(number)[:64], region) if isinstance(number, str | int) else None
            if reading is None or not reading.ok:
                check.problem(spot, "is not a phone number")
                continue
            if reading.e164 in seen:
                check.problem(spot, f"this number is already given at {seen[reading.e164]}")
            seen.setdefault(reading.e164, spot)
            plan.numbers.append(reading.e164)
        for key, limit in (("preferred_name", services.MAX_NAME), ("instructions", services.MAX_INSTRUCTIONS)):
            value = check.text(raw, key, where, limit=limit)
            setattr(plan, key, value if isinstance(value, str) else "")
        alerts = check.items(raw, "alerts", where)
        if len(alerts) > services.MAX_ALERTS:
            check.problem(f"{where}.alerts", f"at most {services.MAX_ALERTS} alerts")
        for position, alert in enumerate(alerts[: services.MAX_ALERTS]):
            spot = f"{where}.alerts[{position}]"
            entry = check.mapping(alert, spot, ALERT_KEYS)
            if entry is None:
                continue
            text = check.text(entry, "text", spot, required=True, limit=services.MAX_ALERT)
            readable, expires = _time(check, entry, "expires_at", spot, zone)
            if isinstance(text, str) and text and readable and (expires is None or expires > now):
                if expires is not None and expires > now + services.MAX_EXPIRY:
                    check.problem(f"{spot}.expires_at", "is more than 5 years ahead")
                plan.alerts.append((text, expires))
        block = raw.get("block")
        if block is not None:
            entry = check.mapping(block, f"{where}.block", BLOCK_KEYS)
            if entry is not None:
                readable, until = _time(check, entry, "until", f"{where}.block", zone)
                if readable and until is None:
                    plan.block = {"on": True, "until": None}
                elif until is not None and until > now:
                    plan.block = {"on": True, "until": until.isoformat()}
        plans.append(plan)
    return plans


def _time(check: Any, raw: dict[str, Any], key: str, place: str, zone: Any) -> tuple[bool, datetime | None]:
    """(readable, the time under `key`: None when absent or null); an unreadable one is noted."""
    value = raw.get(key)
    if value is None:
        return True, None
    parsed = parse_time(value, zone) if isinstance(value, str) else None
    if parsed is None:
        check.problem(f"{place}.{key}", "must be an ISO-8601 time or null")
        return False, None
    return True, parsed


def apply_callers(org: Organization, plans: list[CallerPlan]) -> tuple[int, int]:
    """Make the organization's profiles match the plans: (created, changed)."""
    created = changed = 0
    for plan in plans:
        hashes = [phone_hash(number) for number in plan.numbers]
        owners = set(
            CallerNumber.objects.filter(organization=org, number_hash__in=hashes).values_list("profile_id", flat=True)
        )
        if len(owners) > 1:
            raise ConfigError([f"{plan.place}.numbers: these numbers belong to different profiles"])
        if owners:
            profile = CallerProfile.objects.get(pk=owners.pop())
            made = False
        else:
            profile = CallerProfile.objects.create(organization=org)
            made = True
        dirty = made
        if (profile.preferred_name, profile.instructions) != (plan.preferred_name, plan.instructions):
            profile.preferred_name, profile.instructions = plan.preferred_name, plan.instructions
            dirty = True
        blocked, until = profile.blocked_until(timezone.now())
        current_block = {"on": True, "until": until.isoformat() if until else None} if blocked else not_blocked()
        if current_block != plan.block:
            profile.block = plan.block
            dirty = True
        known = {phone_hash(n.number_e164) for n in profile.numbers.all()}
        for number, number_hash in zip(plan.numbers, hashes, strict=True):
            if number_hash not in known:
                CallerNumber.objects.create(organization=org, profile=profile, number_e164=number)
                dirty = True
        now = timezone.now()
        current = [(alert.text, alert.expires_at) for alert in profile.active_alerts(now)]
        if current != plan.alerts:
            profile.alerts = [CallerAlert.new(text, expires, now).as_json() for text, expires in plan.alerts]
            dirty = True
        if dirty:
            profile.save()
            created += made
            changed += not made
    return created, changed
