"""Finding services in an organization's directory: words (typo-tolerant, accent-insensitive),
taxonomy term (with the terms below it), near a place (a postal code's centroid from the
directory's own addresses, or latitude/longitude), open now (in the organization's zone, across
midnight), language, active only.

The same query gives the same results on PostgreSQL and SQLite: words are folded and split here,
in Python, for both; each typed word is widened to the directory's words within a small edit
distance (candidates from pg_trgm's index on PostgreSQL, from the cached word list on SQLite, then
the same distance rule here); only the full-text match itself is the database's (a GIN
to_tsvector index, or FTS5); the ranking is computed here from the matched texts."""

from __future__ import annotations

import bisect
import datetime as dt
import math
import re
import unicodedata
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from django.db import connection
from django.db.models import Avg, F, Max, Q

from calldesk.accounts.models import Organization as CalldeskOrganization
from calldesk.resources.models import (
    Address,
    Attribute,
    Language,
    Location,
    Phone,
    Schedule,
    SearchWord,
    Service,
    ServiceAtLocation,
    ServiceIndex,
    ServiceStatus,
    TaxonomyTerm,
)

WORD = re.compile(r"[^\W_]+")
STOPWORDS = frozenset("a an and the of in on at for to with near de la el en y et le les des du".split())
MAX_WIDENING = 40  # directory words one typed word may stand for
MAX_QUERY_WORDS = 8
DEFAULT_RADIUS_KM = 25.0
EARTH_KM = 6371.0
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def fold(text: str) -> str:
    """Lower case, accents removed: "Clínica" and "clinica" are one word."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words_of(text: str) -> list[str]:
    return WORD.findall(fold(text))


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (a swap of two letters is one edit), or limit + 1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def allowed_edits(word: str) -> int:
    return 0 if len(word) < 4 else 1 if len(word) < 8 else 2


def close_words(typed: str, candidates: Iterable[str]) -> list[str]:
    """The directory's words `typed` may stand for: itself, words it starts (3 letters or more),
    words within its allowed edits. Best first, at most MAX_WIDENING."""
    limit = allowed_edits(typed)
    scored = []
    for word in candidates:
        if word == typed:
            scored.append((0, word))
        elif len(typed) >= 3 and word.startswith(typed):
            scored.append((1, word))
        elif limit and edit_distance(typed, word, limit) <= limit:
            scored.append((2, word))
    return [word for _, word in sorted(scored)[:MAX_WIDENING]]


# The index -----------------------------------------------------------------------------------


def rebuild_index(owner: CalldeskOrganization) -> None:
    """Rewrite `owner`'s search index from its directory (inside the caller's transaction)."""
    services = Service.objects.filter(owner=owner, retired_at=None).select_related("organization")
    terms_of: dict[uuid.UUID, list[str]] = defaultdict(list)
    term_names = dict(TaxonomyTerm.objects.filter(owner=owner, retired_at=None).values_list("id", "name"))
    links = Attribute.objects.filter(owner=owner, retired_at=None, link_entity="service")
    for link_id, term_id in links.values_list("link_id", "taxonomy_term_id"):
        if term_id in term_names:
            terms_of[link_id].append(term_names[term_id])
    ServiceIndex.objects.filter(owner=owner).delete()
    SearchWord.objects.filter(owner=owner).delete()
    rows: list[ServiceIndex] = []
    vocabulary: set[str] = set()
    for service in services.iterator(chunk_size=2000):
        row = _index_row(service, terms_of[service.id])
        vocabulary.update(_words_kept(row.doc))
        rows.append(row)
    ServiceIndex.objects.bulk_create(rows, batch_size=1000)
    SearchWord.objects.bulk_create([SearchWord(owner=owner, word=w) for w in sorted(vocabulary)], batch_size=2000)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            # The FTS table is not Django's: rows of deleted organizations (or of a test database
            # flushed by Django) may hold the rowids the new index rows take, so those go too.
            cursor.execute(
                "DELETE FROM resources_service_fts WHERE owner_id = %s OR rowid IN "
                "(SELECT id FROM resources_serviceindex WHERE owner_id = %s)",
                [owner.pk, owner.pk],
            )
            cursor.execute(
                "INSERT INTO resources_service_fts (rowid, doc, owner_id) "
                "SELECT id, doc, owner_id FROM resources_serviceindex WHERE owner_id = %s",
                [owner.pk],
            )
    _vocabulary.cache_clear()


def _index_row(service: Service, terms: list[str]) -> ServiceIndex:
    name = " ".join(words_of(f"{service.name} {service.alternate_name}"))
    text = " ".join(
        [
            service.name,
            service.alternate_name,
            service.organization.name,
            *terms,
            service.description,
            service.eligibility_description,
        ]
    )
    return ServiceIndex(
        owner_id=service.owner_id,
        service_id=service.id,
        name_text=name,
        doc=" ".join(words_of(text)),
        active=service.status == ServiceStatus.ACTIVE,
    )


def _words_kept(doc: str) -> set[str]:
    return {w for w in doc.split() if 2 <= len(w) <= 100}


def index_service(service: Service) -> None:
    """Re-index one edited service (its words are added to the directory's; words no longer
    used stay until the next import or rebuild, which only widens a typo a little more)."""
    old = list(ServiceIndex.objects.filter(service=service).values_list("id", flat=True))
    ServiceIndex.objects.filter(id__in=old).delete()
    if connection.vendor == "sqlite" and old:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM resources_service_fts WHERE rowid = %s", [old[0]])
    if service.retired_at is not None:
        return
    terms = list(
        TaxonomyTerm.objects.filter(
            owner_id=service.owner_id, retired_at=None, attributes__link_id=service.id, attributes__retired_at=None
        ).values_list("name", flat=True)
    )
    row = _index_row(service, terms)
    row.save()
    known = set(SearchWord.objects.filter(owner_id=service.owner_id).values_list("word", flat=True))
    SearchWord.objects.bulk_create(
        [SearchWord(owner_id=service.owner_id, word=w) for w in sorted(_words_kept(row.doc) - known)],
        ignore_conflicts=True,
    )
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM resources_service_fts WHERE rowid = %s", [row.pk])
            cursor.execute(
                "INSERT INTO resources_service_fts (rowid, doc, owner_id) VALUES (%s, %s, %s)",
                [row.pk, row.doc, service.owner_id],
            )
    _vocabulary.cache_clear()


@dataclass(frozen=True)
class Vocabulary:
    """An organization's words, sorted (for prefixes) and by length (for typos)."""

    words: tuple[str, ...]
    by_length: dict[int, tuple[str, ...]]

    def near(self, typed: str) -> list[str]:
        """The words close_words could keep for `typed`: its prefixes' range and similar lengths."""
        found: list[str] = []
        if len(typed) >= 3:
            start = bisect.bisect_left(self.words, typed)
            end = bisect.bisect_left(self.words, typed + "\uffff")
            found.extend(self.words[start:end])
        limit = allowed_edits(typed)
        for length in range(len(typed) - limit, len(typed) + limit + 1):
            found.extend(self.by_length.get(length, ()))
        return found


@lru_cache(maxsize=16)
def _vocabulary(owner_id: int, generation: int) -> Vocabulary:
    words = tuple(sorted(SearchWord.objects.filter(owner_id=owner_id).values_list("word", flat=True)))
    by_length: dict[int, list[str]] = defaultdict(list)
    for word in words:
        by_length[len(word)].append(word)
    return Vocabulary(words, {n: tuple(w) for n, w in by_length.items()})


def _candidates(owner: CalldeskOrganization, typed: str) -> list[str]:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # A low threshold keeps every word within the allowed edits; close_words decides.
            cursor.execute("SELECT set_limit(0.15)")
            cursor.execute(
                "SELECT word FROM resources_searchword WHERE owner_id = %s AND (word %% %s OR word LIKE %s)",
                [owner.pk, typed, typed.replace("%", "").replace("_", "") + "%"],
            )
            return [row[0] for row in cursor.fetchall()]
    generation = SearchWord.objects.filter(owner=owner).aggregate(newest=Max("id"))["newest"] or 0
    return _vocabulary(owner.pk, generation).near(typed)


def _matching_services(owner: CalldeskOrganization, groups: list[list[str]], active_only: bool) -> dict[uuid.UUID, str]:
    """Services whose text holds, for every typed word, one of the words it stands for: id -> folded name."""
    # The words are folded letters and digits only (words_of), so they cannot break out of
    # the quotes of a tsquery or an FTS5 query; the whole query is still a parameter.
    if connection.vendor == "postgresql":
        query = " & ".join("(" + " | ".join(f"'{w}'" for w in group) + ")" for group in groups)
        sql = (
            "SELECT i.service_id, i.name_text FROM resources_serviceindex i "
            "WHERE i.owner_id = %s AND to_tsvector('simple', i.doc) @@ to_tsquery('simple', %s) "
            "AND (i.active OR NOT %s)"
        )
        params: list[int | str | bool] = [owner.pk, query, active_only]
    else:
        query = " AND ".join("(" + " OR ".join(f'"{w}"' for w in group) + ")" for group in groups)
        # The match first, as a subquery: joined, SQLite may probe the FTS table once per index row.
        sql = (
            "SELECT i.service_id, i.name_text FROM resources_serviceindex i WHERE i.id IN "
            "(SELECT rowid FROM resources_service_fts WHERE resources_service_fts MATCH %s AND owner_id = %s) "
            "AND i.owner_id = %s AND (i.active OR NOT %s)"
        )
        params = [query, owner.pk, owner.pk, active_only]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {uuid.UUID(str(row[0])): row[1] for row in cursor.fetchall()}


# The query -----------------------------------------------------------------------------------


@dataclass
class Query:
    words: str = ""
    term_id: uuid.UUID | None = None  # a taxonomy_term id; the terms below it count too
    postcode: str = ""
    latitude: float | None = None
    longitude: float | None = None
    radius_km: float = DEFAULT_RADIUS_KM
    open_now: bool = False
    language: str = ""  # a code ("es") or a name ("Spanish")
    active_only: bool = True
    at: dt.datetime | None = None  # "now" for open_now; tests set it
    limit: int = 20


@dataclass
class Hit:
    service: Service
    score: float
    distance_km: float | None = None
    phones: list[str] = field(default_factory=list)
    address: str = ""
    hours: list[str] = field(default_factory=list)


@dataclass
class Result:
    hits: list[Hit]
    notices: list[str]


def search(owner: CalldeskOrganization, query: Query) -> Result:
    """The services `query` finds, best first. Each filter gives a set of service ids; only the
    `limit` shown are read whole. Ranking and ties are decided here, the same on both databases."""
    notices: list[str] = []
    typed = [w for w in words_of(query.words) if w not in STOPWORDS and len(w) >= 2][:MAX_QUERY_WORDS]
    groups: list[list[str]] = []
    for word in typed:
        group = close_words(word, _candidates(owner, word))
        if not group:
            notices.append(f"no service mentions “{word}”")
            return Result([], notices)
        groups.append(group)
    # id -> folded name, of the services the words find (or of every service).
    candidates = (
        _matching_services(owner, groups, query.active_only) if groups else _every_service(owner, query.active_only)
    )
    keep: list[set[uuid.UUID]] = []
    if query.term_id:
        keep.append(set(_services_with_terms(owner, _term_and_below(owner, query.term_id))))
    if query.language:
        keep.append(_services_speaking(owner, query.language))
    distances: dict[uuid.UUID, float] | None = None
    centre = centre_of(owner, query, notices)
    if centre:
        distances = _services_near(owner, centre, query.radius_km)
        keep.append(set(distances))
    elif query.postcode or query.latitude is not None:
        return Result([], notices)
    for kept in keep:
        candidates = {sid: name for sid, name in candidates.items() if sid in kept}
    if query.open_now:
        open_ids = _open_services(owner, set(candidates), query.at)
        candidates = {sid: name for sid, name in candidates.items() if sid in open_ids}
    ranked = sorted(
        (
            (-_score(typed, groups, name), distances.get(sid, 0.0) if distances else 0.0, name, str(sid), sid)
            for sid, name in candidates.items()
        )
    )[: query.limit]
    shown = Service.objects.filter(id__in=[row[-1] for row in ranked]).select_related("organization").in_bulk()
    hits = [
        Hit(shown[sid], -negative, distances.get(sid) if distances else None)
        for negative, _, _, _, sid in ranked
        if sid in shown
    ]
    _describe(owner, hits)
    return Result(hits, notices)


def _every_service(owner: CalldeskOrganization, active_only: bool) -> dict[uuid.UUID, str]:
    # A directory changes by import or edit, which both add index rows: the newest id says
    # whether the copy kept in this process is still the directory's.
    generation = ServiceIndex.objects.filter(owner=owner).aggregate(newest=Max("id"))["newest"] or 0
    return dict(_every_service_cached(owner.pk, generation, active_only))


@lru_cache(maxsize=8)
def _every_service_cached(owner_id: int, generation: int, active_only: bool) -> tuple[tuple[uuid.UUID, str], ...]:
    rows = ServiceIndex.objects.filter(owner_id=owner_id)
    if active_only:
        rows = rows.filter(active=True)
    return tuple(rows.values_list("service_id", "name_text"))


def _services_speaking(owner: CalldeskOrganization, language: str) -> set[uuid.UUID]:
    wanted = language.strip()
    languages = Language.objects.filter(owner=owner, retired_at=None, service__isnull=False)
    found = languages.filter(Q(code__iexact=wanted) | Q(name__iexact=wanted)).values_list("service_id", flat=True)
    return {sid for sid in found if sid}


def _score(typed: list[str], groups: list[list[str]], name_text: str) -> float:
    """A typed word found as itself in the name counts most, then a close word in the name; the
    rest of the text counts the same for every service that matched at all."""
    name_words = set(name_text.split())
    score = 0.0
    for word, group in zip(typed, groups, strict=True):
        if word in name_words:
            score += 3
        elif name_words.intersection(group):
            score += 2
    return score


def _term_and_below(owner: CalldeskOrganization, term_id: uuid.UUID) -> set[uuid.UUID]:
    children: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for tid, parent in TaxonomyTerm.objects.filter(owner=owner, retired_at=None).values_list("id", "parent_id"):
        if parent:
            children[parent].append(tid)
    found, todo = {term_id}, [term_id]
    while todo:
        for child in children[todo.pop()]:
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _services_with_terms(owner: CalldeskOrganization, terms: set[uuid.UUID]) -> list[uuid.UUID]:
    links = Attribute.objects.filter(owner=owner, retired_at=None, link_entity="service", taxonomy_term__in=terms)
    return list(links.values_list("link_id", flat=True))


def centre_of(owner: CalldeskOrganization, query: Query, notices: list[str]) -> tuple[float, float] | None:
    if query.latitude is not None and query.longitude is not None:
        return query.latitude, query.longitude
    if not query.postcode:
        return None
    typed = query.postcode.strip()
    # Exact (as typed, or upper case as UK and Canadian codes are written) so the index on
    # (owner, postal_code) serves it.
    centre = Location.objects.filter(
        owner=owner,
        retired_at=None,
        addresses__postal_code__in={typed, typed.upper()},
        addresses__retired_at=None,
        latitude__isnull=False,
        longitude__isnull=False,
    ).aggregate(latitude=Avg("latitude"), longitude=Avg("longitude"))
    if centre["latitude"] is None:
        notices.append(f"no location of the directory has the postal code “{typed}”")
        return None
    # Rounded to about 10 cm: the two databases may add the same floats in another order.
    return round(centre["latitude"], 6), round(centre["longitude"], 6)


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(h)))


def _services_near(owner: CalldeskOrganization, centre: tuple[float, float], radius: float) -> dict[uuid.UUID, float]:
    """Each service with a location within `radius` km: its nearest location's distance.
    The bounding box keeps the index on (owner, latitude, longitude) doing the work."""
    lat, lon = centre
    dlat = math.degrees(radius / EARTH_KM)
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    inside = ServiceAtLocation.objects.filter(
        owner=owner,
        retired_at=None,
        location__retired_at=None,
        location__latitude__range=(lat - dlat, lat + dlat),
        location__longitude__range=(lon - dlon, lon + dlon),
    ).values_list("service_id", "location__latitude", "location__longitude")
    nearest: dict[uuid.UUID, float] = {}
    for service_id, latitude, longitude in inside:
        km = distance_km(centre, (latitude, longitude))
        if km <= radius and km < nearest.get(service_id, math.inf):
            nearest[service_id] = round(km, 3)
    return nearest


def _open_services(owner: CalldeskOrganization, ids: set[uuid.UUID], at: dt.datetime | None) -> set[uuid.UUID]:
    now = (at or dt.datetime.now(dt.UTC)).astimezone(owner.zone)
    clock = now.time().replace(tzinfo=None)
    # Only schedules open at this time of day (or running past midnight) can be open now.
    schedules = Schedule.objects.filter(owner=owner, retired_at=None).filter(
        Q(opens_at__lte=clock, closes_at__gt=clock) | Q(closes_at__lte=F("opens_at"))
    )
    rows = schedules.values_list(
        "service_id",
        "service_at_location__service_id",
        "byday",
        "opens_at",
        "closes_at",
        "valid_from",
        "valid_to",
        "freq",
    )
    open_ids: set[uuid.UUID] = set()
    for service_id, sal_service_id, byday, opens, closes, valid_from, valid_to, freq in rows:
        sid = service_id or sal_service_id
        if sid in ids and is_open(now, byday, opens, closes, valid_from, valid_to, freq):
            open_ids.add(sid)
    return open_ids


def is_open(
    now: dt.datetime,
    byday: str,
    opens: dt.time | None,
    closes: dt.time | None,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    freq: str = "WEEKLY",
) -> bool:
    """Whether a weekly opening (RFC 5545 days, local times) holds `now` (a local time).
    Hours that close at or before they open run past midnight into the next day."""
    if opens is None or closes is None or (freq and freq != "WEEKLY"):
        return False
    days = {d.strip()[-2:] for d in byday.split(",") if d.strip()} or set(DAYS)

    def valid(day: dt.date) -> bool:
        return (valid_from is None or day >= valid_from) and (valid_to is None or day <= valid_to)

    today, clock = now.date(), now.time().replace(tzinfo=None)
    yesterday = today - dt.timedelta(days=1)
    if opens < closes:
        return DAYS[today.weekday()] in days and valid(today) and opens <= clock < closes
    # Across midnight: from `opens` today, or until `closes` on the morning after an open day.
    if DAYS[today.weekday()] in days and valid(today) and clock >= opens:
        return True
    return DAYS[yesterday.weekday()] in days and valid(yesterday) and clock < closes


def _describe(owner: CalldeskOrganization, hits: list[Hit]) -> None:
    """Phones, an address and hours for the services shown."""
    by_id = {h.service.id: h for h in hits}
    services = Service.objects.filter(id__in=list(by_id)).select_related("organization")
    for service in services:
        by_id[service.id].service = service
    for service_id, number in (
        Phone.objects.filter(service_id__in=list(by_id), retired_at=None)
        .values_list("service_id", "number")
        .order_by("number")
    ):
        by_id[service_id].phones.append(number)
    sal = ServiceAtLocation.objects.filter(service_id__in=list(by_id), retired_at=None).values_list(
        "service_id", "location_id"
    )
    location_of: dict[uuid.UUID, uuid.UUID] = {}
    for service_id, location_id in sal.order_by("location_id"):
        location_of.setdefault(service_id, location_id)
    addresses = {
        a.location_id: a
        for a in Address.objects.filter(location_id__in=list(location_of.values()), retired_at=None).order_by("id")
    }
    for service_id, location_id in location_of.items():
        if address := addresses.get(location_id):
            by_id[service_id].address = ", ".join(
                p for p in (address.address_1, address.city, address.state_province, address.postal_code) if p
            )
    for schedule in Schedule.objects.filter(service_id__in=list(by_id), retired_at=None).order_by("id"):
        if schedule.opens_at and schedule.closes_at and schedule.service_id:
            days = schedule.byday or "every day"
            by_id[schedule.service_id].hours.append(f"{days} {schedule.opens_at:%H:%M}–{schedule.closes_at:%H:%M}")
