"""SELECTs the ORM builds and compiles once per process, then runs with new values.

On the hot paths (the screen pop, the editor page) compiling a SELECT — Django's
`SQLCompiler.as_sql`: the joins of `select_related`, the column list, the WHERE tree — costs
several times what running it costs. A `Prepared` query is still written as an ordinary
queryset, by a function of its parameters; it is compiled at its first use for each database
alias, and from then on only its parameters change. Its rows become models through Django's own
iterable, so `select_related`, `defer`, the columns' converters and the sealed fields behave as in
any queryset; a `values_list` queryset's rows come as its tuples, through its own iterable too
(`rows`). `tests/test_prepared.py` checks each query of the app against the queryset it stands
for, on SQLite and on PostgreSQL.

A parameter is found in the compiled SQL by value: the query is built once with a distinctive
sample for each parameter (made from the parameter's model field), and the positions where that
sample's database form appears become the parameter's slots. Only lookups that pass the value
through as the field stores it (exact, lt, gt, lte, gte) can be parameters; any other (contains,
in, a transform) is refused at the first compile, loudly.
"""

from __future__ import annotations

import copy
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar
from uuid import uuid4

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models.query import ModelIterable, QuerySet, ValuesListIterable
from django.db.models.sql.compiler import SQLCompiler

M = TypeVar("M", bound=models.Model)
ALIAS = DEFAULT_DB_ALIAS  # Calldesk has one database


def param(model: type[models.Model], name: str) -> models.Field:
    """The field a parameter is compared with: it gives the sample and the value's database form."""
    return model._meta.get_field(name)  # type: ignore[return-value]


def _sample(field: models.Field) -> Any:
    """A value of the field's type that no constant of a query will equal by chance."""
    target = field.target_field if isinstance(field, models.ForeignKey) else field
    if isinstance(target, models.UUIDField):
        return uuid4()
    if isinstance(target, models.DateTimeField):
        return datetime(1901, 2, 3, 4, 5, 6, secrets.randbelow(999_999) + 1, tzinfo=UTC)
    if isinstance(target, (models.IntegerField, models.AutoField)):
        return 1_000_000_007 + secrets.randbelow(1_000_000)
    if isinstance(target, models.CharField):
        return "prepared-" + secrets.token_hex(8)
    if isinstance(target, models.GenericIPAddressField):
        return f"2001:db8::{secrets.randbelow(0xFFFF) + 1:x}:{secrets.randbelow(0xFFFF) + 1:x}"  # documentation range
    raise TypeError(f"no sample for a parameter of type {type(target).__name__}")


@dataclass(frozen=True)
class _Compiled:
    compiler: SQLCompiler  # as left by as_sql(): its select, klass_info and col_count
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, str], ...]  # (position in params, parameter name)
    # Each column's converters (get_converters): functions of the column and the vendor, as
    # costly to gather again as the query is to run. SQLite's datetime converter reads the time
    # zone of the connection that compiled, which every connection of the alias shares.
    converters: dict[int, Any]
    iterable: type[ModelIterable] | type[ValuesListIterable]  # models, or values_list's tuples


class _Source:
    """What Django's ModelIterable reads of a queryset, answering with the prepared compiler."""

    _known_related_objects: dict[Any, Any] = {}

    def __init__(self, compiler: SQLCompiler, alias: str, model: type[models.Model]) -> None:
        self.db = alias
        self.model = model
        self.query = self
        self._compiler = compiler

    def get_compiler(self, using: str | None = None, **kwargs: Any) -> SQLCompiler:
        return self._compiler


class Prepared(Generic[M]):
    """`build(**params)` returns the queryset; `params` names each parameter's field."""

    def __init__(self, build: Callable[..., QuerySet[M, Any]], **params: models.Field) -> None:
        self._build = build
        self._fields = params
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def all(self, **values: Any) -> list[M]:
        compiler = self._prepare(values, ModelIterable)
        return list(ModelIterable(_Source(compiler, ALIAS, compiler.query.model)))  # type: ignore[arg-type]

    def first(self, **values: Any) -> M | None:
        found = self.all(**values)
        return found[0] if found else None

    def rows(self, **values: Any) -> list[tuple[Any, ...]]:
        """The rows of a `values_list` queryset (not flat, not named), as its tuples."""
        compiler = self._prepare(values, ValuesListIterable)
        return list(ValuesListIterable(_Source(compiler, ALIAS, compiler.query.model)))  # type: ignore[arg-type]

    def _prepare(self, values: dict[str, Any], iterable: type[Any]) -> SQLCompiler:
        if values.keys() != self._fields.keys():
            raise TypeError(f"expected the parameters {sorted(self._fields)}, got {sorted(values)}")
        compiled = self._compiled.get(ALIAS) or self._compile(ALIAS)
        if compiled.iterable is not iterable:
            raise TypeError("models come from a queryset of models (all, first), tuples from values_list (rows)")
        connection = connections[ALIAS]
        params = list(compiled.params)
        for position, name in compiled.slots:
            params[position] = self._fields[name].get_db_prep_value(values[name], connection, prepared=False)
        # A shallow copy per run: the template's select and klass_info are shared (read only),
        # the connection is this thread's, and as_sql answers with the text compiled once.
        compiler = copy.copy(compiled.compiler)
        compiler.connection = connection
        sql, bound, converters = compiled.sql, tuple(params), compiled.converters
        compiler.as_sql = lambda *args, **kwargs: (sql, bound)  # type: ignore[method-assign]
        compiler.get_converters = lambda expressions: converters  # type: ignore[method-assign]
        return compiler

    def _compile(self, alias: str) -> _Compiled:
        with self._lock:
            if alias in self._compiled:
                return self._compiled[alias]
            connection = connections[alias]
            samples = {name: _sample(field) for name, field in self._fields.items()}
            queryset = self._build(**samples)
            if queryset._iterable_class not in (ModelIterable, ValuesListIterable) or queryset.query.combinator:
                raise TypeError("a prepared query returns models, or tuples of values_list, from one SELECT")
            compiler = queryset.query.get_compiler(using=alias)
            sql, params = compiler.as_sql()
            slots: list[tuple[int, str]] = []
            for name, field in self._fields.items():
                stored = field.get_db_prep_value(samples[name], connection, prepared=False)
                found = [i for i, value in enumerate(params) if _same(value, stored)]
                if not found:
                    raise TypeError(f"the parameter {name!r} does not reach the SQL as its field stores it")
                slots.extend((position, name) for position in found)
            converters = compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])
            compiled = _Compiled(compiler, sql, tuple(params), tuple(slots), converters, queryset._iterable_class)
            self._compiled[alias] = compiled
            return compiled


def _same(value: Any, sample: Any) -> bool:
    # Only values of the sample's own type: 1 == True and similar must not make a slot.
    return type(value) is type(sample) and value == sample


# --- INSERTs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _InsertPlan:
    sql: str
    fields: tuple[models.Field, ...]  # the columns written, in the SQL's order
    returning: tuple[models.Field, ...]  # read back (the id)


_insert_plans: dict[tuple[type[models.Model], str], _InsertPlan] = {}


def insert(instance: M) -> M:
    """Write a new row as `instance.save()` would, with the INSERT compiled once per model.

    On the screen pop's path each row costs Django's `save()` about three times the statement it
    runs (the insert compiler builds the SQL again for every row). This keeps what a save does to
    the values — each field's `pre_save` (defaults, `auto_now`, the sealed fields' sealing) and its
    database form — and sets the id it returns; it sends no `pre_save`/`post_save` signals and
    skips a model's own `save()`, so it is for models that have neither (the caller says so by
    calling this), and only where the database returns the id from the INSERT (PostgreSQL, SQLite
    3.35 and later); elsewhere it is an ordinary save. tests/test_prepared.py compares its rows
    with `save()`'s."""
    connection = connections[ALIAS]
    if not connection.features.can_return_columns_from_insert:
        models.Model.save(instance, force_insert=True)
        return instance
    model = type(instance)
    plan = _insert_plans.get((model, connection.vendor)) or _plan_insert(model, connection)
    values = [field.get_db_prep_save(field.pre_save(instance, True), connection) for field in plan.fields]
    with connection.cursor() as cursor:
        cursor.execute(plan.sql, values)
        row = cursor.fetchone()
    assert row is not None
    for field, value in zip(plan.returning, row, strict=True):
        setattr(instance, field.attname, value)
    instance._state.adding = False
    instance._state.db = ALIAS
    return instance


def _plan_insert(model: type[models.Model], connection: Any) -> _InsertPlan:
    meta = model._meta
    if meta.parents or meta.proxy:
        raise TypeError("a prepared insert writes one table")
    fields = tuple(f for f in meta.local_concrete_fields if f is not meta.auto_field)
    returning = tuple(meta.db_returning_fields)
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    sql = (
        f"INSERT INTO {table} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608 - names from the model  # nosec B608
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"RETURNING {', '.join(f'{table}.{quote(f.column)}' for f in returning)}"
    )
    plan = _InsertPlan(sql, fields, returning)
    _insert_plans[(model, connection.vendor)] = plan
    return plan


@contextmanager
def generic_plan() -> Iterator[None]:
    """The statements run in this block keep one plan on PostgreSQL.

    psycopg prepares a statement the 5th time a connection runs it, but PostgreSQL still plans
    each run anew until the statement's generic plan looks no costlier than the plans made for
    its values (`plan_cache_mode = auto`), and for some statements it never does. For a query
    whose every run takes the same path whatever its values, that is planning for nothing: the
    API's page of a walk (six tables, the reports' 27 indexes to weigh) spent 2 ms planning
    and 2 ms running at 5 M reports. Here its plan is made once per connection, in a
    transaction of its own that only sets this (`SET LOCAL`) and ends with the block. (Inside
    another transaction it is a savepoint, and the setting lasts to that transaction's end.)"""
    if connections[ALIAS].vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=ALIAS):
        with connections[ALIAS].cursor() as cursor:
            cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        yield
