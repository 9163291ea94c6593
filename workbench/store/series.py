"""Reading the beliefs of many sensors at once, for calculations: one statement per kind of read.

A calculation over many objects reads many sensors over one period. These functions read all of
them in one SQL statement (a few when the ``IN`` list is very long), only the deterministic
(median, ``cumulative_probability = 0.5``) beliefs, and return numpy arrays sorted by sensor,
event start and source, with a ``sensor_id`` column. The statements are SQLAlchemy Core ones
(:mod:`workbench.store.belief_sql`) compiled for the session's dialect; they run through
``exec_driver_sql``, so engine events see each of them, and rows are fetched from the driver's
cursor straight into numpy.

Times are int64 microseconds since the epoch (UTC), as in :mod:`workbench.store.beliefs`.
``extra`` asks for single events outside the period, ``(sensor_id, event_start)`` pairs: the
point before the period of an irregular step series, which holds its value into the period.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from workbench.store import belief_sql as sql
from workbench.store.beliefs import BeliefArrays

__all__ = ["CHUNK", "read_all_many", "read_as_of_many", "read_latest_many", "starts_before"]

CHUNK = 10_000
"""At most this many sensors per statement (SQLite caps the number of bound parameters)."""

_ROW = [
    ("sensor_id", "i8"),
    ("event_start", "i8"),
    ("source_id", "i8"),
    ("belief_time", "i8"),
    ("value", "f8"),
    ("flags", "i8"),
]
_PG = np.dtype(_ROW)
_SQLITE = np.dtype([*_ROW, ("missing", "?")])
_MEDIAN = 0.5

Pairs = Sequence[tuple[int, int]]


def _fetch(session: Session, statement: Any, values: dict[str, Any]) -> BeliefArrays:
    conn = session.connection()
    pg = conn.dialect.name == "postgresql"
    text, params = sql.driver_sql(conn.dialect, statement, values)
    result = conn.exec_driver_sql(text, params)  # type: ignore[arg-type]
    try:
        rows = np.fromiter(result.cursor.fetchall(), dtype=_PG if pg else _SQLITE)  # type: ignore[union-attr]
    finally:
        result.close()
    arrays = {name: np.ascontiguousarray(rows[name]) for name, _ in _ROW}
    if not pg:
        arrays["value"][rows["missing"]] = np.nan
    return arrays


def _empty() -> BeliefArrays:
    return {name: np.zeros(0, dtype=kind) for name, kind in _ROW}


def _concat(parts: list[BeliefArrays]) -> BeliefArrays:
    if not parts:
        return _empty()
    if len(parts) == 1:
        return parts[0]
    return {name: np.concatenate([p[name] for p in parts]) for name, _ in _ROW}


def _chunks(sensors: Sequence[int], extra: Pairs) -> list[tuple[list[int], list[tuple[int, int]]]]:
    ids = sorted({int(s) for s in sensors})
    out = []
    for begin in range(0, len(ids), CHUNK):
        chunk = ids[begin : begin + CHUNK]
        members = set(chunk)
        out.append((chunk, [(int(s), int(e)) for s, e in extra if s in members]))
    return out


def _read(
    session: Session,
    sensors: Sequence[int],
    start: int,
    end: int,
    extra: Pairs,
    statement: Any,
    values: dict[str, Any],
) -> BeliefArrays:
    """Read in chunks of sensors: ``statement(dialect name, extra)`` is the statement for a chunk
    with or without extra pairs, ``values`` its parameters besides the sensors, period and pairs
    (see :func:`belief_sql._many_where`)."""
    name = session.get_bind().dialect.name
    parts = []
    for chunk, pairs in _chunks(sensors, extra):
        params = {
            **values,
            "sensors": chunk,
            "start": int(start),
            "end": int(end),
            "probability": _MEDIAN,
        }
        if pairs:
            params["extra"] = pairs
        parts.append(_fetch(session, statement(name, bool(pairs)), params))
    return _concat(parts)


def read_latest_many(
    session: Session, sensors: Sequence[int], start: int, end: int, extra: Pairs = ()
) -> BeliefArrays:
    """The most recent median belief per sensor, event and source (from ``latest_beliefs``)."""
    return _read(session, sensors, start, end, extra, sql.latest_many, {})


def read_as_of_many(
    session: Session,
    sensors: Sequence[int],
    start: int,
    end: int,
    before: int,
    extra: Pairs = (),
) -> BeliefArrays:
    """The most recent median belief formed at or before ``before`` per sensor, event, source.

    Where the latest belief is older than ``before`` it is taken from ``latest_beliefs``;
    elsewhere the newest older belief is looked up in ``beliefs`` (by its primary key).
    """
    values = {"as_of": int(before)}
    return _read(session, sensors, start, end, extra, sql.as_of_many, values)


def _window(after: int | None, before: int | None) -> dict[str, Any]:
    """The parameters of a window of belief times [after, before] (None: open)."""
    values = {"after": after, "before": before}
    return {k: int(v) for k, v in values.items() if v is not None}


def read_all_many(
    session: Session,
    sensors: Sequence[int],
    start: int,
    end: int,
    after: int | None = None,
    before: int | None = None,
    extra: Pairs = (),
) -> BeliefArrays:
    """Every median belief formed in [after, before], sorted by sensor, event, source and
    belief time (for filters SQL cannot apply, such as belief horizons)."""

    def statement(dialect: str, pairs: bool) -> Any:
        return sql.every_many(dialect, pairs, after is not None, before is not None)

    return _read(session, sensors, start, end, extra, statement, _window(after, before))


def starts_before(
    session: Session,
    sensors: Sequence[int],
    start: int,
    after: int | None = None,
    before: int | None = None,
) -> list[tuple[int, int]]:
    """For each sensor, the start of its last event before ``start`` that has a median belief
    formed in [after, before] (sensors without one are left out)."""
    latest = after is None and before is None
    statement = sql.starts_before(latest, after is not None, before is not None)
    window = _window(after, before)
    found: list[tuple[int, int]] = []
    conn = session.connection()
    for chunk, _ in _chunks(sensors, ()):
        values = {**window, "sensors": chunk, "start": int(start), "probability": _MEDIAN}
        text, params = sql.driver_sql(conn.dialect, statement, values)
        result = conn.exec_driver_sql(text, params)  # type: ignore[arg-type]
        found.extend((int(s), int(e)) for s, e in result.all())
    return sorted(found)
