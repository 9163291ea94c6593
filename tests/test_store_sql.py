"""The beliefs store's SQL: Core statements compiled per dialect, bound, never with values in
their text; and what they read is the same on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from workbench.store import belief_sql as bsql
from workbench.store import beliefs as store
from workbench.store import create_store_engine, ensure_schema, series

DIALECTS = {"postgresql": postgresql.psycopg.dialect(), "sqlite": sqlite.pysqlite.dialect()}
HOUR = 3_600_000_000
T0 = 1_735_689_600_000_000  # 2025-01-01 in µs

# --- compiling -------------------------------------------------------------------------------

# Values no statement holds by itself, so that any of them in a text would have been written in.
SENSOR, START, END = 918_273, 1_700_000_000_000_011, 1_700_000_000_000_022
AFTER, BEFORE, AS_OF = 1_600_000_000_000_033, 1_600_000_000_000_044, 1_600_000_000_000_055
PROBABILITY, SOURCES = 0.4375, [424_242, 434_343]
SENSORS = [515_151 + i for i in range(19)]  # 19: padded to 20, the last one repeated
EXTRA = [(515_151, 1_500_000_000_000_066), (515_152, 1_500_000_000_000_077)]


def _flat(values: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    for value in values.values():
        items = value if isinstance(value, list) else [value]
        for item in items:
            out.extend(item if isinstance(item, tuple) else (item,))
    return out


def _one_sensor_reads() -> Iterator[tuple[str, Any, dict[str, Any]]]:
    flags = (False, True)
    for start, end, sources, probability, after, before in itertools.product(
        flags, flags, ("any", "none", "some"), flags, flags, flags
    ):
        shape, values = bsql.Shape.of(
            SENSOR,
            START if start else None,
            END if end else None,
            {"any": None, "none": [], "some": SOURCES}[sources],
            PROBABILITY if probability else None,
            AFTER if after else None,
            BEFORE if before else None,
        )
        yield "every", lambda d, s=shape: bsql.every(d, s), values
        if not (after or before):
            yield "latest", lambda d, s=shape: bsql.latest(d, s), values
            yield "as of", lambda d, s=shape: bsql.read_as_of(d, s), {**values, "as_of": AS_OF}


def _many_sensor_reads() -> Iterator[tuple[str, Any, dict[str, Any]]]:
    flags = (False, True)
    for extra in flags:
        values: dict[str, Any] = {
            "sensors": SENSORS,
            "start": START,
            "end": END,
            "probability": PROBABILITY,
        }
        if extra:
            values["extra"] = EXTRA
        yield "latest many", lambda d, e=extra: bsql.latest_many(d, e), values
        yield "as of many", lambda d, e=extra: bsql.as_of_many(d, e), {**values, "as_of": AS_OF}
        for after, before in itertools.product(flags, flags):
            window = {**values, **({"after": AFTER} if after else {})}
            window.update({"before": BEFORE} if before else {})
            yield (
                "every many",
                lambda d, e=extra, a=after, b=before: bsql.every_many(d, e, a, b),
                window,
            )
    for latest, after, before in itertools.product(flags, flags, flags):
        values = {"sensors": SENSORS, "start": START, "probability": PROBABILITY}
        values.update({"after": AFTER} if after else {})
        values.update({"before": BEFORE} if before else {})
        yield (
            "starts before",
            lambda d, la=latest, a=after, b=before: bsql.starts_before(la, a, b),
            values,
        )


def _placeholders(dialect: Dialect, text: str) -> list[str]:
    if dialect.paramstyle == "qmark":
        return re.findall(r"\?", text)
    return re.findall(r"%\((\w+)\)s", text)


def _check_bound(dialect: Dialect, text: str, params: Any, values: dict[str, Any]) -> None:
    assert "POSTCOMPILE" not in text
    for value in _flat(values):
        assert str(value) not in text, f"{value!r} written into {text}"
    marks = _placeholders(dialect, text)
    if dialect.paramstyle == "qmark":
        assert isinstance(params, tuple)
        assert len(marks) == len(params)
        bound = list(params)
    else:
        assert isinstance(params, dict)
        assert set(marks) == set(params)
        bound = list(params.values())
    if re.search(r"WHERE (false|0 = 1) ", text):  # no sources: the filters fall away
        assert set(bound) <= set(_flat(values))
    else:
        assert set(bound) == set(_flat(values))


@pytest.mark.parametrize("name", DIALECTS)
def test_every_read_binds_its_values_and_writes_none_into_its_text(name: str) -> None:
    dialect = DIALECTS[name]
    seen = set()
    for kind, statement, values in itertools.chain(_one_sensor_reads(), _many_sensor_reads()):
        stmt = statement(name)
        text, params = bsql.driver_sql(dialect, stmt, values)
        _check_bound(dialect, text, params, values)
        seen.add(kind)
    assert seen == {
        "every",
        "latest",
        "as of",
        "latest many",
        "as of many",
        "every many",
        "starts before",
    }


@pytest.mark.parametrize("name", DIALECTS)
def test_the_upserts_bind_every_column(name: str) -> None:
    dialect = DIALECTS[name]
    for upsert in (bsql.beliefs_upsert, bsql.latest_upsert):
        text, order = bsql.driver_statement(dialect, upsert(name)).many()
        columns = [c.name for c in bsql.BELIEFS.columns]
        marks = _placeholders(dialect, text)
        if order is None:
            assert marks == columns
        else:
            assert list(order) == columns and len(marks) == len(columns)
        assert "ON CONFLICT" in text
        # from a temporary table: no parameters at all
        text, params = bsql.driver_sql(dialect, upsert(name, "wb_beliefs_in"), {})
        assert not params and not _placeholders(dialect, text)
        assert "FROM wb_beliefs_in" in text


def test_statements_are_built_and_compiled_once_per_dialect_and_shape() -> None:
    shape, _ = bsql.Shape.of(1, 2, 3, [4])
    assert bsql.latest("sqlite", shape) is bsql.latest("sqlite", bsql.Shape.of(5, 6, 7, [8])[0])
    assert bsql.latest("sqlite", shape) is not bsql.latest("postgresql", shape)
    dialect = DIALECTS["postgresql"]
    stmt = bsql.latest("postgresql", shape)
    assert bsql.driver_statement(dialect, stmt) is bsql.driver_statement(dialect, stmt)


@pytest.mark.parametrize("name", DIALECTS)
def test_lists_of_values_are_padded_to_a_few_lengths_with_their_last_item(name: str) -> None:
    dialect, stmt = DIALECTS[name], bsql.starts_before(True, False, False)

    def bound(n: int) -> tuple[str, Any]:
        values = {"sensors": list(range(1, n + 1)), "start": 1000, "probability": 0.5}
        return bsql.driver_sql(dialect, stmt, values)

    assert bound(17)[0] == bound(18)[0] != bound(19)[0]
    assert bound(7)[0] != bound(8)[0]
    _, params = bound(17)
    items = list(params) if isinstance(params, tuple) else list(params.values())
    assert items.count(17) == 2 and sorted(set(items) - {1000, 0.5}) == list(range(1, 18))
    with pytest.raises(ValueError, match="empty"):
        bound(0)
    # pairs are terms of their own for the planner: never padded
    pairs = [(900 + i, 5000 + i) for i in range(17)]
    values = {"sensors": [1], "start": 2, "end": 3, "probability": 0.5, "extra": pairs}
    text, params = bsql.driver_sql(dialect, bsql.latest_many(name, True), values)
    items = list(params) if isinstance(params, tuple) else list(params.values())
    assert len(items) == 4 + 2 * 17 and len(_placeholders(dialect, text)) == len(items)


def test_the_copy_layout_follows_the_table() -> None:
    dtype = bsql.copy_dtype(bsql.BELIEFS)
    columns = [c.name for c in bsql.BELIEFS.columns]
    assert dtype.names == ("n", *itertools.chain(*((f"l{i}", c) for i, c in enumerate(columns, 1))))
    assert (dtype["sensor_id"].str, dtype["event_start"].str, dtype["value"].str) == (
        ">i4",
        ">i8",
        ">f8",
    )
    text = bsql.copy_sql(DIALECTS["postgresql"], "wb_latest_in", bsql.LATEST)
    assert text == f"COPY wb_latest_in ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"


# --- round trips -----------------------------------------------------------------------------

KEY = ["event_start", "source_id", "cumulative_probability"]
COLUMNS = [*KEY, "belief_time", "value", "flags"]


def _beliefs(seed: int, events: int = 12) -> pd.DataFrame:
    """Hourly events, two sources, two probabilities, three belief times each; some NaN."""
    rng = np.random.default_rng(seed)
    rows = itertools.product(range(events), (1, 2), (0.1, 0.5), (3, 2, 1))
    frame = pd.DataFrame(
        list(rows), columns=["event", "source_id", "cumulative_probability", "ahead"]
    )
    frame["event_start"] = T0 + frame.pop("event") * HOUR
    frame["belief_time"] = frame["event_start"] - frame.pop("ahead") * HOUR + seed
    frame["value"] = rng.normal(10.0, 2.0, len(frame)).round(3)
    frame.loc[rng.random(len(frame)) < 0.15, "value"] = np.nan
    frame["flags"] = rng.integers(0, 3, len(frame))
    return frame[COLUMNS]


def _arrays(frame: pd.DataFrame) -> store.BeliefArrays:
    return {c: frame[c].to_numpy() for c in COLUMNS}


def _batches() -> list[pd.DataFrame]:
    """Beliefs, then an overlapping batch (changed values: the upsert path), then newer ones."""
    first, second, newer = _beliefs(0), _beliefs(0), _beliefs(7, events=8)
    second = second[second["event_start"] >= T0 + 6 * HOUR].copy()
    second["value"] = second["value"].fillna(99.0).where(second["flags"] != 1, np.nan)
    return [first, second, newer]


def _stored() -> pd.DataFrame:
    """What the store holds after :func:`_batches`: the last of equal keys."""
    both = pd.concat(_batches()).drop_duplicates([*KEY, "belief_time"], keep="last")
    return both.sort_values([*KEY, "belief_time"]).reset_index(drop=True)


def _write(engine: sa.Engine, sensor_id: int) -> None:
    for frame in _batches():  # in chunks of 100: the upsert path of a chunk with existing ones
        with Session(engine) as s, s.begin():
            store.write_beliefs(s, sensor_id, _arrays(frame), chunk_size=100)


def _last(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.sort_values([*KEY, "belief_time"])
    return frame.drop_duplicates(KEY, keep="last").reset_index(drop=True)


def _expect(got: store.BeliefArrays, want: pd.DataFrame, columns: list[str] = COLUMNS) -> None:
    assert list(got) == columns
    for c in columns:
        np.testing.assert_array_equal(got[c], want[c].to_numpy(), err_msg=c)
    assert [got[c].dtype.kind for c in columns] == [
        "f" if c in ("value", "cumulative_probability") else "i" for c in columns
    ]


@contextmanager
def _store(url: str) -> Iterator[sa.Engine]:
    engine = create_store_engine(url)
    ensure_schema(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def _reads(engine: sa.Engine) -> dict[str, store.BeliefArrays]:
    """Every kind of read of sensors 1 and 2 (2 holds the events of 1 from hour 6 only)."""
    mid = T0 + 4 * HOUR
    end = T0 + 9 * HOUR
    with Session(engine) as s:
        out = {
            "latest": store.read_latest(s, 1, None, None),
            "latest filtered": store.read_latest(s, 1, T0 + HOUR, end, [2], 0.5),
            "latest no source": store.read_latest(s, 1, None, None, []),
            "as of": store.read_as_of(s, 1, None, None, mid),
            "as of filtered": store.read_as_of(s, 1, T0, end, mid, [1, 2], 0.1),
            "all": store.read_beliefs(s, 1, None, None),
            "all window": store.read_beliefs(s, 1, T0, end, [1], mid - 2 * HOUR, mid),
            "many latest": series.read_latest_many(s, [2, 1], T0 + 7 * HOUR, end, [(2, T0)]),
            "many as of": series.read_as_of_many(s, [1, 2], T0, end, mid, [(2, T0 + HOUR)]),
            "many all": series.read_all_many(s, [1, 2], T0 + HOUR, end, mid - HOUR, mid, [(1, T0)]),
        }
        before = series.starts_before(s, [1, 2, 3], T0 + 7 * HOUR)
        window = series.starts_before(s, [1, 2], T0 + 7 * HOUR, None, T0 + 2 * HOUR)
    out["starts before"] = {"pairs": np.array(before + window)}
    return out


def _fill(engine: sa.Engine) -> None:
    _write(engine, 1)
    stored = _stored()
    with Session(engine) as s, s.begin():  # sensor 2: the beliefs of 1 about hour 6 on
        later = stored[stored["event_start"] >= T0 + 6 * HOUR]
        store.write_beliefs(s, 2, _arrays(later))


def test_beliefs_written_read_back_as_numpy_reckons_them(store_url: str) -> None:
    stored = _stored()
    with _store(store_url) as engine:
        _fill(engine)
        reads = _reads(engine)
    mid, end = T0 + 4 * HOUR, T0 + 9 * HOUR
    _expect(reads["all"], stored)
    _expect(reads["latest"], _last(stored))
    in_range = stored[(stored["event_start"] >= T0 + HOUR) & (stored["event_start"] < end)]
    chosen = in_range[(in_range["source_id"] == 2) & (in_range["cumulative_probability"] == 0.5)]
    _expect(reads["latest filtered"], _last(chosen))
    _expect(reads["latest no source"], stored.iloc[:0])
    _expect(reads["as of"], _last(stored[stored["belief_time"] <= mid]))
    known = stored[(stored["belief_time"] <= mid) & (stored["cumulative_probability"] == 0.1)]
    _expect(reads["as of filtered"], _last(known[known["event_start"] < end]))
    window = stored[
        (stored["source_id"] == 1)
        & (stored["event_start"] < end)
        & stored["belief_time"].between(mid - 2 * HOUR, mid)
    ]
    _expect(reads["all window"], window.reset_index(drop=True))
    assert np.isnan(reads["all"]["value"]).any() and (reads["all"]["flags"] > 0).any()

    median = stored[stored["cumulative_probability"] == 0.5].drop(columns="cumulative_probability")
    sensors = pd.concat(
        [
            median.assign(sensor_id=1),
            median[median["event_start"] >= T0 + 6 * HOUR].assign(sensor_id=2),
        ]
    )
    many = ["sensor_id", "event_start", "source_id", "belief_time", "value", "flags"]
    order = ["sensor_id", "event_start", "source_id", "belief_time"]

    def last(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.sort_values(order)
        return frame.drop_duplicates(order[:3], keep="last").reset_index(drop=True)

    def period(t0: int, pairs: list[tuple[int, int]]) -> pd.Series:
        inside = (sensors["event_start"] >= t0) & (sensors["event_start"] < end)
        for sensor, event in pairs:
            inside |= (sensors["sensor_id"] == sensor) & (sensors["event_start"] == event)
        return inside

    _expect(reads["many latest"], last(sensors[period(T0 + 7 * HOUR, [(2, T0)])]), many)
    known = sensors[period(T0, [(2, T0 + HOUR)]) & (sensors["belief_time"] <= mid)]
    _expect(reads["many as of"], last(known), many)
    formed = sensors["belief_time"].between(mid - HOUR, mid)
    every = sensors[period(T0 + HOUR, [(1, T0)]) & formed].sort_values(order)
    _expect(reads["many all"], every.reset_index(drop=True), many)
    early = sensors[
        (sensors["sensor_id"] == 1)
        & (sensors["belief_time"] <= T0 + 2 * HOUR)
        & (sensors["event_start"] < T0 + 7 * HOUR)
    ]
    assert reads["starts before"]["pairs"].tolist() == [
        [1, T0 + 6 * HOUR],
        [2, T0 + 6 * HOUR],
        *([[1, int(early["event_start"].max())]] if len(early) else []),
    ]


@pytest.mark.postgres
def test_sqlite_and_postgresql_read_the_same_arrays(sqlite_url: str, pg_url: str) -> None:
    reads = {}
    for url in (sqlite_url, pg_url):
        with _store(url) as engine:
            _fill(engine)
            reads[url] = _reads(engine)
    lite, pg = reads[sqlite_url], reads[pg_url]
    assert lite.keys() == pg.keys()
    for name in lite:
        assert lite[name].keys() == pg[name].keys(), name
        for column in lite[name]:
            a, b = lite[name][column], pg[name][column]
            assert a.dtype == b.dtype, (name, column)
            np.testing.assert_array_equal(a, b, err_msg=f"{name}: {column}")


@pytest.mark.postgres
def test_postgresql_connections_compile_no_query_to_machine_code(pg_url: str) -> None:
    # JIT compiling the reads of many (sensor, event) pairs took seconds for a millisecond query
    engine = create_store_engine(pg_url)
    try:
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SHOW jit")) == "off"
            conn.invalidate()  # a new connection of the pool is set up the same way
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SHOW jit")) == "off"
            assert conn.scalar(sa.text("SHOW statement_timeout")) != "0"
    finally:
        engine.dispose()
