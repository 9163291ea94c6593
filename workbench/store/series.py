"""Reading the beliefs of many sensors at once, for calculations: one statement per kind of read.

A calculation over many objects reads many sensors over one period. These functions read all of
them in one SQL statement (a few when the ``IN`` list is very long), only the deterministic
(median, ``cumulative_probability = 0.5``) beliefs, and return numpy arrays sorted by sensor,
event start and source, with a ``sensor_id`` column. Statements go through SQLAlchemy
(``exec_driver_sql``), so engine events see each of them; rows are fetched from the driver's
cursor straight into numpy.

Times are int64 microseconds since the epoch (UTC), as in :mod:`workbench.store.beliefs`.
``extra`` asks for single events outside the period, ``(sensor_id, event_start)`` pairs: the
point before the period of an irregular step series, which holds its value into the period.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from workbench.store.beliefs import BeliefArrays, as_of_params, as_of_union, belief_window

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
_ORDER = "ORDER BY sensor_id, event_start, source_id"
_MEDIAN = 0.5

Pairs = Sequence[tuple[int, int]]


def _pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _select(key: str, data: str, pg: bool) -> str:
    """The select list: key columns from alias ``key``, belief columns from alias ``data``."""
    keys = f"{key}sensor_id, {key}event_start, {key}source_id, {data}belief_time"
    if pg:
        return f"{keys}, COALESCE({data}value, 'NaN') AS value, {data}flags"
    return f"{keys}, IFNULL({data}value, 0.0) AS value, {data}flags, {data}value IS NULL"


def _where(
    sensors: Sequence[int], start: int, end: int, extra: Pairs, prefix: str, ph: str
) -> tuple[str, list[Any]]:
    """Events of ``sensors`` in [start, end), or one of the ``extra`` pairs; medians only."""
    marks = ", ".join([ph] * len(sensors))
    period = (
        f"({prefix}sensor_id IN ({marks}) AND {prefix}event_start >= {ph} "
        f"AND {prefix}event_start < {ph})"
    )
    params: list[Any] = [*sensors, start, end]
    alternatives = [period]
    for sensor, event in extra:
        alternatives.append(f"({prefix}sensor_id = {ph} AND {prefix}event_start = {ph})")
        params.extend((sensor, event))
    clause = f"{prefix}cumulative_probability = {ph} AND ({' OR '.join(alternatives)})"
    return clause, [_MEDIAN, *params]


def _fetch(session: Session, sql: str, params: list[Any], pg: bool) -> BeliefArrays:
    result = session.connection().exec_driver_sql(sql, tuple(params))
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
    ids = sorted(set(sensors))
    out = []
    for begin in range(0, len(ids), CHUNK):
        chunk = ids[begin : begin + CHUNK]
        members = set(chunk)
        out.append((chunk, [p for p in extra if p[0] in members]))
    return out


def _read(
    session: Session,
    sensors: Sequence[int],
    start: int,
    end: int,
    extra: Pairs,
    prefix: str,
    statement: Callable[[str, list[Any], bool, str], tuple[str, list[Any]]],
) -> BeliefArrays:
    """Read in chunks of sensors: ``statement(where, params, pg, ph)`` gives the SQL and its
    parameters for the clause of :func:`_where` (columns under ``prefix``)."""
    pg = _pg(session)
    ph = "%s" if pg else "?"
    parts = []
    for chunk, pairs in _chunks(sensors, extra):
        sql, params = statement(*_where(chunk, start, end, pairs, prefix, ph), pg, ph)
        parts.append(_fetch(session, sql, params, pg))
    return _concat(parts)


def read_latest_many(
    session: Session, sensors: Sequence[int], start: int, end: int, extra: Pairs = ()
) -> BeliefArrays:
    """The most recent median belief per sensor, event and source (from ``latest_beliefs``)."""

    def statement(where: str, params: list[Any], pg: bool, ph: str) -> tuple[str, list[Any]]:
        return f"SELECT {_select('', '', pg)} FROM latest_beliefs WHERE {where} {_ORDER}", params

    return _read(session, sensors, start, end, extra, "", statement)


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

    def statement(where: str, params: list[Any], pg: bool, ph: str) -> tuple[str, list[Any]]:
        sql = as_of_union(where, _select("l.", "l.", pg), _select("l.", "b.", pg), pg, _ORDER)
        return sql, as_of_params(params, before)

    return _read(session, sensors, start, end, extra, "l.", statement)


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

    def statement(where: str, params: list[Any], pg: bool, ph: str) -> tuple[str, list[Any]]:
        where += belief_window(params, after, before, ph)
        sql = f"SELECT {_select('', '', pg)} FROM beliefs WHERE {where} {_ORDER}, belief_time"
        return sql, params

    return _read(session, sensors, start, end, extra, "", statement)


def starts_before(
    session: Session,
    sensors: Sequence[int],
    start: int,
    after: int | None = None,
    before: int | None = None,
) -> list[tuple[int, int]]:
    """For each sensor, the start of its last event before ``start`` that has a median belief
    formed in [after, before] (sensors without one are left out)."""
    pg = _pg(session)
    ph = "%s" if pg else "?"
    latest = after is None and before is None
    found: list[tuple[int, int]] = []
    for chunk, _ in _chunks(sensors, ()):
        marks = ", ".join([ph] * len(chunk))
        where = f"sensor_id IN ({marks}) AND event_start < {ph} AND cumulative_probability = {ph}"
        params: list[Any] = [*chunk, start, _MEDIAN]
        where += belief_window(params, after, before, ph)
        table = "latest_beliefs" if latest else "beliefs"
        sql = f"SELECT sensor_id, max(event_start) FROM {table} WHERE {where} GROUP BY sensor_id"
        result = session.connection().exec_driver_sql(sql, tuple(params))
        found.extend((int(s), int(e)) for s, e in result.all())
    return sorted(found)
