"""Fill an organization with many call reports, fast, for benchmarks.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/calldesk_bench \\
        .venv/bin/python bench/generate.py [--org acme] [--form 1234567] [--count 1000000]

Each report comes with its call and its history ("created", then "submitted"/"closed"/
"abandoned"), as the app would have written them:

- call times spread over the last --days days (default 365), busier by day than by night,
  inserted in time order as a helpline's tables fill;
- caller numbers repeat the way they do on a helpline: the n-th most frequent of --callers
  numbers calls about 1/n^s as often (Zipf-like, s = --zipf), so a few call very often and most
  call once or twice; about 3 % of calls have a withheld number;
- every call type and status: 80 % submitted data calls, 8 % closed non-data calls (hang-up,
  silent, wrong number, prank), 7 % drafts, 5 % abandoned drafts;
- field values of every type of the form's current revision, the specialists of the
  organization as agents.

PostgreSQL gets COPY (about 1M reports in a minute or two), SQLite batched executemany. The
organization `acme` is made by `calldesk demo` when missing; another one must exist already
(`calldesk config import ...`). Run it again to add more. See bench/README.md.
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import multiprocessing
import os
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calldesk.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, models, transaction  # noqa: E402

from calldesk.accounts.models import Organization, Role, User  # noqa: E402
from calldesk.callforms.definition import Definition, FieldDef, FieldType  # noqa: E402
from calldesk.callforms.models import CallForm  # noqa: E402
from calldesk.dashboards.models import DayCounts  # noqa: E402
from calldesk.lib.blind import scope, text_tokens  # noqa: E402
from calldesk.lib.crypto import phone_hash  # noqa: E402
from calldesk.lib.sealed import SealedJSONField, SealedTextField, personal_keys, seal_values  # noqa: E402
from calldesk.reports.models import CallReport, ReportChange, ReportToken  # noqa: E402
from calldesk.reports.tokens import searchable_keys  # noqa: E402
from calldesk.telephony.models import Call  # noqa: E402

BATCH = 10_000
# Share of calls per hour of the day (a helpline is busiest in the afternoon and evening).
HOUR_WEIGHTS = [2, 1, 1, 1, 1, 2, 3, 5, 7, 8, 9, 9, 9, 9, 9, 9, 10, 10, 10, 9, 8, 6, 4, 3]
WORDS = "caller talked about rent work family school loneliness money housing health sleep friends".split()
# Callers' names in personal text fields, so a search by a word of a name has something to find.
FIRST = (
    "José María Manuel Ana Lucía Zoë Chloé Björn Søren Anaïs Noémie François Mohammed Aisha Wei Li "
    "Jean-Luc Mary Patricia John Robert Michael Linda Elizabeth David Susan Joseph Karen Thomas Nancy "
    "Daniel Lisa Matthew Sandra Anthony Ashley Mark Kimberly Donald Emily Steven Donna Paul Michelle"
).split()
LAST = (
    "García Ortega Núñez Müller O'Brien D'Angelo Okonkwo-Larsson Smith Johnson Williams Brown Jones "
    "Miller Davis Rodríguez Martínez Hernández López González Wilson Anderson Thomas Taylor Moore "
    "Jackson Martin Lee Pérez Thompson White Harris Sánchez Clark Ramírez Lewis Robinson Walker Young "
    "Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell"
).split()


# --- what to write -----------------------------------------------------------------------------


def caller_numbers(count: int, region_prefix: str, rng: random.Random) -> list[tuple[str, str]]:
    """(as sent, E.164) for `count` different callers, the most frequent first."""
    numbers = []
    seen: set[str] = set()
    while len(numbers) < count:
        area, exchange, line = rng.randint(201, 989), rng.randint(201, 989), rng.randint(0, 9999)
        e164 = f"{region_prefix}{area}{exchange}{line:04d}"
        if e164 in seen:
            continue
        seen.add(e164)
        sent = rng.choice(
            [f"{area}-{exchange}-{line:04d}", f"{area}{exchange}{line:04d}", f"({area}) {exchange}-{line:04d}"]
        )
        numbers.append((sent, e164))
    return numbers


def zipf_cumulative(count: int, s: float) -> list[float]:
    return list(itertools.accumulate(1.0 / (rank**s) for rank in range(1, count + 1)))


def field_value(item: FieldDef, rng: random.Random, start: datetime) -> Any:
    kind = item.type
    if kind == FieldType.CHOICE:
        return rng.choice(item.choices).label if item.choices else None
    if kind == FieldType.MULTI_CHOICE:
        return [c.label for c in rng.sample(item.choices, k=rng.randint(0, min(3, len(item.choices))))]
    if kind == FieldType.YES_NO:
        return rng.choice([True, False, None])
    if kind == FieldType.NUMBER:
        return str(rng.randint(12, 90))
    if kind == FieldType.DATE:
        return (start + timedelta(days=rng.randint(1, 30))).date().isoformat()
    if kind == FieldType.DATETIME:
        return (start + timedelta(days=rng.randint(1, 30))).astimezone(UTC).isoformat()
    if kind == FieldType.PHONE:
        return f"+1{rng.randint(201, 989)}{rng.randint(2010000, 9899999)}"
    if kind == FieldType.EMAIL:
        return f"caller{rng.randint(1, 99999)}@example.org"
    if kind == FieldType.LONG_TEXT:
        said = " ".join(rng.choices(WORDS, k=rng.randint(5, 40)))
        return f"{rng.choice(FIRST)} {rng.choice(LAST)}: {said}." if item.personal else said.capitalize() + "."
    if item.personal:
        return f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    return " ".join(rng.choices(WORDS, k=rng.randint(1, 4)))


class Plan:
    """The fixed choices of one run: who, which form, which callers."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.rng = random.Random(args.seed)
        self.org = find_organization(args.org)
        self.form = find_form(self.org, args.form)
        self.revision = self.form.current_revision()
        self.definition: Definition = self.revision.definition
        self.agents = list(
            User.objects.filter(organization=self.org, role=Role.SPECIALIST, is_active=True).values_list(
                "id", flat=True
            )
        )
        if not self.agents:
            raise SystemExit(f"organization {self.org.slug} has no active specialist to be the agent")
        self.data_types = [c.key for c in self.definition.call_types if c.data] or ["call"]
        self.other_types = [c.key for c in self.definition.call_types if not c.data] or self.data_types
        prefix = "+44" if self.org.phone_region == "GB" else "+1"
        self.callers = caller_numbers(args.callers, prefix, self.rng)
        self.caller_weights = zipf_cumulative(args.callers, args.zipf)
        self.days = args.days
        self.seed = args.seed
        # Made once, before the makers start: every call's time (in order) and caller.
        self.times = call_times(args.count, args.days, self.rng)
        self.picks = self.rng.choices(range(len(self.callers)), cum_weights=self.caller_weights, k=args.count)


def find_organization(slug: str) -> Organization:
    org = Organization.objects.filter(slug=slug).first()
    if org is None and slug == "acme":
        call_command("demo", stdout=io.StringIO())
        org = Organization.objects.filter(slug=slug).first()
    if org is None:
        raise SystemExit(f"no organization {slug!r}: import one first (calldesk config import FILE)")
    return org


def find_form(org: Organization, report_ver: str | None) -> CallForm:
    forms = CallForm.objects.filter(organization=org).order_by("id")
    form = forms.filter(report_ver=report_ver).first() if report_ver else forms.first()
    if form is None:
        raise SystemExit(f"organization {org.slug} has no form {report_ver or ''}".rstrip())
    return form


def call_times(count: int, days: int, rng: random.Random) -> list[datetime]:
    now = datetime.now(UTC).replace(microsecond=0)
    first_day = now - timedelta(days=days)
    hours = rng.choices(range(24), weights=HOUR_WEIGHTS, k=count)
    times = [first_day + timedelta(days=rng.randrange(days), hours=hour, seconds=rng.randrange(3600)) for hour in hours]
    times.sort()
    return [min(t, now - timedelta(minutes=1)) for t in times]


class Tokens:
    """The blind index of a report's personal text fields, as reports.tokens writes it; a word's
    tokens are kept, since the generated texts reuse a small vocabulary."""

    def __init__(self, plan: Plan) -> None:
        self.org_id = plan.org.id
        self.keys = searchable_keys(plan.revision)
        self.known: dict[tuple[str, str], set[int]] = {}

    def of(self, values: dict[str, Any]) -> set[int]:
        found: set[int] = set()
        for key in self.keys:
            value = values.get(key)
            if not isinstance(value, str):
                continue
            for word in value.split():
                tokens = self.known.get((key, word))
                if tokens is None:
                    tokens = self.known[(key, word)] = text_tokens(scope(self.org_id, key), word)
                found |= tokens
        return found


def rows(
    plan: Plan, first: int, last: int, ids: tuple[int, int, int, int], rng: random.Random
) -> Iterator[tuple[dict[str, Any], dict[str, Any], list, set[int]]]:
    """One (call, report, [changes], {tokens}) per call report from the first-th to the last, as
    column -> value dicts; the history's ids are left to the database's sequence."""
    call_id, report_id, _, _ = ids
    personal = personal_keys(plan.revision)  # sealed at rest, as the app writes them
    index = Tokens(plan)
    for i in range(first, last):
        start = plan.times[i]
        agent = rng.choice(plan.agents)
        withheld = rng.random() < 0.03
        sent, e164 = ("anonymous", "") if withheld else plan.callers[plan.picks[i]]
        roll = rng.random()
        if roll < 0.80:
            status, call_type, finished = "submitted", rng.choice(plan.data_types), True
        elif roll < 0.88:
            status, call_type, finished = "closed", rng.choice(plan.other_types), True
        elif roll < 0.95:
            status, call_type, finished = "draft", plan.data_types[0], False
        else:
            status, call_type, finished = "abandoned", plan.data_types[0], False
        values = {f.key: field_value(f, rng, start) for f in plan.definition.fields} if status != "closed" else {}
        done_at = start + timedelta(minutes=rng.randint(2, 45))
        params = [["reportVer", plan.form.report_ver], ["agent", str(agent)], ["ani", sent]]
        call = {
            "id": call_id + i,
            "public_id": uuid.uuid4(),
            "organization_id": plan.org.id,
            "form_id": plan.form.id,
            "revision_id": plan.revision.id,
            "opened_by_id": agent,
            "source": "url",
            "received_at": start,
            "params": params,
            "unmapped": [],
            "notices": ["The caller's number was withheld."] if withheld else [],
            "resolved": {},
            "fingerprint": uuid.uuid4().hex + uuid.uuid4().hex,
            "external_id": "",
            "ended_at": done_at if call_type in plan.other_types and status == "closed" else None,
            "end_reason": "",
        }
        report = {
            "id": report_id + i,
            "public_id": uuid.uuid4(),
            "organization_id": plan.org.id,
            "form_id": plan.form.id,
            "revision_id": plan.revision.id,
            "call_id": call_id + i,
            "agent_id": agent,
            "call_start": start,
            "phone_raw": "" if withheld else sent,
            "phone_e164": e164,
            "phone_hash": phone_hash(e164),
            "call_type": call_type,
            "values": seal_values(values, personal),
            "status": status,
            "author_id": agent,
            "created_at": start,
            "updated_at": done_at,
            "submitted_at": done_at if finished else None,
            "version": 2 if status != "draft" else 1,
            "submit_key": None,
            "redacted_at": None,
        }
        changes = [
            {
                "report_id": report_id + i,
                "user_id": agent,
                "at": start,
                "action": "created",
                "changes": {},
                "version": 1,
            }
        ]
        if status != "draft":
            changes.append(
                {
                    "report_id": report_id + i,
                    "user_id": agent,
                    "at": done_at,
                    "action": status,
                    "changes": {},
                    "version": 2,
                }
            )
        yield call, report, changes, index.of(values) if status != "draft" else set()  # drafts hold none


# --- how to write it -------------------------------------------------------------------------


def _uuid_hex(value: uuid.UUID) -> str:
    return value.hex


def _naive_utc(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")


class Table:
    """A model's columns in order; values the generator does not set get the field's default."""

    def __init__(self, model: type[models.Model], with_id: bool = True) -> None:
        self.name = model._meta.db_table
        self.fields = [f for f in model._meta.concrete_fields if with_id or not f.primary_key]
        self.columns = [f.column for f in self.fields]
        self.postgres = connection.vendor == "postgresql"
        self.adapters = [(f.column, self.adapter(f)) for f in self.fields]

    def defaults(self, given: dict[str, Any]) -> dict[str, Any]:
        missing = {}
        for f in self.fields:
            if f.column not in given:
                if f.has_default():
                    missing[f.column] = f.get_default()
                elif f.null:
                    missing[f.column] = None
                else:
                    raise SystemExit(f"{self.name}.{f.column}: bench/generate.py does not know this new column yet")
        return missing

    def row(self, values: dict[str, Any], missing: dict[str, Any]) -> tuple[Any, ...]:
        out = []
        for column, adapt in self.adapters:
            value = values[column] if column in values else missing[column]
            out.append(value if adapt is None or value is None else adapt(value))
        return tuple(out)

    def adapter(self, field: models.Field) -> Callable[[Any], Any] | None:
        """How a column's Python value is written; chosen once per column, not per value."""
        if isinstance(field, SealedTextField | SealedJSONField):
            return field.get_prep_value  # sealed with the current key
        if isinstance(field, models.UUIDField):
            return str if self.postgres else _uuid_hex  # Django keeps UUIDs as char(32) on SQLite
        if isinstance(field, models.JSONField):
            return json.dumps
        if isinstance(field, models.DateTimeField) and not self.postgres:
            return _naive_utc
        if isinstance(field, models.BooleanField) and not self.postgres:
            return int
        return None

    def adapted(self, batch: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
        if not batch:
            return []
        missing = self.defaults(batch[0])
        return [self.row(values, missing) for values in batch]

    def write(self, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        columns = ", ".join(f'"{c}"' for c in self.columns)
        with connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f'COPY "{self.name}" ({columns}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("%s" for _ in self.columns)
                cursor.executemany(f'INSERT INTO "{self.name}" ({columns}) VALUES ({marks})', rows)


class TokenRows:
    """The ReportToken rows, about fifty a report and so most of what is written: kept as their
    COPY text (PostgreSQL) or tuples (SQLite), not as dicts through Table's per-column adapters,
    which took half the load's time. Their ids come from the table's sequence."""

    table = ReportToken._meta.db_table

    def __init__(self, postgres: bool) -> None:
        self.postgres = postgres
        self.lines: list[str] = []
        self.pairs: list[tuple[int, int]] = []

    def add(self, report_id: int, tokens: set[int]) -> None:
        if self.postgres:
            self.lines.extend(f"{report_id}\t{one}\n" for one in tokens)
        else:
            self.pairs.extend((report_id, one) for one in tokens)

    def taken(self) -> str | list[tuple[int, int]]:
        """What was added since the last call, ready for `write`."""
        out = "".join(self.lines) if self.postgres else self.pairs
        self.lines, self.pairs = [], []
        return out

    @classmethod
    def write(cls, rows: str | list[tuple[int, int]]) -> None:
        with connection.cursor() as cursor:
            if isinstance(rows, str):
                with cursor.cursor.copy(f'COPY "{cls.table}" (report_id, token) FROM STDIN') as copy:
                    copy.write(rows)
            else:
                cursor.executemany(f'INSERT INTO "{cls.table}" (report_id, token) VALUES (%s, %s)', rows)


def produce(plan: Plan, ids: tuple[int, int, int, int], maker: int, makers: int, out: Any) -> None:
    """In a process of its own: the rows of every makers-th BATCH of reports from the maker-th,
    ready to write, in order. Making rows (sealing, hashing, JSON) takes most of a core a
    report, more than the database's writing: several makers keep the writer busy."""
    try:
        tables = Table(Call), Table(CallReport), Table(ReportChange, with_id=False)
        tokens = TokenRows(connection.vendor == "postgresql")
        count = len(plan.times)
        for number, first in enumerate(range(0, count, BATCH)):
            if number % makers != maker:
                continue
            rng = random.Random(f"{plan.seed}:{number}")  # the same rows whatever the number of makers
            calls: list[dict[str, Any]] = []
            reports: list[dict[str, Any]] = []
            changes: list[dict[str, Any]] = []
            for call, report, report_changes, report_tokens in rows(plan, first, min(first + BATCH, count), ids, rng):
                calls.append(call)
                reports.append(report)
                changes.extend(report_changes)
                tokens.add(report["id"], report_tokens)
            adapted = [t.adapted(b) for t, b in zip(tables, (calls, reports, changes), strict=True)]
            out.put((*adapted, tokens.taken()))
    except BaseException as error:  # the writer must hear of it, or it waits for ever
        out.put(f"making rows failed: {error!r}")
        raise


def next_ids() -> tuple[int, int, int, int]:
    def after(model: type[models.Model]) -> int:
        return (model.objects.aggregate(m=models.Max("id"))["m"] or 0) + 1

    return after(Call), after(CallReport), after(ReportChange), after(ReportToken)


def reset_sequences() -> None:
    """Explicit ids bypass PostgreSQL's sequences; move them past what was written."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in (Call, CallReport, ReportChange, ReportToken):
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT MAX(id) FROM \"{table}\"))"
            )


class IndexesSetAside:
    """PostgreSQL: the four tables' indexes that back no constraint, dropped for a load about as
    big as what the tables hold or bigger (nine tenths: a benchmark's pops add a few reports) and
    made again after it. Sorting all the rows once beats inserting each into every index: at a
    million reports the token index alone is gigabytes, far more than shared_buffers, so each
    insert would touch a page read back from disk."""

    def __init__(self, tables: Sequence[str], count: int) -> None:
        self.definitions: list[str] = []
        if connection.vendor != "postgresql" or count < 0.9 * CallReport.objects.count():
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
                " WHERE i.indrelid = ANY(%s::regclass[])"
                " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
                [list(tables)],
            )
            found = cursor.fetchall()
            for name, definition in found:
                cursor.execute(f"DROP INDEX {name}")
                self.definitions.append(definition)

    def restore(self) -> None:
        if not self.definitions:
            return
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
            for definition in self.definitions:
                cursor.execute(definition)
        print(f"  {len(self.definitions)} indexes made again in {time.perf_counter() - started:.0f} s", flush=True)


def generate(args: argparse.Namespace) -> None:
    plan = Plan(args)
    tables = Table(Call), Table(CallReport), Table(ReportChange, with_id=False)
    started = time.perf_counter()
    written = 0
    with transaction.atomic():  # explicit ids: nobody else may insert meanwhile
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for name in [table.name for table in tables] + [ReportToken._meta.db_table]:
                    cursor.execute(f'LOCK TABLE "{name}" IN EXCLUSIVE MODE')
                cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
                if cursor.fetchone()[0]:
                    # The rows are consistent by construction; skipping the foreign-key triggers
                    # (Django's are deferred: millions of queued checks at COMMIT) halves the time.
                    cursor.execute("SET LOCAL session_replication_role = replica")
        aside = IndexesSetAside([table.name for table in tables] + [TokenRows.table], args.count)
        ids = next_ids()
        fork = multiprocessing.get_context("fork")
        queues = [fork.Queue(maxsize=2) for _ in range(args.makers)]
        makers = [fork.Process(target=produce, args=(plan, ids, n, args.makers, q)) for n, q in enumerate(queues)]
        for maker in makers:
            maker.start()
        for number in range(-(-args.count // BATCH)):
            batch = queues[number % args.makers].get()  # the batches in order, whoever made them
            if isinstance(batch, str):
                raise SystemExit(batch)
            *three, tokens = batch
            for table, rows_ in zip(tables, three, strict=True):
                table.write(rows_)
            TokenRows.write(tokens)
            written += len(three[1])
            if written % 100_000 < BATCH:
                rate = written / (time.perf_counter() - started)
                print(f"  {written:,} reports ({rate:,.0f}/s)", flush=True)
        for maker in makers:
            maker.join()
        aside.restore()
        reset_sequences()
        # The replica role skipped the dashboards' triggers too (dashboards.rollup): the days they
        # kept no longer hold every report, so they are counted again at their next view.
        DayCounts.objects.filter(organization=plan.org).delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for name in [table.name for table in tables] + [ReportToken._meta.db_table]:
                cursor.execute(f'ANALYZE "{name}"')
    elapsed = time.perf_counter() - started
    print(
        f"wrote {written:,} call reports (with calls and history) for {plan.org.slug}/{plan.form.report_ver} "
        f"in {elapsed:.0f} s ({written / elapsed:,.0f}/s) on {connection.vendor}; "
        f"{args.callers:,} possible callers, Zipf s={args.zipf}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--org", default="acme", help="organization slug (default acme, the demo's)")
    parser.add_argument("--form", help="the form's reportVer (default: the organization's first form)")
    parser.add_argument("--count", type=int, default=1_000_000, help="call reports to add (default 1,000,000)")
    parser.add_argument("--callers", type=int, default=200_000, help="different caller numbers (default 200,000)")
    parser.add_argument("--zipf", type=float, default=0.9, help="Zipf exponent of caller frequency (default 0.9)")
    parser.add_argument("--days", type=int, default=365, help="spread over this many past days (default 365)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--makers", type=int, default=2, help="processes making rows (default 2)")
    args = parser.parse_args()
    if min(args.count, args.callers, args.days, args.makers) < 1:
        parser.error("--count, --callers, --days and --makers must be positive")
    call_command("migrate", verbosity=0)
    generate(args)


if __name__ == "__main__":
    main()
