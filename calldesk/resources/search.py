"""Finding services in an organization's directory: words (typo-tolerant, accent-insensitive),
taxonomy term (with the terms below it), near a place (a postal code's centroid from the
directory's own addresses, or latitude/longitude), open now (in the organization's zone, across
midnight), language, active only.

The same query gives the same results on PostgreSQL and SQLite: words are folded and split here,
in Python, for both; each typed word is widened to the directory's words within a small edit
distance (candidates from pg_trgm's index on PostgreSQL, from the cached word list on SQLite, then
the same distance rule here); only the full-text match itself is the database's (a GIN
stored tsvector column, or FTS5); the ranking is computed here from the matched texts."""

from __future__ import annotations

import bisect
import datetime as dt
import math
import re
import unicodedata
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import F, Max, Q, QuerySet, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat, Replace, Upper

from calldesk.accounts.models import Organization as CalldeskOrganization
from calldesk.resources.models import (
    Address,
    Attribute,
    DirectorySettings,
    Language,
    Phone,
    Schedule,
    SearchWord,
    Service,
    ServiceAtLocation,
    ServiceIndex,
    ServiceStatus,
    TaxonomyTerm,
)

T = TypeVar("T")  # what a function run in plan mode answers

WORD = re.compile(r"[^\W_]+")
STOPWORDS = frozenset("a an and the of in on at for to with near de la el en y et le les des du".split())
MAX_WIDENING = 40  # directory words one typed word may stand for
MAX_QUERY_WORDS = 8
DEFAULT_RADIUS_KM = 25.0
FEW_SERVICES = 8000  # near a place, fewer services than this left by the other conditions lead the search
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


def close_words(typed: str, candidates: Iterable[str], typos: bool = True) -> list[str]:
    """The directory's words `typed` may stand for: itself, words it starts (3 letters or more),
    words within its allowed edits (unless not `typos`). Best first, at most MAX_WIDENING."""
    limit = allowed_edits(typed) if typos else 0
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
    else:
        with connection.cursor() as cursor:
            # A bulk write leaves its GIN entries in the indexes' pending lists until a vacuum,
            # and PostgreSQL then scans every row instead of the index (35 to 50 ms a search at
            # 50,000 services, until autovacuum comes by). Merged now, and the statistics taken,
            # in the import's own transaction (both see its rows).
            cursor.execute(
                "SELECT gin_clean_pending_list('resources_searchword_trgm'::regclass), "
                "gin_clean_pending_list('resources_serviceindex_words'::regclass)"
            )
            cursor.execute("ANALYZE resources_searchword, resources_serviceindex")
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
    kept = _words_kept(row.doc)
    known = SearchWord.objects.filter(owner_id=service.owner_id, word__in=kept).values_list("word", flat=True)
    SearchWord.objects.bulk_create(
        [SearchWord(owner_id=service.owner_id, word=w) for w in sorted(kept - set(known))], ignore_conflicts=True
    )
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM resources_service_fts WHERE rowid = %s", [row.pk])
            cursor.execute(
                "INSERT INTO resources_service_fts (rowid, doc, owner_id) VALUES (%s, %s, %s)",
                [row.pk, row.doc, service.owner_id],
            )
    _vocabulary.cache_clear()


def _letters(word: str) -> int:
    """A bit for each character the word holds (characters may share a bit)."""
    mask = 0
    for c in word:
        mask |= 1 << (ord(c) % 61)
    return mask


@dataclass(frozen=True)
class Vocabulary:
    """An organization's words, sorted (for prefixes) and by length and letters (for typos)."""

    words: tuple[str, ...]
    by_length: dict[int, dict[int, tuple[str, ...]]]  # length -> letters -> words

    def starting_with(self, typed: str) -> list[str]:
        """`typed` itself if a word, and the words it starts (from 3 letters on)."""
        start = bisect.bisect_left(self.words, typed)
        end = bisect.bisect_left(self.words, typed + "\uffff") if len(typed) >= 3 else start + 1
        return [w for w in self.words[start:end] if w.startswith(typed)]

    def near(self, typed: str) -> list[str]:
        """The words close_words could keep for `typed`: its prefixes' range, and words of a
        similar length that lack at most as many of its letters as its allowed edits (each edit
        brings at most one letter in): a directory's thousands of numbers are never measured."""
        found = self.starting_with(typed)
        limit = allowed_edits(typed)
        letters = _letters(typed)
        for length in range(len(typed) - limit, len(typed) + limit + 1):
            for mask, words in self.by_length.get(length, {}).items():
                if (letters & ~mask).bit_count() <= limit:
                    found.extend(words)
        return list(dict.fromkeys(found))  # a prefix's word is often of a similar length too


@lru_cache(maxsize=16)
def _vocabulary(owner_id: int, generation: int) -> Vocabulary:
    words = tuple(sorted(SearchWord.objects.filter(owner_id=owner_id).values_list("word", flat=True)))
    by_length: dict[int, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for word in words:
        by_length[len(word)][_letters(word)].append(word)
    return Vocabulary(words, {n: {m: tuple(w) for m, w in masks.items()} for n, masks in by_length.items()})


def _current_vocabulary(owner: CalldeskOrganization) -> Vocabulary:
    generation = SearchWord.objects.filter(owner=owner).aggregate(newest=Max("id"))["newest"] or 0
    return _vocabulary(owner.pk, generation)


@dataclass(frozen=True)
class IndexedWords:
    """An organization's words as PostgreSQL finds them, on pg_trgm's GIN index: the words a
    typed word starts (LIKE) and those sharing enough of its trigrams (%)."""

    owner_id: int

    def starting_with(self, typed: str) -> list[str]:
        prefix = typed.replace("%", "").replace("_", "") + "%" if len(typed) >= 3 else typed
        return _column(
            "SELECT word FROM resources_searchword WHERE owner_id = %s AND (word = %s OR word LIKE %s)",
            [self.owner_id, typed, prefix],
        )

    def near(self, typed: str) -> list[str]:
        # A low threshold keeps every word within the allowed edits; close_words decides.
        _fetch("SELECT set_limit(0.15)", [])
        return _column(
            "SELECT word FROM resources_searchword WHERE owner_id = %s AND (word %% %s OR word LIKE %s)",
            [self.owner_id, typed, typed.replace("%", "").replace("_", "") + "%"],
        )


def _words(owner: CalldeskOrganization) -> Vocabulary | IndexedWords:
    """Where a typed word's candidates come from: PostgreSQL's trigram index, or on SQLite the
    word list this process keeps (read again when a word is added)."""
    return IndexedWords(owner.pk) if connection.vendor == "postgresql" else _current_vocabulary(owner)


# The query -----------------------------------------------------------------------------------


@dataclass
class Query:
    words: str = ""
    term_id: uuid.UUID | None = None  # a taxonomy_term id; the terms below it count too
    place: str = ""  # a postal code, a city, or "City, ST" (the directory's own addresses place it)
    latitude: float | None = None
    longitude: float | None = None
    radius_km: float = DEFAULT_RADIUS_KM
    open_now: bool = False
    language: str = ""  # a code ("es") or a name ("Spanish")
    active_only: bool = True
    at: dt.datetime | None = None  # "now" for open_now; tests set it
    limit: int = 20
    offset: int = 0
    # A listing of every match a page at a time (the HSDS API): the total is counted, and each
    # word stands for its typos whatever the page, so every page of one listing agrees.
    paged: bool = False
    within: QuerySet | None = None  # service ids (a subquery) the results must be among


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
    total: int | None = None  # every match (not only those shown), when the query is paged


Ranked = list[tuple[uuid.UUID, int, float | None]]  # service id, score, distance


def search(owner: CalldeskOrganization, query: Query) -> Result:
    """The services `query` finds, best first: the typed words found in the name first, then the
    nearest, then by name. One SQL query filters, ranks and keeps the `limit` shown (from
    `offset`); only those are read whole. Each typed word stands for itself and the words it
    starts; the words within a typo of it are added only when that finds fewer than `limit`
    services (always, when the query is paged)."""
    ranked, total, notices = _in_plan_mode(lambda: _rank(owner, query))
    shown = Service.objects.filter(id__in=[row[0] for row in ranked]).select_related("organization").in_bulk()
    hits = [Hit(shown[sid], float(score), km) for sid, score, km in ranked if sid in shown]
    _describe(hits)
    return Result(hits, notices, total)


def matching(owner: CalldeskOrganization, query: Query) -> tuple[str, list[object]] | None:
    """SQL of every service `query` finds by its words, term and language (not its place), as
    rows of (service_id, score, name_text), and its parameters; None when nothing can match."""
    typed = _typed(query.words)
    groups, unknown = _with_typos(_words(owner), typed) if typed else ([], "")
    filtered = None if unknown else _conditions(owner, query, groups)
    if filtered is None:
        return None
    where, params = filtered
    score, score_params = _score(typed, groups)
    sql = (
        f"SELECT i.service_id, {score} AS score, i.name_text FROM resources_serviceindex i "  # noqa: S608  # nosec B608
        f"WHERE {' AND '.join(where).replace('{plus}', '')}"
    )
    return sql, [*score_params, *params]


def ranked_page(
    owner: CalldeskOrganization, query: Query, rows: QuerySet[Any], limit: int, offset: int
) -> tuple[list[Any], int]:
    """A page of `rows` (records with a `service_id`, e.g. services at locations) in the order of
    their service in `query`'s results (its words and term; no place), then by their own id, and
    how many there are in all. The database joins, orders and pages: only the page's ids are
    read, however many services match."""
    found = matching(owner, query)
    if found is None:
        return [], 0
    try:
        inner, inner_params = rows.order_by().values("id", "service_id").query.sql_with_params()
    except EmptyResultSet:  # rows Django knows are none
        return [], 0
    collate = ' COLLATE "C"' if connection.vendor == "postgresql" else ""  # code point order, as Python's
    joined = f"FROM ({inner}) r JOIN ({found[0]}) s ON s.service_id = r.service_id"  # nosec B608
    values = [*inner_params, *found[1]]

    def read() -> tuple[list[Any], int]:
        page = _fetch(
            f"SELECT r.id {joined} ORDER BY s.score DESC, s.name_text{collate}, s.service_id, r.id LIMIT %s OFFSET %s",
            [*values, limit, offset],
        )
        key = rows.model._meta.pk  # the database's spelling of an id (SQLite: hex text) as the model's
        return [key.to_python(row[0]) for row in page], _fetch(f"SELECT COUNT(*) {joined}", values)[0][0]

    return _in_plan_mode(read)


def _in_plan_mode(run: Callable[[], T]) -> T:
    if connection.vendor != "postgresql":
        return run()
    with transaction.atomic():
        with connection.cursor() as cursor:
            # Statements are prepared (DB_SERVER_SIDE_BINDING); from a statement's sixth run
            # PostgreSQL may plan it once for any box, term or word, and a plan made without
            # their values read every location of a city for each service (minutes, not ms).
            cursor.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        return run()


def _typed(words: str) -> list[str]:
    """The words of a query that count (not stop words, not single letters), at most MAX_QUERY_WORDS."""
    return [w for w in words_of(words) if w not in STOPWORDS and len(w) >= 2][:MAX_QUERY_WORDS]


def _with_typos(vocabulary: Vocabulary | IndexedWords, typed: list[str]) -> tuple[list[list[str]], str]:
    """Each typed word with the directory's words it starts or is a typo of; and the first typed
    word that has none ("" when every word has some)."""
    groups: list[list[str]] = []
    for word in typed:
        group = close_words(word, vocabulary.near(word))
        if not group:
            return [], word
        groups.append(group)
    return groups, ""


def _rank(owner: CalldeskOrganization, query: Query) -> tuple[Ranked, int | None, list[str]]:
    notices: list[str] = []
    nothing = 0 if query.paged else None
    typed = _typed(query.words)
    centre = centre_of(owner, query, notices)
    if centre is None and (query.place.strip() or query.latitude is not None):
        return [], nothing, notices
    ranked: Ranked | None = None
    total: int | None = None
    exact: list[list[str]] = []
    vocabulary = _words(owner) if typed else Vocabulary((), {})
    if not query.paged:
        exact = [close_words(word, vocabulary.starting_with(word), typos=False) for word in typed]
        if all(exact):
            ranked, _ = _ranked(owner, query, typed, exact, centre)
    if ranked is None or (len(ranked) < query.limit and any(allowed_edits(w) for w in typed)):
        groups, unknown = _with_typos(vocabulary, typed)
        if unknown:
            return [], nothing, [f"no service mentions “{unknown}”"]
        if ranked is None or groups != exact:
            ranked, total = _ranked(owner, query, typed, groups, centre)
    return ranked, total, notices


def _ranked(
    owner: CalldeskOrganization,
    query: Query,
    typed: list[str],
    groups: list[list[str]],
    centre: tuple[float, float] | None,
) -> tuple[Ranked, int | None]:
    """The ids of the `limit` services shown (from `offset`), with their score and distance, in
    the order shown, and, when the query is paged, how many services match in all. Every filter
    is a condition of one query, so the database keeps only what it returns."""
    filtered = _conditions(owner, query, groups)
    if filtered is None:
        return [], 0
    where, params = filtered
    score, score_params = _score(typed, groups)
    collate = ' COLLATE "C"' if connection.vendor == "postgresql" else ""  # code point order, as Python's
    # Without words every score is 0: the name order alone lets the database walk its index.
    order = f"score DESC, i.name_text{collate}, i.service_id" if typed else f"i.name_text{collate}, i.service_id"
    # Only constant text and placeholders are joined into these queries; every value is a parameter.
    led_by_services = " AND ".join(where).replace("{plus}", "")
    if centre is None:
        # SQLite, without statistics, would read the organization's rows and sort them all.
        walk = typed or not query.active_only or connection.vendor != "sqlite"
        table = (
            "resources_serviceindex i" if walk else "resources_serviceindex i INDEXED BY resources_serviceindex_name"
        )
        sql = (
            f"SELECT i.service_id, {score} AS score FROM {table} WHERE {led_by_services} "  # noqa: S608  # nosec B608
            f"ORDER BY {order} LIMIT %s OFFSET %s"
        )
        rows = _fetch(sql, [*score_params, *params, query.limit, query.offset])
        total = None
        if query.paged:
            counted = f"SELECT COUNT(*) FROM resources_serviceindex i WHERE {led_by_services}"  # noqa: S608  # nosec B608
            total = _fetch(counted, params)[0][0]
        return [(_uuid(sid), score, None) for sid, score in rows], total
    # Nearest first: each service's nearest location inside the box around the circle. When the
    # other conditions keep few services, they lead (each one's locations are measured);
    # otherwise the box's locations lead, from a smaller circle first: when its page is full of
    # services with the best score a query can give, nothing farther can come before them, and a
    # dense city is not measured whole. "CROSS JOIN" is the order SQLite follows (PostgreSQL
    # chooses its own); a location and the index rows are the organization's, and so are the
    # links between them.
    found = _fetch(
        f"SELECT COUNT(*) FROM (SELECT 1 FROM resources_serviceindex i WHERE {led_by_services} LIMIT %s) few",  # noqa: S608  # nosec B608
        [*params, FEW_SERVICES],
    )[0][0]
    if not found:
        return [], 0
    km, km_params = km_sql(centre)
    if found < FEW_SERVICES:
        tables = "resources_serviceindex i CROSS JOIN resources_serviceatlocation sal CROSS JOIN resources_location l"
        conditions, radii = led_by_services, [query.radius_km]
    else:
        tables = "resources_location l CROSS JOIN resources_serviceatlocation sal CROSS JOIN resources_serviceindex i"
        conditions = " AND ".join(where).replace("{plus}", "+")
        radii = [query.radius_km / 64, query.radius_km / 16, query.radius_km / 4, query.radius_km]
    near = (
        f"SELECT i.service_id, i.name_text, {score} AS score, {km} AS km FROM {tables} "  # noqa: S608  # nosec B608
        "WHERE l.owner_id = %s AND l.latitude BETWEEN %s AND %s AND l.longitude BETWEEN %s AND %s "
        "AND l.retired_at IS NULL AND sal.location_id = l.id AND sal.retired_at IS NULL "
        f"AND i.service_id = sal.service_id AND {conditions}"
    )
    sql = (
        f"SELECT service_id, score, MIN(km) AS nearest FROM ({near}) near "  # noqa: S608  # nosec B608
        "WHERE km <= %s GROUP BY service_id, name_text, score "
        f"ORDER BY score DESC, nearest, name_text{collate}, service_id LIMIT %s OFFSET %s"
    )
    best = 3 * len(typed)
    rows = []
    for radius in radii:
        around = box(centre, radius)
        rows = _fetch(sql, [*score_params, *km_params, owner.pk, *around, *params, radius, query.limit, query.offset])
        if len(rows) >= query.limit and rows[query.limit - 1][1] == best:
            break
    total = None
    if query.paged:
        counted = f"SELECT COUNT(DISTINCT service_id) FROM ({near}) near WHERE km <= %s"  # noqa: S608  # nosec B608
        around = box(centre, query.radius_km)
        total = _fetch(counted, [*score_params, *km_params, owner.pk, *around, *params, query.radius_km])[0][0]
    return [(_uuid(sid), score, round(nearest, 3)) for sid, score, nearest in rows], total


def _conditions(
    owner: CalldeskOrganization, query: Query, groups: list[list[str]]
) -> tuple[list[str], list[object]] | None:
    """The WHERE conditions (on the index rows `i`) and their parameters that keep the services
    `query` and the words' `groups` find; None when a subquery keeps nothing."""
    where = ["i.owner_id = %s"]
    params: list[object] = [owner.pk]
    if query.active_only:
        where.append("i.active")
    if groups:
        # The words are folded letters and digits only (words_of), so they cannot break out of
        # the quotes of a tsquery or an FTS5 query; the whole query is still a parameter.
        if connection.vendor == "postgresql":
            where.append("i.words @@ to_tsquery('simple', %s)")  # the stored tsvector of doc
            params.append(" & ".join("(" + " | ".join(f"'{w}'" for w in group) + ")" for group in groups))
        else:
            # The match as a subquery: joined, SQLite may probe the FTS table once per index row.
            # When the box's locations lead, "+" keeps SQLite from probing each matched id for
            # each location ({plus}, filled below).
            where.append(
                "{plus}i.id IN (SELECT rowid FROM resources_service_fts WHERE resources_service_fts MATCH %s "
                "AND owner_id = %s)"
            )
            params += [" AND ".join("(" + " OR ".join(f'"{w}"' for w in group) + ")" for group in groups), owner.pk]
    kept = _kept_services(owner, query)
    if query.within is not None:
        kept.append(query.within)
    for subquery in kept:
        try:
            sql, sub_params = subquery.query.sql_with_params()
        except EmptyResultSet:  # a subquery Django knows keeps nothing (.none())
            return None
        where.append(f"i.service_id IN ({sql})")
        params += sub_params
    if query.open_now:
        # Asked of each service in turn (the first page is often found after a few), through the
        # schedule's own service or its service at a location.
        now = (query.at or dt.datetime.now(dt.UTC)).astimezone(owner.zone)
        open_now = _open_schedules(now)
        own = open_now.filter(service_id=RawSQL("i.service_id", [])).values("id")
        linked = open_now.filter(service_at_location__service_id=RawSQL("i.service_id", [])).values("id")
        # One EXISTS over both (two, ORed, PostgreSQL hashed every open schedule of the directory).
        sql, sub_params = own.union(linked, all=True).query.sql_with_params()
        where.append(f"EXISTS ({sql})")
        params += sub_params
    return where, params


def _score(typed: list[str], groups: list[list[str]]) -> tuple[str, list[str]]:
    """A service's score as SQL on the index row `i`, and its parameters: a typed word found as
    itself in the name counts most, then a word it stands for in the name; the rest of the text
    counts the same for every service that matched at all."""
    score_parts, score_params = [], []
    for word, group in zip(typed, groups, strict=True):
        others = [w for w in group if w != word]
        score_parts.append(
            "CASE WHEN (' ' || i.name_text || ' ') LIKE %s THEN 3 "
            + "".join("WHEN (' ' || i.name_text || ' ') LIKE %s THEN 2 " for _ in others)
            + "ELSE 0 END"
        )
        score_params += [f"% {w} %" for w in [word, *others]]
    return " + ".join(score_parts) or "0", score_params


def _fetch(sql: str, params: list[Any]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _column(sql: str, params: list[Any]) -> list[Any]:
    return [row[0] for row in _fetch(sql, params)]


def _uuid(value: object) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _kept_services(owner: CalldeskOrganization, query: Query) -> list[QuerySet]:
    """Subqueries of the services a term or a language keeps (written by Django, so
    each database gets its own spelling of the same condition)."""
    kept: list[QuerySet] = []
    if query.term_id:
        kept.append(
            Attribute.objects.filter(
                owner=owner,
                retired_at=None,
                link_entity="service",
                taxonomy_term__in=_term_and_below(owner, query.term_id),
            ).values("link_id")
        )
    if query.language:
        wanted = query.language.strip()
        kept.append(
            Language.objects.filter(owner=owner, retired_at=None, service__isnull=False)
            .filter(Q(code__iexact=wanted) | Q(name__iexact=wanted))
            .values("service_id")
        )
    return kept


def centre_of(owner: CalldeskOrganization, query: Query, notices: list[str]) -> tuple[float, float] | None:
    """The point a query is near: its latitude and longitude, or its place's centre (a notice says
    why when the directory does not know the place: never an empty page that reads "nothing near")."""
    if query.latitude is not None and query.longitude is not None:
        return query.latitude, query.longitude
    typed = " ".join(query.place.split())
    if not typed:
        return None
    places = _places(owner.pk, directory_version(owner))
    if centre := places.postcodes.get(typed.upper()):
        return centre
    city, _, state = typed.rpartition(",") if "," in typed else (typed, "", "")
    in_states = places.cities.get(" ".join(words_of(city)), {})
    wanted = " ".join(words_of(state))
    if wanted and wanted in in_states:
        return in_states[wanted]
    if not wanted and len(in_states) == 1:
        return next(iter(in_states.values()))
    if not wanted and in_states:
        states = sorted(s.upper() for s in in_states if s)
        city = city.strip()
        notices.append(
            f"“{city}” is in more than one state or region ({', '.join(states)}): add one, e.g. “{city}, {states[0]}”"
        )
        return None
    notices.append(f"no location of the directory has the postal code or city “{typed}”")
    return None


# A place's centre is the mean of the directory's locations there, read for every place at once
# and kept per organization and directory version (a new one at every import and location edit:
# directory_changed): a popular postcode of a large directory averages thousands of locations.


def directory_version(owner: CalldeskOrganization) -> uuid.UUID | None:
    return DirectorySettings.objects.filter(owner=owner).values_list("places_version", flat=True).first()


def directory_changed(owner_id: int) -> None:
    """A new version of the directory's places (inside the caller's transaction: a rollback
    keeps the old one, and the version of a rolled-back change is never seen again)."""
    if not DirectorySettings.objects.filter(owner_id=owner_id).update(places_version=uuid.uuid4()):
        DirectorySettings.objects.update_or_create(owner_id=owner_id, defaults={"places_version": uuid.uuid4()})


Point = tuple[float, float]


@dataclass(frozen=True)
class Places:
    postcodes: dict[str, Point]  # upper case, as UK and Canadian codes are written
    cities: dict[str, dict[str, Point]]  # city -> state or region -> centre, both folded (words_of)


@lru_cache(maxsize=32)
def _places(owner_id: int, version: uuid.UUID | None) -> Places:
    rows = _fetch(
        "SELECT a.postal_code, a.city, a.state_province, SUM(l.latitude), SUM(l.longitude), COUNT(*) "
        "FROM resources_address a CROSS JOIN resources_location l "
        "WHERE a.owner_id = %s AND a.retired_at IS NULL AND l.id = a.location_id AND l.owner_id = %s "
        "AND l.retired_at IS NULL AND l.latitude IS NOT NULL AND l.longitude IS NOT NULL "
        "GROUP BY a.postal_code, a.city, a.state_province",
        [owner_id, owner_id],
    )
    by_code: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    by_city: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    # In one order on both databases (which add a group's floats in orders of their own).
    for code, city, state, latitudes, longitudes, count in sorted(rows, key=lambda row: row[:3]):
        for sums in (
            by_code[" ".join(code.split()).upper()],
            by_city[" ".join(words_of(city)), " ".join(words_of(state))],
        ):
            sums[0] += latitudes
            sums[1] += longitudes
            sums[2] += count
    cities: dict[str, dict[str, Point]] = defaultdict(dict)
    for (city, state), sums in by_city.items():
        if city:
            cities[city][state] = _mean(sums)
    return Places({code: _mean(sums) for code, sums in by_code.items() if code}, dict(cities))


def _mean(sums: list[float]) -> Point:
    # Rounded to about 10 cm: the two databases may add the same floats in another order.
    return round(sums[0] / sums[2], 6), round(sums[1] / sums[2], 6)


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(h)))


def box(centre: tuple[float, float], radius: float) -> tuple[float, float, float, float]:
    """The latitudes and longitudes around `centre` that hold its circle: what the index on
    (owner, latitude, longitude) finds before each distance is measured."""
    lat, lon = centre
    dlat = math.degrees(radius / EARTH_KM)
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def km_sql(centre: tuple[float, float], location: str = "l") -> tuple[str, list[object]]:
    """distance_km from `centre` to a location (the table or alias `location`), in SQL: the same
    formula and the same constants, so both databases (and Python) measure the same float."""
    to_radians = math.pi / 180
    lat1, lon1 = math.radians(centre[0]), math.radians(centre[1])
    dlat = f"SIN(({location}.latitude * %s - %s) / 2)"
    dlon = f"SIN(({location}.longitude * %s - %s) / 2)"
    least = "LEAST" if connection.vendor == "postgresql" else "MIN"
    h = f"{dlat} * {dlat} + %s * COS({location}.latitude * %s) * {dlon} * {dlon}"
    sql = f"2 * %s * ASIN({least}(1.0, SQRT({h})))"
    params: list[object] = [EARTH_KM, to_radians, lat1, to_radians, lat1, math.cos(lat1), to_radians]
    params += [to_radians, lon1, to_radians, lon1]
    return sql, params


def _term_and_below(owner: CalldeskOrganization, term_id: uuid.UUID) -> RawSQL:
    """The term and every term below it, walked by the database (indexed on parent_id)."""
    term = TaxonomyTerm._meta.pk.get_db_prep_value(term_id, connection)  # type: ignore[union-attr]
    return RawSQL(
        "WITH RECURSIVE below(id) AS (SELECT id FROM resources_taxonomyterm WHERE id = %s AND owner_id = %s "
        "UNION SELECT t.id FROM resources_taxonomyterm t JOIN below b ON t.parent_id = b.id "
        "WHERE t.owner_id = %s AND t.retired_at IS NULL) SELECT id FROM below",
        [term, owner.pk, owner.pk],
    )


def _open_schedules(now: dt.datetime) -> QuerySet[Schedule]:
    """The schedules open at `now` (a local time), as is_open says, written for the database.
    Asked of one service's schedules, which are its organization's (so no owner condition: it
    made SQLite read every schedule of the organization for each service)."""
    clock, today = now.time().replace(tzinfo=None), now.date()
    yesterday = today - dt.timedelta(days=1)

    def on(day: dt.date) -> Q:
        # A day is one of byday's comma-separated codes (its last two letters: "1MO" is "MO"),
        # or any day when byday names none.
        code = DAYS[day.weekday()]
        valid = (Q(valid_from=None) | Q(valid_from__lte=day)) & (Q(valid_to=None) | Q(valid_to__gte=day))
        return valid & (Q(days__contains=f"{code},") | Q(codes=""))

    schedules = Schedule.objects.filter(retired_at=None, opens_at__isnull=False, closes_at__isnull=False)
    # ",MO,TU," for "MO, TU": each code is then followed by a comma.
    schedules = schedules.filter(Q(freq="") | Q(freq="WEEKLY")).alias(
        days=Upper(
            Concat(
                Value(",", output_field=TextField()),
                Replace("byday", Value(" ", output_field=TextField()), Value("", output_field=TextField())),
                Value(",", output_field=TextField()),
            )
        ),
        codes=Replace(
            Replace("byday", Value(" ", output_field=TextField()), Value("", output_field=TextField())),
            Value(",", output_field=TextField()),
            Value("", output_field=TextField()),
        ),
    )
    during_the_day = Q(opens_at__lt=F("closes_at"), opens_at__lte=clock, closes_at__gt=clock) & on(today)
    # Across midnight: from `opens` today, or until `closes` on the morning after an open day.
    overnight = Q(closes_at__lte=F("opens_at")) & (
        (Q(opens_at__lte=clock) & on(today)) | (Q(closes_at__gt=clock) & on(yesterday))
    )
    return schedules.filter(during_the_day | overnight)


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
    days = {d.replace(" ", "").upper()[-2:] for d in byday.split(",") if d.strip()} or set(DAYS)

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


def _describe(hits: list[Hit]) -> None:
    """Phones, an address and hours for the services shown (four queries, whatever their number)."""
    by_id = {h.service.id: h for h in hits}
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
