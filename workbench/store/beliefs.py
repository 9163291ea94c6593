"""Writing and reading beliefs in bulk: numpy arrays in, numpy arrays out, fastest path per backend.

Times are int64 microseconds since the epoch (UTC). SQLite takes an ``executemany`` upsert;
PostgreSQL takes a binary ``COPY`` built with numpy (falling back to an upsert through a temporary
table when beliefs already exist). ``latest_beliefs`` keeps the most recent belief per event,
source and probability, so a most-recent query reads one row per event.

The statements are SQLAlchemy Core ones (:mod:`workbench.store.belief_sql`), compiled for the
session's dialect and run on the driver's cursor, whose rows go straight into numpy arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlalchemy import delete, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from workbench.beliefs.resampling import sort_unique
from workbench.store import belief_sql as sql
from workbench.store.timeseries import BeliefRow, LatestBeliefRow, SensorRow

__all__ = [
    "BeliefArrays",
    "BeliefQuery",
    "delete_object_beliefs",
    "delete_sensor_beliefs",
    "drop_unchanged",
    "group_last",
    "read_as_of",
    "read_beliefs",
    "read_latest",
    "select_beliefs",
    "sort_beliefs",
    "take",
    "write_beliefs",
]

BeliefArrays = dict[str, npt.NDArray[Any]]
_FIELDS = ("event_start", "source_id", "cumulative_probability", "belief_time", "value", "flags")
# A row of binary COPY: the field count, then per column its length and value (see _pg_binary).
_PG_ROW = sql.copy_dtype(sql.BELIEFS)
_PG_SIZES = {f"l{i}": _PG_ROW[c.name].itemsize for i, c in enumerate(sql.BELIEFS.columns, 1)}
# PostgreSQL's temporary tables that an upsert copies into first.
_BELIEFS_IN, _LATEST_IN = "wb_beliefs_in", "wb_latest_in"


def _raw(session: Session) -> Any:
    return session.connection().connection.driver_connection


def _engine_dialect(session: Session) -> Dialect:
    return session.get_bind().dialect


def _dialect(session: Session) -> str:
    return _engine_dialect(session).name


def group_last(
    arrays: BeliefArrays,
    keys: tuple[str, ...] = ("event_start", "source_id", "cumulative_probability"),
) -> npt.NDArray[np.intp]:
    """Indices of the last belief (by belief time) per event, source and probability (per
    ``keys``).

    ``arrays`` must be sorted by the keys, then belief_time.
    """
    n = len(arrays["event_start"])
    if n == 0:
        return np.empty(0, dtype=np.intp)
    change = np.zeros(n, dtype=bool)
    change[-1] = True
    for key in keys:
        a = arrays[key]
        change[:-1] |= a[1:] != a[:-1]
    return np.flatnonzero(change)


def sort_beliefs(arrays: BeliefArrays) -> BeliefArrays:
    """Sort by (event_start, source_id, cumulative_probability, belief_time), keeping the last of
    beliefs with equal keys; arrays already in order and unique are returned as they are."""
    keys = [
        arrays[k] for k in ("event_start", "source_id", "cumulative_probability", "belief_time")
    ]
    order = sort_unique(keys)
    if np.array_equal(order, np.arange(len(keys[0]))):
        return arrays
    return {k: v[order] for k, v in arrays.items()}


def delete_sensor_beliefs(session: Session, sensor_ids: list[int]) -> None:
    """Delete every belief of these sensors (the tables keep no foreign keys to cascade)."""
    for table in (BeliefRow, LatestBeliefRow):
        session.execute(delete(table).where(table.sensor_id.in_(sensor_ids)))


def delete_object_beliefs(session: Session, object_ids: list[int]) -> None:
    """Delete every belief of the sensors of these objects: call it before deleting objects
    (their sensors go by cascade, their beliefs would stay behind)."""
    sensors = select(SensorRow.id).where(SensorRow.object_id.in_(object_ids))
    for table in (BeliefRow, LatestBeliefRow):
        session.execute(delete(table).where(table.sensor_id.in_(sensors)))


def take(arrays: BeliefArrays, index: npt.NDArray[np.intp]) -> BeliefArrays:
    """The rows ``index`` of every array."""
    return {k: v[index] for k, v in arrays.items()}


def write_beliefs(
    session: Session,
    sensor_id: int,
    arrays: BeliefArrays,
    *,
    chunk_size: int = 250_000,
    progress: Callable[[int], object] | None = None,
) -> int:
    """Store beliefs (upsert on the key; unchanged ones are left alone); returns how many.

    Large inputs go in chunks of ``chunk_size`` within the caller's transaction, so memory stays
    bounded and the write stays all or nothing; ``progress(n)`` is called after each chunk.
    """
    arrays = sort_beliefs(arrays)
    n = len(arrays["event_start"])
    pg = _dialect(session) == "postgresql"
    for begin in range(0, n, chunk_size):
        chunk = {k: v[begin : begin + chunk_size] for k, v in arrays.items()}
        latest = take(chunk, group_last(chunk))
        if pg:
            _pg_write(session, sensor_id, chunk, latest)
        else:
            _sqlite_write(session, sensor_id, chunk, latest)
        if progress is not None:
            progress(len(chunk["event_start"]))
    return n


def drop_unchanged(session: Session, sensor_id: int, arrays: BeliefArrays) -> BeliefArrays:
    """Leave out beliefs whose value and flags repeat the belief before them about the same
    event, source and probability: among the beliefs given and the latest stored ones."""
    n = len(arrays["event_start"])
    if n == 0:
        return arrays
    events = arrays["event_start"]
    stored = read_latest(
        session,
        sensor_id,
        int(events.min()),
        int(events.max()) + 1,
        [int(i) for i in np.unique(arrays["source_id"])],
    )
    new = np.concatenate([np.zeros(len(stored["event_start"]), bool), np.ones(n, bool)])
    both = {k: np.concatenate([stored[k], arrays[k]]) for k in _FIELDS}
    order = np.lexsort(
        (
            new,
            both["belief_time"],
            both["cumulative_probability"],
            both["source_id"],
            both["event_start"],
        )
    )
    both, new = take(both, order), new[order]
    value = both["value"]
    repeat = np.zeros(len(new), dtype=bool)
    repeat[1:] = ((value[1:] == value[:-1]) | (np.isnan(value[1:]) & np.isnan(value[:-1]))) & (
        both["flags"][1:] == both["flags"][:-1]
    )
    for key in ("event_start", "source_id", "cumulative_probability"):
        repeat[1:] &= both[key][1:] == both[key][:-1]
    return take(both, np.flatnonzero(new & ~repeat))


def _rows(
    sensor_id: int, a: BeliefArrays, order: tuple[str, ...] | None
) -> list[tuple[Any, ...]] | list[dict[str, Any]]:
    """The rows of one ``executemany``: tuples of the parameters in ``order``, or (None) dicts."""
    value = a["value"].astype(object)
    value[np.isnan(a["value"])] = None
    columns = {key: a[key].tolist() for key in _FIELDS if key != "value"}
    columns["value"] = value.tolist()
    columns["sensor_id"] = [sensor_id] * len(value)
    if order is None:
        names = list(columns)
        return [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]
    return list(zip(*(columns[name] for name in order), strict=True))


def _sqlite_write(session: Session, sensor_id: int, a: BeliefArrays, latest: BeliefArrays) -> None:
    session.connection()  # make sure the transaction has begun on this connection
    dialect = _engine_dialect(session)
    cur = _raw(session).cursor()
    for stmt, rows in (
        (sql.beliefs_upsert(dialect.name), a),
        (sql.latest_upsert(dialect.name), latest),
    ):
        text, order = sql.driver_statement(dialect, stmt).many()
        cur.executemany(text, _rows(sensor_id, rows, order))
    cur.close()


def _pg_binary(sensor_id: int, a: BeliefArrays) -> bytes:
    rec = np.empty(len(a["event_start"]), dtype=_PG_ROW)
    rec["n"] = len(_PG_SIZES)
    for name, size in _PG_SIZES.items():
        rec[name] = size
    rec["sensor_id"] = sensor_id
    for key in _FIELDS:
        rec[key] = a[key]
    header = b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8
    return header + rec.tobytes() + b"\xff\xff"


def _pg_copy(cur: Any, dialect: Dialect, into: str, payload: bytes) -> None:
    """COPY rows laid out as ``_PG_ROW`` (the columns of beliefs, which latest_beliefs and the
    temporary tables share) into the table ``into``."""
    with cur.copy(sql.copy_sql(dialect, into, sql.BELIEFS)) as copy:
        copy.write(payload)


def _pg_write(session: Session, sensor_id: int, a: BeliefArrays, latest: BeliefArrays) -> None:
    import psycopg

    session.connection()
    raw = _raw(session)
    dialect = _engine_dialect(session)
    payload = _pg_binary(sensor_id, a)
    with raw.cursor() as cur:
        cur.execute("SAVEPOINT wb_copy")
        try:
            _pg_copy(cur, dialect, sql.BELIEFS.name, payload)
        except psycopg.errors.UniqueViolation:  # some exist already: upsert instead
            cur.execute("ROLLBACK TO SAVEPOINT wb_copy")
            _pg_upsert(raw, dialect, payload)
        cur.execute("RELEASE SAVEPOINT wb_copy")
    latest_rows = _pg_binary(sensor_id, latest)
    _pg_copy_upsert(raw, dialect, _LATEST_IN, sql.LATEST, sql.latest_upsert, latest_rows)


def _pg_upsert(raw: Any, dialect: Dialect, payload: bytes) -> None:
    _pg_copy_upsert(raw, dialect, _BELIEFS_IN, sql.BELIEFS, sql.beliefs_upsert, payload)


def _pg_copy_upsert(
    raw: Any,
    dialect: Dialect,
    into: str,
    table: sa.Table,
    upsert: Callable[[str, str], Any],
    payload: bytes,
) -> None:
    """Copy ``payload`` into the temporary table ``into`` (shaped like ``table``), then
    ``upsert(dialect name, into)`` its rows into ``table``."""
    create, empty = sql.temp_table_sql(dialect, into, table)
    text, params = sql.driver_sql(dialect, upsert(dialect.name, into), {})
    with raw.cursor() as cur:
        cur.execute(create)
        _pg_copy(cur, dialect, into, payload)
        cur.execute(text, params)
        cur.execute(empty)


# Rows as read, straight into a structured array: PostgreSQL sends NaN for NULL values; SQLite
# keeps NaN as NULL, so its rows carry a flag for them (see belief_sql._values).
_ROW = [("event_start", "i8"), ("source_id", "i8"), ("cumulative_probability", "f8"),
        ("belief_time", "i8"), ("value", "f8"), ("flags", "i8")]  # fmt: skip
_PG_OUT = np.dtype(_ROW)
_SQLITE_OUT = np.dtype([*_ROW, ("missing", "?")])


def _arrays(cursor: Any, pg: bool) -> BeliefArrays:
    rows = np.fromiter(cursor.fetchall(), dtype=_PG_OUT if pg else _SQLITE_OUT)
    arrays = {name: np.ascontiguousarray(rows[name]) for name, _ in _ROW}
    if not pg:
        arrays["value"][rows["missing"]] = np.nan
    return arrays


def _fetch(
    session: Session,
    statement: Callable[[str, sql.Shape], Any],
    shape: sql.Shape,
    values: dict[str, Any],
) -> BeliefArrays:
    """Run ``statement(dialect name, shape)`` with ``values`` on the driver's cursor."""
    session.connection()
    dialect = _engine_dialect(session)
    text, params = sql.driver_sql(dialect, statement(dialect.name, shape), values)
    cur = _raw(session).cursor()
    try:
        cur.execute(text, params)
        return _arrays(cur, dialect.name == "postgresql")
    finally:
        cur.close()


def read_latest(
    session: Session,
    sensor_id: int,
    start: int | None,
    end: int | None,
    sources: list[int] | None = None,
    probability: float | None = None,
) -> BeliefArrays:
    """The most recent belief per event, source and probability (only ``probability`` if
    given) about events in [start, end)."""
    shape, values = sql.Shape.of(sensor_id, start, end, sources, probability)
    return _fetch(session, sql.latest, shape, values)


def read_as_of(
    session: Session,
    sensor_id: int,
    start: int | None,
    end: int | None,
    as_of: int,
    sources: list[int] | None = None,
    probability: float | None = None,
) -> BeliefArrays:
    """The most recent belief with belief_time <= ``as_of`` per event, source and probability."""
    shape, values = sql.Shape.of(sensor_id, start, end, sources, probability)
    return _fetch(session, sql.read_as_of, shape, {**values, "as_of": int(as_of)})


def read_beliefs(
    session: Session,
    sensor_id: int,
    start: int | None,
    end: int | None,
    sources: list[int] | None = None,
    after: int | None = None,
    before: int | None = None,
    probability: float | None = None,
) -> BeliefArrays:
    """Every belief about events in [start, end) formed in [after, before], sorted by event,
    source, probability and belief time."""
    shape, values = sql.Shape.of(sensor_id, start, end, sources, probability, after, before)
    return _fetch(session, sql.every, shape, values)


@dataclass(frozen=True)
class BeliefQuery:
    """Which beliefs to read; times in µs. ``before`` bounds belief times (inclusive), ``after``
    from below (inclusive); ``probability`` keeps one quantile (0.5: deterministic)."""

    start: int | None = None
    end: int | None = None
    after: int | None = None
    before: int | None = None
    sources: list[int] | None = None
    probability: float | None = None
    most_recent: bool = False


def select_beliefs(
    session: Session,
    sensor_id: int,
    query: BeliefQuery,
    keep: Callable[[BeliefArrays], npt.NDArray[np.bool_]] | None = None,
) -> BeliefArrays:
    """Beliefs of one sensor, sorted by event, source, probability and belief time.

    With ``most_recent`` one per event, source and probability: the latest that passes the
    filters. ``keep`` filters rows further (a horizon window, say); without it and without
    ``after``, most-recent queries read the ``latest_beliefs`` table (one row per event).
    """
    q = query
    if q.most_recent and keep is None and q.after is None:
        if q.before is None:
            return read_latest(session, sensor_id, q.start, q.end, q.sources, q.probability)
        return read_as_of(session, sensor_id, q.start, q.end, q.before, q.sources, q.probability)
    arrays = read_beliefs(
        session, sensor_id, q.start, q.end, q.sources, q.after, q.before, q.probability
    )
    if keep is not None:
        arrays = take(arrays, np.flatnonzero(keep(arrays)))
    if q.most_recent:
        arrays = take(arrays, group_last(arrays))
    return arrays
