"""The SQL of the beliefs store, as SQLAlchemy Core statements run on the driver's own cursor.

Each statement is defined once with Core (the tables of :mod:`workbench.store.timeseries`,
``bindparam``, the dialects' ``INSERT ... ON CONFLICT``) for both databases; where they differ
(PostgreSQL keeps NaN, SQLite turns it into NULL; only PostgreSQL has ``LATERAL``; SQLite's planner
wants ``(sensor, event)`` pairs from a subquery) the definition says so. A statement is built once per dialect and shape of query (which filters it has), and
compiled once per dialect to the driver's SQL text with bound parameters only: no value is ever
written into the text.

The reads fetch hundreds of thousands of rows, far faster from the driver's cursor into numpy
than through SQLAlchemy's rows, so :func:`driver_sql` hands back the SQL text and the parameters
in the driver's paramstyle, and the callers run them on a cursor. Lists (sensor ids, sources,
``(sensor, event)`` pairs) are expanding parameters, and the expanded text of each length is
kept, so that a call only lays out its parameters. A list of values is rounded up to one of a few
lengths (the last item repeated, which an ``IN`` ignores), so that few texts exist; a list of
pairs is not (each pair is a term of its own for the planner).

``COPY`` is no Core statement: :func:`copy_sql` writes it with the column names of the table.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any, Literal, cast

import numpy as np
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause
from sqlalchemy.sql.visitors import InternalTraversal

from workbench.store.timeseries import BeliefRow, LatestBeliefRow

__all__ = [
    "BELIEFS",
    "LATEST",
    "DriverStatement",
    "Shape",
    "as_of_many",
    "beliefs_upsert",
    "copy_dtype",
    "copy_sql",
    "driver_sql",
    "driver_statement",
    "every",
    "every_many",
    "latest",
    "latest_many",
    "latest_upsert",
    "read_as_of",
    "starts_before",
    "temp_table_sql",
]

BELIEFS = cast(sa.Table, BeliefRow.__table__)
LATEST = cast(sa.Table, LatestBeliefRow.__table__)
_KEY = ("sensor_id", "event_start", "source_id", "cumulative_probability")

Params = tuple[Any, ...] | dict[str, Any]
_Run = tuple[str, int, int, tuple[str, ...]]

# --- compiling for the driver ----------------------------------------------------------------


def _bucket(n: int) -> int:
    """The length a list of ``n`` is padded to: up to 8 as it is, then eight sizes per doubling
    (at most an eighth more), so that few texts of one statement exist."""
    if n <= 8:
        return n
    step = 1 << (n.bit_length() - 4)
    return -(-n // step) * step


@dataclass(frozen=True)
class _Layout:
    """One expansion of a statement: its text and where each parameter goes.

    ``runs`` lists ``(name, start, stop, keys)`` in the driver's order: a scalar where ``stop``
    is -1, else items ``start:stop`` of the flattened list ``name``; ``keys`` are the driver's
    names of those parameters for a named paramstyle (empty for a positional one).
    """

    sql: str
    runs: tuple[_Run, ...]
    positional: bool


class DriverStatement:
    """A Core statement compiled for one dialect, bound for the driver's cursor."""

    def __init__(self, statement: sa.ClauseElement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        self.compiled = compiled
        self.positional = bool(compiled.positional)
        binds = compiled.binds
        if any(b.literal_execute for b in binds.values()):
            raise ValueError("statements of the store bind every value (no literal_execute)")
        self.lists = tuple(sorted(name for name, b in binds.items() if b.expanding))
        self.scalars = tuple(sorted(name for name, b in binds.items() if not b.expanding))
        self._layouts: OrderedDict[tuple[tuple[int, int], ...], _Layout] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def sql(self) -> str:
        """The text with its lists not yet expanded (``__[POSTCOMPILE_name]``)."""
        return self.compiled.string

    def bind(self, values: Mapping[str, Any]) -> tuple[str, Params]:
        """The driver's SQL text and parameters for ``values``: one per bound name, and per list
        name a sequence (of tuples for a tuple ``IN``) that is not empty."""
        flat: dict[str, list[Any]] = {}
        shape = []
        for name in self.lists:
            items = list(values[name])
            if not items:
                raise ValueError(f"the list {name!r} is empty")
            width = len(items[0]) if isinstance(items[0], tuple) else 0
            if width:  # tuples: each one more term for the planner, so never padded
                flat[name] = list(chain.from_iterable(items))
            else:
                items.extend([items[-1]] * (_bucket(len(items)) - len(items)))
                flat[name] = items
            shape.append((len(items), width))
        layout = self._layout(tuple(shape))
        if not layout.positional:
            named: dict[str, Any] = {}
            for name, start, stop, keys in layout.runs:
                if stop < 0:
                    named[keys[0]] = values[name]
                else:
                    named.update(zip(keys, flat[name][start:stop], strict=True))
            return layout.sql, named
        params: list[Any] = []
        for name, start, stop, _ in layout.runs:
            if stop < 0:
                params.append(values[name])
            else:
                params.extend(flat[name][start:stop])
        return layout.sql, tuple(params)

    def _layout(self, shape: tuple[tuple[int, int], ...]) -> _Layout:
        with self._lock:
            layout = self._layouts.get(shape)
            if layout is not None:
                self._layouts.move_to_end(shape)
                return layout
        layout = self._expand(shape)
        with self._lock:
            self._layouts[shape] = layout
            while len(self._layouts) > 64:
                self._layouts.popitem(last=False)
        return layout

    def _expand(self, shape: tuple[tuple[int, int], ...]) -> _Layout:
        """Expand the lists to the sizes of ``shape`` (per list: length, tuple width or 0)."""
        sample: dict[str, Any] = dict.fromkeys(self.scalars, 0)
        for name, (size, width) in zip(self.lists, shape, strict=True):
            sample[name] = [(0,) * width if width else 0] * size
        state = self.compiled.construct_expanded_state(sample)
        expansion = state.parameter_expansion
        if state.positiontup is None:  # named: one run per scalar and per list
            runs: list[_Run] = [
                (name, 0, -1, (name,)) for name in state.parameters if name in self.scalars
            ]
            runs += [(name, 0, len(keys), tuple(keys)) for name, keys in expansion.items()]
            return _Layout(state.statement, tuple(runs), positional=False)
        where = {key: (name, i) for name, keys in expansion.items() for i, key in enumerate(keys)}
        runs = []  # in the driver's order; consecutive items of one list make one run
        for key in state.positiontup:
            if key not in where:
                runs.append((key, 0, -1, ()))
                continue
            name, i = where[key]
            if runs and runs[-1][0] == name and runs[-1][2] == i:
                runs[-1] = (name, runs[-1][1], i + 1, ())
            else:
                runs.append((name, i, i + 1, ()))
        return _Layout(state.statement, tuple(runs), positional=True)

    def many(self) -> tuple[str, tuple[str, ...] | None]:
        """For ``executemany``: the text and the order of the parameters (None when named)."""
        if self.lists:
            raise ValueError("executemany takes no list parameters")
        return self.compiled.string, (
            tuple(self.compiled.positiontup or ()) if self.positional else None
        )


_COMPILED: dict[tuple[sa.ClauseElement, type[Dialect], str], DriverStatement] = {}


def driver_statement(dialect: Dialect, statement: sa.ClauseElement) -> DriverStatement:
    """``statement`` compiled for ``dialect`` (once per statement, dialect class and
    paramstyle)."""
    key = (statement, type(dialect), dialect.paramstyle)
    found = _COMPILED.get(key)
    if found is None:
        found = _COMPILED.setdefault(key, DriverStatement(statement, dialect))
    return found


def driver_sql(
    dialect: Dialect, statement: sa.ClauseElement, values: Mapping[str, Any]
) -> tuple[str, Params]:
    """The SQL text and parameters that run ``statement`` with ``values`` on a cursor of
    ``dialect``'s driver."""
    return driver_statement(dialect, statement).bind(values)


# --- what reads select -----------------------------------------------------------------------


def _values(data: FromClause, dialect: str) -> list[ColumnElement[Any]]:
    """``belief_time``, ``value`` and ``flags`` of ``data``. PostgreSQL sends NaN for NULL;
    SQLite, which keeps no NaN, sends 0.0 and a column ``missing`` that is true for NULL."""
    if dialect == "postgresql":
        nan = sa.func.coalesce(data.c.value, sa.literal_column("'NaN'", sa.Float))
        return [data.c.belief_time, nan.label("value"), data.c.flags]
    value = sa.func.ifnull(data.c.value, sa.literal_column("0.0", sa.Float))
    missing = data.c.value.is_(None).label("missing")
    return [data.c.belief_time, value.label("value"), data.c.flags, missing]


def _match(a: FromClause, b: FromClause) -> ColumnElement[bool]:
    return sa.and_(*(a.c[k] == b.c[k] for k in _KEY))


Columns = Callable[[FromClause, FromClause], list[ColumnElement[Any]]]
Where = Callable[[FromClause], ColumnElement[bool]]


def _as_of(
    dialect: str, columns: Columns, where: Where, order: Sequence[str]
) -> sa.CompoundSelect[Any]:
    """Per key of ``latest_beliefs`` passing ``where``, the most recent belief formed at or before
    ``:as_of``: the latest one where it is not newer, else the newest older row of ``beliefs``,
    found by its primary key. ``columns(key, data)`` is the select list."""
    as_of: sa.BindParameter[int] = sa.bindparam("as_of")
    lat = LATEST.alias("l")
    fresh = sa.select(*columns(lat, lat)).where(where(lat), lat.c.belief_time <= as_of)
    if dialect == "postgresql":
        b = BELIEFS.alias("b")
        newest = (
            sa.select(b.c.belief_time, b.c.value, b.c.flags)
            .where(_match(b, lat), b.c.belief_time <= as_of)
            .order_by(b.c.belief_time.desc())
            .limit(sa.literal_column("1", sa.Integer))
            .lateral("n")
        )
        older = sa.select(*columns(lat, newest)).select_from(lat.join(newest, sa.true()))
    else:  # no LATERAL: the row whose belief time is the newest one not after as_of
        b, b2 = BELIEFS.alias("b"), BELIEFS.alias("b2")
        newest_time = (
            sa.select(sa.func.max(b2.c.belief_time))
            .where(_match(b2, lat), b2.c.belief_time <= as_of)
            .scalar_subquery()
        )
        on = sa.and_(_match(b, lat), b.c.belief_time == newest_time)
        older = sa.select(*columns(lat, b)).select_from(lat.join(b, on))
    union = sa.union_all(fresh, older.where(where(lat), lat.c.belief_time > as_of))
    return union.order_by(*(union.selected_columns[name] for name in order))


# --- one sensor (workbench.store.beliefs) ----------------------------------------------------

Sources = Literal["any", "none", "some"]


@dataclass(frozen=True)
class Shape:
    """Which filters a read of one sensor has; their values are bound when it runs."""

    start: bool = False
    end: bool = False
    sources: Sources = "any"
    probability: bool = False
    after: bool = False
    before: bool = False

    @classmethod
    def of(
        cls,
        sensor_id: int,
        start: int | None,
        end: int | None,
        sources: Sequence[int] | None,
        probability: float | None = None,
        after: int | None = None,
        before: int | None = None,
    ) -> tuple[Shape, dict[str, Any]]:
        """The shape of a read and the values of its parameters."""
        values: dict[str, Any] = {"sensor_id": int(sensor_id)}
        for name, value in (("start", start), ("end", end), ("after", after), ("before", before)):
            if value is not None:
                values[name] = int(value)
        if probability is not None:
            values["probability"] = float(probability)
        kind: Sources = "any"
        if sources is not None:
            kind = "some" if len(sources) else "none"
            if kind == "some":
                values["sources"] = [int(s) for s in sources]
        shape = cls(
            start is not None,
            end is not None,
            kind,
            probability is not None,
            after is not None,
            before is not None,
        )
        return shape, values


def _filters(t: FromClause, shape: Shape) -> ColumnElement[bool]:
    where: list[ColumnElement[bool]] = [t.c.sensor_id == sa.bindparam("sensor_id")]
    if shape.start:
        where.append(t.c.event_start >= sa.bindparam("start"))
    if shape.end:
        where.append(t.c.event_start < sa.bindparam("end"))
    if shape.sources == "none":
        where.append(sa.false())
    elif shape.sources == "some":
        where.append(t.c.source_id.in_(sa.bindparam("sources", expanding=True)))
    if shape.probability:
        where.append(t.c.cumulative_probability == sa.bindparam("probability"))
    return sa.and_(*where)


def _window(t: FromClause, after: bool, before: bool) -> list[ColumnElement[bool]]:
    """Beliefs formed in [:after, :before]."""
    where = []
    if after:
        where.append(t.c.belief_time >= sa.bindparam("after"))
    if before:
        where.append(t.c.belief_time <= sa.bindparam("before"))
    return where


_ONE_KEYS = ("event_start", "source_id", "cumulative_probability")


def _one(key: FromClause, data: FromClause, dialect: str) -> list[ColumnElement[Any]]:
    return [*(key.c[k] for k in _ONE_KEYS), *_values(data, dialect)]


@functools.cache
def latest(dialect: str, shape: Shape) -> sa.Select[Any]:
    """The most recent belief per event, source and probability, from ``latest_beliefs``."""
    t = LATEST
    stmt = sa.select(*_one(t, t, dialect)).where(_filters(t, shape))
    return stmt.order_by(*(t.c[k] for k in _ONE_KEYS))


@functools.cache
def read_as_of(dialect: str, shape: Shape) -> sa.CompoundSelect[Any]:
    """The most recent belief formed at or before ``:as_of`` per event, source and
    probability."""
    return _as_of(
        dialect, lambda k, d: _one(k, d, dialect), lambda t: _filters(t, shape), _ONE_KEYS
    )


@functools.cache
def every(dialect: str, shape: Shape) -> sa.Select[Any]:
    """Every belief formed in [:after, :before], by event, source, probability, belief time."""
    t = BELIEFS
    where = [_filters(t, shape), *_window(t, shape.after, shape.before)]
    stmt = sa.select(*_one(t, t, dialect)).where(*where)
    return stmt.order_by(*(t.c[k] for k in (*_ONE_KEYS, "belief_time")))


# --- many sensors (workbench.store.series) ---------------------------------------------------

_MANY_KEYS = ("sensor_id", "event_start", "source_id")


def _many(key: FromClause, data: FromClause, dialect: str) -> list[ColumnElement[Any]]:
    return [*(key.c[k] for k in _MANY_KEYS), *_values(data, dialect)]


class _PairsIn(ColumnElement[bool]):
    """``(a, b) IN :name``, for an expanding parameter of ``(a, b)`` pairs.

    SQLite writes the pairs as ``VALUES (?, ?), ...``, which its planner scans the table for when
    the ``IN`` is one term of an ``OR``; from ``SELECT * FROM (VALUES ...)`` it looks each pair
    up by the primary key. PostgreSQL takes the plain row ``IN``.
    """

    __visit_name__ = "wb_pairs_in"
    _traverse_internals: list[tuple[str, InternalTraversal]] = [  # noqa: RUF012 (as SQLAlchemy)
        ("clause", InternalTraversal.dp_clauseelement)
    ]
    _is_implicitly_boolean = True
    inherit_cache = True
    type = sa.Boolean()

    def __init__(self, a: ColumnElement[Any], b: ColumnElement[Any], name: str) -> None:
        self.clause = sa.tuple_(a, b).in_(sa.bindparam(name, expanding=True))


@compiles(_PairsIn)
def _pairs_in(element: _PairsIn, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.clause, **kw))


@compiles(_PairsIn, "sqlite")
def _pairs_in_sqlite(element: _PairsIn, compiler: SQLCompiler, **kw: Any) -> str:
    clause = element.clause
    pairs, values = compiler.process(clause.left, **kw), compiler.process(clause.right, **kw)
    return f"{pairs} IN (SELECT * FROM {values})"


def _many_where(t: FromClause, extra: bool) -> ColumnElement[bool]:
    """Median beliefs about events of ``:sensors`` in [:start, :end), or about one of the
    ``:extra`` (sensor, event start) pairs."""
    period: ColumnElement[bool] = sa.and_(
        t.c.sensor_id.in_(sa.bindparam("sensors", expanding=True)),
        t.c.event_start >= sa.bindparam("start"),
        t.c.event_start < sa.bindparam("end"),
    )
    if extra:
        period = sa.or_(period, _PairsIn(t.c.sensor_id, t.c.event_start, "extra"))
    return sa.and_(t.c.cumulative_probability == sa.bindparam("probability"), period)


@functools.cache
def latest_many(dialect: str, extra: bool) -> sa.Select[Any]:
    """The most recent median belief per sensor, event and source."""
    t = LATEST
    stmt = sa.select(*_many(t, t, dialect)).where(_many_where(t, extra))
    return stmt.order_by(*(t.c[k] for k in _MANY_KEYS))


@functools.cache
def as_of_many(dialect: str, extra: bool) -> sa.CompoundSelect[Any]:
    """The most recent median belief formed at or before ``:as_of`` per sensor, event, source."""
    return _as_of(
        dialect, lambda k, d: _many(k, d, dialect), lambda t: _many_where(t, extra), _MANY_KEYS
    )


@functools.cache
def every_many(dialect: str, extra: bool, after: bool, before: bool) -> sa.Select[Any]:
    """Every median belief formed in [:after, :before], by sensor, event, source, belief time."""
    t = BELIEFS
    stmt = sa.select(*_many(t, t, dialect)).where(_many_where(t, extra), *_window(t, after, before))
    return stmt.order_by(*(t.c[k] for k in (*_MANY_KEYS, "belief_time")))


@functools.cache
def starts_before(latest: bool, after: bool, before: bool) -> sa.Select[Any]:
    """Per sensor of ``:sensors``, the start of its last event before ``:start`` that has a
    belief of probability ``:probability`` formed in [:after, :before]."""
    t = LATEST if latest else BELIEFS
    where = [
        t.c.sensor_id.in_(sa.bindparam("sensors", expanding=True)),
        t.c.event_start < sa.bindparam("start"),
        t.c.cumulative_probability == sa.bindparam("probability"),
        *_window(t, after, before),
    ]
    stmt = sa.select(t.c.sensor_id, sa.func.max(t.c.event_start)).where(*where)
    return stmt.group_by(t.c.sensor_id)


# --- writing ---------------------------------------------------------------------------------

_INSERT: dict[str, Callable[[sa.Table], Any]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}


def _upsert(dialect: str, table: sa.Table, source: str | None, latest: bool) -> Any:
    """``INSERT ... ON CONFLICT (key) DO UPDATE`` into ``table``, of rows from the table
    ``source`` (of the same columns) or, without one, of one row of parameters named after the
    columns. Into ``beliefs``: a changed value or flags replace the stored ones; into
    ``latest_beliefs``: a belief at least as recent replaces the stored one."""
    names = [c.name for c in table.columns]
    insert = _INSERT[dialect](table)
    if source is None:
        stmt = insert.values({name: sa.bindparam(name) for name in names})
    else:
        rows = sa.table(source, *(sa.column(name) for name in names))
        stmt = insert.from_select(names, sa.select(*rows.c))
    new = stmt.excluded
    if latest:
        update = {name: new[name] for name in ("belief_time", "value", "flags")}
        when = new.belief_time >= table.c.belief_time
    else:
        update = {name: new[name] for name in ("value", "flags")}
        when = sa.or_(table.c.value.is_distinct_from(new.value), table.c.flags != new.flags)
    return stmt.on_conflict_do_update(
        index_elements=list(table.primary_key.columns), set_=update, where=when
    )


@functools.cache
def beliefs_upsert(dialect: str, source: str | None = None) -> Any:
    """Upsert into ``beliefs``: see :func:`_upsert`."""
    return _upsert(dialect, BELIEFS, source, latest=False)


@functools.cache
def latest_upsert(dialect: str, source: str | None = None) -> Any:
    """Upsert into ``latest_beliefs``: see :func:`_upsert`."""
    return _upsert(dialect, LATEST, source, latest=True)


def _quote(dialect: Dialect, name: str) -> str:
    return str(dialect.identifier_preparer.quote(name))


def copy_sql(dialect: Dialect, into: str, table: sa.Table) -> str:
    """PostgreSQL's binary ``COPY`` into the table ``into``, of ``table``'s columns."""
    columns = ", ".join(_quote(dialect, c.name) for c in table.columns)
    return f"COPY {_quote(dialect, into)} ({columns}) FROM STDIN (FORMAT BINARY)"


def temp_table_sql(dialect: Dialect, name: str, like: sa.Table) -> tuple[str, str]:
    """PostgreSQL's statements making (if need be) and emptying the temporary table ``name``
    shaped like ``like``, emptied at each commit."""
    tmp = _quote(dialect, name)
    create = (
        f"CREATE TEMP TABLE IF NOT EXISTS {tmp} (LIKE {_quote(dialect, like.name)}) "
        "ON COMMIT DELETE ROWS"
    )
    return create, f"TRUNCATE {tmp}"


_BINARY = {sa.BigInteger: ">i8", sa.Integer: ">i4", sa.Float: ">f8"}


@functools.cache
def copy_dtype(table: sa.Table) -> np.dtype[Any]:
    """The numpy layout of one row of ``table`` in PostgreSQL's binary ``COPY``: the number of
    fields, then per column its length (``l1`` ...) and its value (named after the column)."""
    fields: list[tuple[str, str]] = [("n", ">i2")]
    for i, column in enumerate(table.columns, 1):
        kind = next(code for t, code in _BINARY.items() if isinstance(column.type, t))
        fields.extend(((f"l{i}", ">i4"), (column.name, kind)))
    return np.dtype(fields)
