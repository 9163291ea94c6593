"""Writing and reading beliefs in bulk: numpy arrays in, numpy arrays out, fastest path per backend.

Times are int64 microseconds since the epoch (UTC). SQLite takes an ``executemany`` upsert;
PostgreSQL takes a binary ``COPY`` built with numpy (falling back to an upsert through a temporary
table when beliefs already exist). ``latest_beliefs`` keeps the most recent belief per event,
source and probability, so a most-recent query reads one row per event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from workbench.beliefs.resampling import sort_unique
from workbench.store.timeseries import BeliefRow, LatestBeliefRow, SensorRow

__all__ = [
    "BeliefArrays",
    "BeliefQuery",
    "belief_window",
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
_COLS = "sensor_id, event_start, source_id, cumulative_probability, belief_time, value, flags"
_KEY = "sensor_id, event_start, source_id, cumulative_probability"
_PG_ROW = np.dtype(
    [
        ("n", ">i2"),
        ("l1", ">i4"),
        ("sensor_id", ">i4"),
        ("l2", ">i4"),
        ("event_start", ">i8"),
        ("l3", ">i4"),
        ("source_id", ">i4"),
        ("l4", ">i4"),
        ("cumulative_probability", ">f8"),
        ("l5", ">i4"),
        ("belief_time", ">i8"),
        ("l6", ">i4"),
        ("value", ">f8"),
        ("l7", ">i4"),
        ("flags", ">i8"),
    ]
)
_PG_SIZES = {"l1": 4, "l2": 8, "l3": 4, "l4": 8, "l5": 8, "l6": 8, "l7": 8}


def _raw(session: Session) -> Any:
    return session.connection().connection.driver_connection


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


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


def _rows(sensor_id: int, a: BeliefArrays) -> list[tuple[Any, ...]]:
    value = a["value"].astype(object)
    value[np.isnan(a["value"])] = None
    return list(
        zip(
            [sensor_id] * len(value),
            a["event_start"].tolist(),
            a["source_id"].tolist(),
            a["cumulative_probability"].tolist(),
            a["belief_time"].tolist(),
            value.tolist(),
            a["flags"].tolist(),
            strict=True,
        )
    )


def _sqlite_write(session: Session, sensor_id: int, a: BeliefArrays, latest: BeliefArrays) -> None:
    session.connection()  # make sure the transaction has begun on this connection
    cur = _raw(session).cursor()
    cur.executemany(
        f"INSERT INTO beliefs ({_COLS}) VALUES (?,?,?,?,?,?,?) ON CONFLICT DO UPDATE SET "
        "value = excluded.value, flags = excluded.flags WHERE beliefs.value IS NOT "
        "excluded.value OR beliefs.flags != excluded.flags",
        _rows(sensor_id, a),
    )
    cur.executemany(
        f"INSERT INTO latest_beliefs ({_COLS}) VALUES (?,?,?,?,?,?,?) ON CONFLICT DO UPDATE SET "
        "belief_time = excluded.belief_time, value = excluded.value, flags = excluded.flags "
        "WHERE excluded.belief_time >= latest_beliefs.belief_time",
        _rows(sensor_id, latest),
    )
    cur.close()


def _pg_binary(sensor_id: int, a: BeliefArrays) -> bytes:
    rec = np.empty(len(a["event_start"]), dtype=_PG_ROW)
    rec["n"] = 7
    for name, size in _PG_SIZES.items():
        rec[name] = size
    rec["sensor_id"] = sensor_id
    for key in _FIELDS:
        rec[key] = a[key]
    header = b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8
    return header + rec.tobytes() + b"\xff\xff"


def _pg_copy(cur: Any, table: str, payload: bytes) -> None:
    with cur.copy(f"COPY {table} ({_COLS}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.write(payload)


def _pg_write(session: Session, sensor_id: int, a: BeliefArrays, latest: BeliefArrays) -> None:
    import psycopg

    session.connection()
    raw = _raw(session)
    payload = _pg_binary(sensor_id, a)
    with raw.cursor() as cur:
        cur.execute("SAVEPOINT wb_copy")
        try:
            _pg_copy(cur, "beliefs", payload)
        except psycopg.errors.UniqueViolation:  # some exist already: upsert instead
            cur.execute("ROLLBACK TO SAVEPOINT wb_copy")
            _pg_upsert(raw, payload)
        cur.execute("RELEASE SAVEPOINT wb_copy")
    with raw.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS wb_latest_in (LIKE latest_beliefs) "
            "ON COMMIT DELETE ROWS"
        )
        _pg_copy(cur, "wb_latest_in", _pg_binary(sensor_id, latest))
        cur.execute(
            f"INSERT INTO latest_beliefs ({_COLS}) SELECT {_COLS} FROM wb_latest_in "
            f"ON CONFLICT ({_KEY}) DO UPDATE SET belief_time = excluded.belief_time, "
            "value = excluded.value, flags = excluded.flags "
            "WHERE excluded.belief_time >= latest_beliefs.belief_time"
        )
        cur.execute("TRUNCATE wb_latest_in")


def _pg_upsert(raw: Any, payload: bytes) -> None:
    with raw.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS wb_beliefs_in (LIKE beliefs) ON COMMIT DELETE ROWS"
        )
        _pg_copy(cur, "wb_beliefs_in", payload)
        cur.execute(
            f"INSERT INTO beliefs ({_COLS}) SELECT {_COLS} FROM wb_beliefs_in "
            f"ON CONFLICT ({_KEY}, belief_time) DO UPDATE SET value = excluded.value, "
            "flags = excluded.flags WHERE beliefs.value IS DISTINCT FROM excluded.value "
            "OR beliefs.flags <> excluded.flags"
        )
        cur.execute("TRUNCATE wb_beliefs_in")


# Rows as read, straight into a structured array: PostgreSQL sends NaN for NULL values (see
# ``_columns``); SQLite keeps NaN as NULL, so its rows carry a flag for them.
_ROW = [("event_start", "i8"), ("source_id", "i8"), ("cumulative_probability", "f8"),
        ("belief_time", "i8"), ("value", "f8"), ("flags", "i8")]  # fmt: skip
_PG_OUT = np.dtype(_ROW)
_SQLITE_OUT = np.dtype([*_ROW, ("missing", "?")])


def _columns(key: str, data: str, pg: bool) -> str:
    """The select list: key columns from table alias ``key``, belief columns from ``data``."""
    keys = f"{key}event_start, {key}source_id, {key}cumulative_probability"
    if pg:
        return f"{keys}, {data}belief_time, COALESCE({data}value, 'NaN') AS value, {data}flags"
    return (
        f"{keys}, {data}belief_time, IFNULL({data}value, 0.0) AS value, {data}flags, "
        f"{data}value IS NULL"
    )


def _arrays(cursor: Any, pg: bool) -> BeliefArrays:
    rows = np.fromiter(cursor.fetchall(), dtype=_PG_OUT if pg else _SQLITE_OUT)
    arrays = {name: np.ascontiguousarray(rows[name]) for name, _ in _ROW}
    if not pg:
        arrays["value"][rows["missing"]] = np.nan
    return arrays


def _filters(
    sensor_id: int,
    start: int | None,
    end: int | None,
    sources: list[int] | None,
    prefix: str,
    pg: bool,
    probability: float | None = None,
) -> tuple[str, list[Any]]:
    ph = "%s" if pg else "?"
    where = [f"{prefix}sensor_id = {ph}"]
    params: list[Any] = [sensor_id]
    if start is not None:
        where.append(f"{prefix}event_start >= {ph}")
        params.append(start)
    if end is not None:
        where.append(f"{prefix}event_start < {ph}")
        params.append(end)
    if sources is not None:
        if not sources:
            where.append("1 = 0")
        else:
            where.append(f"{prefix}source_id IN ({', '.join([ph] * len(sources))})")
            params.extend(sources)
    if probability is not None:
        where.append(f"{prefix}cumulative_probability = {ph}")
        params.append(probability)
    return " AND ".join(where), params


def _fetch(session: Session, sql: str, params: list[Any]) -> BeliefArrays:
    session.connection()
    cur = _raw(session).cursor()
    try:
        cur.execute(sql, params)
        return _arrays(cur, _dialect(session) == "postgresql")
    finally:
        cur.close()


_ORDER = "ORDER BY event_start, source_id, cumulative_probability"


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
    pg = _dialect(session) == "postgresql"
    where, params = _filters(sensor_id, start, end, sources, "", pg, probability)
    return _fetch(
        session,
        f"SELECT {_columns('', '', pg)} FROM latest_beliefs WHERE {where} {_ORDER}",
        params,
    )


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
    pg = _dialect(session) == "postgresql"
    where, params = _filters(sensor_id, start, end, sources, "l.", pg, probability)
    sql = as_of_union(where, _columns("l.", "l.", pg), _columns("l.", "b.", pg), pg, _ORDER)
    return _fetch(session, sql, as_of_params(params, as_of))


def as_of_union(where: str, fresh: str, older: str, pg: bool, order: str) -> str:
    """The statement reading, per key of ``latest_beliefs l`` that passes ``where``, the most
    recent belief formed at or before a time: the latest one where it is not newer (select list
    ``fresh``), else the newest older row of ``beliefs b`` found by its primary key (select list
    ``older``); its parameters are :func:`as_of_params`."""
    ph = "%s" if pg else "?"
    match = (
        "b.sensor_id = l.sensor_id AND b.event_start = l.event_start AND "
        "b.source_id = l.source_id AND b.cumulative_probability = l.cumulative_probability"
    )
    if pg:
        newest_older = (
            f"CROSS JOIN LATERAL (SELECT belief_time, value, flags FROM beliefs b WHERE "
            f"{match} AND b.belief_time <= {ph} ORDER BY b.belief_time DESC LIMIT 1) b"
        )
    else:
        newest_older = (
            f"JOIN beliefs b ON {match} AND b.belief_time = (SELECT max(b2.belief_time) FROM "
            "beliefs b2 WHERE b2.sensor_id = l.sensor_id AND b2.event_start = l.event_start "
            "AND b2.source_id = l.source_id AND b2.cumulative_probability = "
            f"l.cumulative_probability AND b2.belief_time <= {ph})"
        )
    return (
        f"SELECT {fresh} FROM latest_beliefs l WHERE {where} AND l.belief_time <= {ph} "
        f"UNION ALL SELECT {older} FROM latest_beliefs l {newest_older} "
        f"WHERE {where} AND l.belief_time > {ph} {order}"
    )


def as_of_params(params: list[Any], as_of: int) -> list[Any]:
    """The parameters of :func:`as_of_union` for ``where``'s ``params``."""
    return [*params, as_of, as_of, *params, as_of]


def belief_window(params: list[Any], after: int | None, before: int | None, ph: str) -> str:
    """The SQL that narrows a WHERE clause to beliefs formed in [after, before] (µs; None:
    open), appending its parameters to ``params``."""
    sql = ""
    if after is not None:
        sql += f" AND belief_time >= {ph}"
        params.append(after)
    if before is not None:
        sql += f" AND belief_time <= {ph}"
        params.append(before)
    return sql


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
    pg = _dialect(session) == "postgresql"
    ph = "%s" if pg else "?"
    where, params = _filters(sensor_id, start, end, sources, "", pg, probability)
    where += belief_window(params, after, before, ph)
    return _fetch(
        session,
        f"SELECT {_columns('', '', pg)} FROM beliefs WHERE {where} {_ORDER}, belief_time",
        params,
    )


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
