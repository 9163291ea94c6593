"""Writing and reading beliefs in bulk: numpy arrays in, numpy arrays out, fastest path per backend.

Times are int64 microseconds since the epoch (UTC). SQLite takes an ``executemany`` upsert;
PostgreSQL takes a binary ``COPY`` built with numpy (falling back to an upsert through a temporary
table when beliefs already exist). ``latest_beliefs`` keeps the most recent belief per event,
source and probability, so a most-recent query reads one row per event.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

__all__ = ["BeliefArrays", "read_as_of", "read_beliefs", "read_latest", "write_beliefs"]

BeliefArrays = dict[str, npt.NDArray[Any]]
_FIELDS = ("event_start", "source_id", "cumulative_probability", "belief_time", "value", "flags")
_COLS = "sensor_id, event_start, source_id, cumulative_probability, belief_time, value, flags"
_KEY = "sensor_id, event_start, source_id, cumulative_probability"
_PG_ROW = np.dtype([
    ("n", ">i2"), ("l1", ">i4"), ("sensor_id", ">i4"), ("l2", ">i4"), ("event_start", ">i8"),
    ("l3", ">i4"), ("source_id", ">i4"), ("l4", ">i4"), ("cumulative_probability", ">f8"),
    ("l5", ">i4"), ("belief_time", ">i8"), ("l6", ">i4"), ("value", ">f8"), ("l7", ">i4"),
    ("flags", ">i8"),
])
_PG_SIZES = {"l1": 4, "l2": 8, "l3": 4, "l4": 8, "l5": 8, "l6": 8, "l7": 8}


def _raw(session: Session) -> Any:
    return session.connection().connection.driver_connection


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def group_last(arrays: BeliefArrays) -> npt.NDArray[np.intp]:
    """Indices of the last belief (by belief time) per event, source and probability.

    ``arrays`` must be sorted by (event_start, source_id, cumulative_probability, belief_time).
    """
    n = len(arrays["event_start"])
    if n == 0:
        return np.empty(0, dtype=np.intp)
    change = np.zeros(n, dtype=bool)
    change[-1] = True
    for key in ("event_start", "source_id", "cumulative_probability"):
        a = arrays[key]
        change[:-1] |= a[1:] != a[:-1]
    return np.flatnonzero(change)


def sort_beliefs(arrays: BeliefArrays) -> BeliefArrays:
    keys = [arrays[k] for k in ("belief_time", "cumulative_probability", "source_id", "event_start")]
    order = np.lexsort(keys)
    return {k: v[order] for k, v in arrays.items()}


def write_beliefs(session: Session, sensor_id: int, arrays: BeliefArrays) -> int:
    """Store beliefs (upsert on the key; unchanged ones are left alone); returns how many."""
    arrays = sort_beliefs(arrays)
    n = len(arrays["event_start"])
    if n == 0:
        return 0
    last = group_last(arrays)
    latest = {k: v[last] for k, v in arrays.items()}
    if _dialect(session) == "postgresql":
        _pg_write(session, sensor_id, arrays, latest)
    else:
        _sqlite_write(session, sensor_id, arrays, latest)
    return n


def _rows(sensor_id: int, a: BeliefArrays) -> list[tuple[Any, ...]]:
    value = a["value"].astype(object)
    value[np.isnan(a["value"])] = None
    return list(zip([sensor_id] * len(value), a["event_start"].tolist(), a["source_id"].tolist(),
                    a["cumulative_probability"].tolist(), a["belief_time"].tolist(),
                    value.tolist(), a["flags"].tolist(), strict=True))


def _sqlite_write(session: Session, sensor_id: int, a: BeliefArrays, latest: BeliefArrays) -> None:
    session.connection()  # make sure the transaction has begun on this connection
    cur = _raw(session).cursor()
    cur.executemany(
        f"INSERT INTO beliefs ({_COLS}) VALUES (?,?,?,?,?,?,?) ON CONFLICT DO UPDATE SET "
        "value = excluded.value, flags = excluded.flags WHERE beliefs.value IS NOT "
        "excluded.value OR beliefs.flags != excluded.flags", _rows(sensor_id, a))
    cur.executemany(
        f"INSERT INTO latest_beliefs ({_COLS}) VALUES (?,?,?,?,?,?,?) ON CONFLICT DO UPDATE SET "
        "belief_time = excluded.belief_time, value = excluded.value, flags = excluded.flags "
        "WHERE excluded.belief_time >= latest_beliefs.belief_time", _rows(sensor_id, latest))
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
        cur.execute("CREATE TEMP TABLE IF NOT EXISTS wb_latest_in (LIKE latest_beliefs) "
                    "ON COMMIT DELETE ROWS")
        _pg_copy(cur, "wb_latest_in", _pg_binary(sensor_id, latest))
        cur.execute(
            f"INSERT INTO latest_beliefs ({_COLS}) SELECT {_COLS} FROM wb_latest_in "
            f"ON CONFLICT ({_KEY}) DO UPDATE SET belief_time = excluded.belief_time, "
            "value = excluded.value, flags = excluded.flags "
            "WHERE excluded.belief_time >= latest_beliefs.belief_time")
        cur.execute("TRUNCATE wb_latest_in")


def _pg_upsert(raw: Any, payload: bytes) -> None:
    with raw.cursor() as cur:
        cur.execute("CREATE TEMP TABLE IF NOT EXISTS wb_beliefs_in (LIKE beliefs) "
                    "ON COMMIT DELETE ROWS")
        _pg_copy(cur, "wb_beliefs_in", payload)
        cur.execute(
            f"INSERT INTO beliefs ({_COLS}) SELECT {_COLS} FROM wb_beliefs_in "
            f"ON CONFLICT ({_KEY}, belief_time) DO UPDATE SET value = excluded.value, "
            "flags = excluded.flags WHERE beliefs.value IS DISTINCT FROM excluded.value "
            "OR beliefs.flags <> excluded.flags")
        cur.execute("TRUNCATE wb_beliefs_in")


def _arrays(rows: list[tuple[Any, ...]]) -> BeliefArrays:
    n = len(rows)
    cols = list(zip(*rows, strict=True)) if n else [()] * 6
    value = np.array([np.nan if v is None else v for v in cols[4]], dtype=np.float64) if n \
        else np.empty(0)
    return {
        "event_start": np.fromiter(cols[0], dtype=np.int64, count=n),
        "source_id": np.fromiter(cols[1], dtype=np.int64, count=n),
        "cumulative_probability": np.fromiter(cols[2], dtype=np.float64, count=n),
        "belief_time": np.fromiter(cols[3], dtype=np.int64, count=n),
        "value": value,
        "flags": np.fromiter(cols[5], dtype=np.int64, count=n),
    }


def _filters(sensor_id: int, start: int | None, end: int | None, sources: list[int] | None,
             prefix: str, pg: bool) -> tuple[str, list[Any]]:
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
    return " AND ".join(where), params


def _fetch(session: Session, sql: str, params: list[Any]) -> BeliefArrays:
    session.connection()
    cur = _raw(session).cursor()
    try:
        cur.execute(sql, params)
        return _arrays(cur.fetchall())
    finally:
        cur.close()


_ORDER = "ORDER BY event_start, source_id, cumulative_probability"


def read_latest(session: Session, sensor_id: int, start: int | None, end: int | None,
                sources: list[int] | None = None) -> BeliefArrays:
    """The most recent belief per event, source and probability."""
    pg = _dialect(session) == "postgresql"
    where, params = _filters(sensor_id, start, end, sources, "", pg)
    return _fetch(session, f"SELECT {_COLS.split(', ', 1)[1]} FROM latest_beliefs WHERE {where} "
                           f"{_ORDER}", params)


def read_as_of(session: Session, sensor_id: int, start: int | None, end: int | None,
               as_of: int, sources: list[int] | None = None) -> BeliefArrays:
    """The most recent belief with belief_time <= ``as_of`` per event, source and probability."""
    pg = _dialect(session) == "postgresql"
    ph = "%s" if pg else "?"
    where, params = _filters(sensor_id, start, end, sources, "l.", pg)
    cols = "l.event_start, l.source_id, l.cumulative_probability"
    match = ("b.sensor_id = l.sensor_id AND b.event_start = l.event_start AND "
             "b.source_id = l.source_id AND b.cumulative_probability = l.cumulative_probability")
    fresh = (f"SELECT {cols}, l.belief_time, l.value, l.flags FROM latest_beliefs l "
             f"WHERE {where} AND l.belief_time <= {ph}")
    if pg:
        older = (f"SELECT {cols}, b.belief_time, b.value, b.flags FROM latest_beliefs l "
                 f"CROSS JOIN LATERAL (SELECT belief_time, value, flags FROM beliefs b WHERE "
                 f"{match} AND b.belief_time <= {ph} ORDER BY b.belief_time DESC LIMIT 1) b "
                 f"WHERE {where} AND l.belief_time > {ph}")
        sql = f"{fresh} UNION ALL {older} {_ORDER}"
        return _fetch(session, sql, [*params, as_of, as_of, *params, as_of])
    older = (f"SELECT {cols}, b.belief_time, b.value, b.flags FROM latest_beliefs l "
             f"JOIN beliefs b ON {match} AND b.belief_time = (SELECT max(b2.belief_time) FROM "
             f"beliefs b2 WHERE b2.sensor_id = l.sensor_id AND b2.event_start = l.event_start "
             f"AND b2.source_id = l.source_id AND b2.cumulative_probability = "
             f"l.cumulative_probability AND b2.belief_time <= {ph}) "
             f"WHERE {where} AND l.belief_time > {ph}")
    sql = f"{fresh} UNION ALL {older} {_ORDER}"
    return _fetch(session, sql, [*params, as_of, as_of, *params, as_of])


def read_beliefs(session: Session, sensor_id: int, start: int | None, end: int | None,
                 sources: list[int] | None = None, after: int | None = None,
                 before: int | None = None) -> BeliefArrays:
    """Every belief about events in [start, end), sorted by event, source, probability, time."""
    pg = _dialect(session) == "postgresql"
    ph = "%s" if pg else "?"
    where, params = _filters(sensor_id, start, end, sources, "", pg)
    if after is not None:
        where += f" AND belief_time >= {ph}"
        params.append(after)
    if before is not None:
        where += f" AND belief_time <= {ph}"
        params.append(before)
    return _fetch(session, f"SELECT {_COLS.split(', ', 1)[1]} FROM beliefs WHERE {where} "
                           f"{_ORDER}, belief_time", params)
