"""Benchmark of the beliefs store: ingest 1,000,000 beliefs, most-recent and as-of queries.

One sensor, 10,000 hourly events x 100 belief times, one source. Runs on a temporary SQLite
file and on PostgreSQL (``--postgres URL``, default the local test server; a schema of its own,
dropped afterwards). Prints each figure with its target::

    python benchmarks/bench_beliefs.py [--postgres URL | --no-postgres] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import numpy as np
import pandas as pd
from stores import postgres_store, sqlite_store
from timing import timed

import workbench as wb
from workbench.api.handles.sensors import Sensor, add_sensor
from workbench.beliefs import prepare_beliefs

EVENTS, BELIEF_TIMES = 10_000, 100
PG_URL = os.environ.get(
    "WORKBENCH_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# backend -> figure -> (target, "min" when the figure must be at least the target)
TARGETS: dict[str, dict[str, tuple[float, str]]] = {
    "sqlite": {"ingest /s": (200_000, "min"), "most recent ms": (150, "max")},
    "postgresql": {
        "ingest /s": (500_000, "min"),
        "most recent ms": (60, "max"),
        "as of ms": (60, "max"),
    },
}
DATASET_MB = 50.0


def beliefs_frame() -> pd.DataFrame:
    """Hourly events from 2025-01-01; each believed 1..100 hours ahead of its end."""
    start = np.datetime64("2025-01-01T00:00", "ns")
    hour = np.timedelta64(1, "h")
    events = start + np.arange(EVENTS) * hour
    event_start = np.repeat(events, BELIEF_TIMES)
    ahead = np.tile(np.arange(BELIEF_TIMES, 0, -1), EVENTS) * hour
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {
            "event_start": pd.DatetimeIndex(event_start).tz_localize("UTC"),
            "belief_time": pd.DatetimeIndex(event_start + hour - ahead).tz_localize("UTC"),
            "value": rng.normal(100.0, 10.0, EVENTS * BELIEF_TIMES),
        }
    )


def sensor_on(ws: wb.Workspace) -> Sensor:
    md = ws.create_model_definition("Bench")
    plant = md.create_object_definition("Plant")
    model = ws.create_model("Bench", md, plant)
    return add_sensor(model, "power", unit="MW", resolution="1h")


def run(ws: wb.Workspace, frame: pd.DataFrame, repeat: int) -> dict[str, float]:
    sensor = sensor_on(ws)
    begin = time.perf_counter()
    stored = sensor.ingest(frame, source="meter", source_type="meter")
    ingest_s = time.perf_counter() - begin
    assert stored == len(frame)
    again = time.perf_counter()
    sensor.ingest(frame.iloc[:100_000], source="meter", source_type="meter")
    reingest_s = time.perf_counter() - again
    recent_s, recent = timed(lambda: sensor.beliefs(most_recent=True, probabilistic=False), repeat)
    assert recent.sizes["event_start"] == EVENTS
    middle = frame["belief_time"].iloc[len(frame) // 2]
    as_of_s, as_of = timed(
        lambda: sensor.beliefs(most_recent=True, probabilistic=False, as_of=middle), repeat
    )
    check_as_of(frame, middle, as_of)
    every_s, every = timed(lambda: sensor.beliefs(), 1)
    return {
        "ingest /s": len(frame) / ingest_s,
        "ingest s": ingest_s,
        "re-ingest 100k s": reingest_s,
        "most recent ms": recent_s * 1e3,
        "as of ms": as_of_s * 1e3,
        "all beliefs s": every_s,
        "dataset MB": every.nbytes / 1e6,
    }


def check_as_of(frame: pd.DataFrame, t: pd.Timestamp, ds: Any) -> None:
    """The as-of result equals a plain pandas selection."""
    known = frame[frame["belief_time"] <= t]
    want = known.sort_values("belief_time").groupby("event_start")["value"].last()
    got = ds["value"].to_series().dropna()
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy())


def report(backend: str, figures: dict[str, float]) -> None:
    print(f"\n{backend}")
    for name, value in figures.items():
        target = TARGETS[backend].get(name)
        text = f"{value:,.0f}" if value >= 1000 else f"{value:,.3g}"
        if name == "dataset MB":
            target = (DATASET_MB, "max")
        if target is None:
            print(f"  {name:<18} {text:>12}")
            continue
        goal, kind = target
        ok = value >= goal if kind == "min" else value <= goal
        sign = ">=" if kind == "min" else "<="
        print(f"  {name:<18} {text:>12}   target {sign} {goal:,.0f}  {'ok' if ok else 'MISSED'}")


def prepare_only(frame: pd.DataFrame) -> float:
    begin = time.perf_counter()
    prepare_beliefs(
        frame, sensor_unit="MW", sensor_resolution="1h", sensor_timezone="UTC", source="meter"
    )
    return time.perf_counter() - begin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=PG_URL, help="a PostgreSQL URL")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per query")
    args = parser.parse_args()
    frame = beliefs_frame()
    print(f"{len(frame):,} beliefs: {EVENTS:,} events x {BELIEF_TIMES} belief times, one source")
    print(f"prepare_beliefs alone: {prepare_only(frame):.2f} s (part of every ingest below)")
    with sqlite_store() as ws:
        report("sqlite", run(ws, frame, args.repeat))
    if not args.no_postgres:
        with postgres_store(args.postgres) as ws:
            report("postgresql", run(ws, frame, args.repeat))


if __name__ == "__main__":
    main()
