"""Benchmark of calculations over the store: a template over 1,000 objects, queries and time.

A system owns N plants, each with an hourly inflow sensor (one week), a head and the template
``Production = @t('.Inflow') * @d('.Head') * 1000 [kg/m^3] * 9.81 [m/s^2]``; the system's
``Total`` is ``@SUM(@T('.To_Plants/*.Production'))``. The script prints, for 10 and for N
plants, how many SQL statements (counted with a SQLAlchemy ``before_cursor_execute`` listener)
and how much time it takes to

- read ``Total`` (the template nested in a template: N evaluations of ``Production``),
- evaluate ``Production`` for every plant with one ``evaluate_many`` call,

on SQLite (a temporary file) and on PostgreSQL (a throwaway schema on ``--postgres``, skipped
when the server is not reachable). The issue's target: a bounded number of queries, not one per
object and term.

Run ``python benchmarks/bench_calc_store.py [--plants 1000] [--postgres URL]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from stores import postgres_store, sqlite_store

import workbench as wb
from workbench.api import StoreResolver
from workbench.calc import evaluate_many

PRODUCTION = "@t('.Inflow') * @d('.Head') * 1000 [kg/m^3] * 9.81 [m/s^2]"
START = pd.Timestamp("2025-01-06T00:00Z")
END = START + pd.Timedelta("7D")
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def build(ws: wb.Workspace, name: str, plants: int) -> wb.Object:
    """A system of ``plants`` plants with a week of hourly inflow each; returns the system."""
    md = ws.create_model_definition(f"Bench{name}")
    plant = md.create_object_definition("Plant")
    plant.add_attribute("Inflow", "timeseries", unit="m^3/s")
    plant.add_attribute("Head", "double", unit="m")
    plant.add_attribute("Production", "timeseries", unit="MW", template=PRODUCTION)
    system = md.create_object_definition("System")
    system.add_attribute("To_Plants", "ownership_many", target=plant)
    system.add_attribute(
        "Total", "timeseries", unit="MW", template="@SUM(@T('.To_Plants/*.Production'))"
    )
    model = ws.create_model(name, md, system)
    index = pd.date_range(START, END, freq="1h", inclusive="left")
    rng = np.random.default_rng(7)
    created = model.add_children("To_Plants", [f"P{i:04d}" for i in range(plants)], plant)
    with ws.transaction():
        for p in created:
            sensor = p.add_sensor("inflow", unit="m^3/s", resolution="1h")
            flow = pd.Series(rng.uniform(5, 50, len(index)), index=index)
            sensor.ingest(flow, source="meter", belief_time=END)
            p["Inflow"] = sensor
            p["Head"] = float(rng.uniform(20, 300))
    return model


def measure(ws: wb.Workspace, call: Callable[[], Any], repeat: int = 3) -> tuple[int, float]:
    """(statements of one call, median seconds of ``repeat`` calls)."""
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(args[2])

    sa.event.listen(ws.engine, "before_cursor_execute", seen)
    try:
        call()
    finally:
        sa.event.remove(ws.engine, "before_cursor_execute", seen)
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return len(statements), statistics.median(times)


def run(ws: wb.Workspace, backend: str, plants: int) -> None:
    for size in sorted({10, plants}):  # --plants 10: once
        model = build(ws, f"S{size}", size)
        ids = [p.id for p in model.children("To_Plants")]
        total = model.attribute("Total")
        queries, seconds = measure(ws, lambda: total.beliefs(START, END))  # noqa: B023

        def each() -> None:
            with ws.transaction():
                evaluate_many(PRODUCTION, StoreResolver(ws), ids, START, END)  # noqa: B023

        per_object = measure(ws, each)
        print(
            f"{backend:<10} {size:>5} plants  Total (template of templates): {queries:>3} queries "
            f"{seconds * 1e3:8.1f} ms   Production for each plant: {per_object[0]:>3} queries "
            f"{per_object[1] * 1e3:8.1f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plants", type=int, default=1000)
    parser.add_argument("--postgres", default=os.environ.get("WORKBENCH_TEST_POSTGRES", DEFAULT_PG))
    args = parser.parse_args()
    print(f"one week of hourly inflow per plant ({24 * 7} points); target: bounded queries")
    with sqlite_store() as ws:
        run(ws, "SQLite", args.plants)
    try:
        with postgres_store(args.postgres) as ws:
            run(ws, "PostgreSQL", args.plants)
    except sa.exc.OperationalError as exc:
        print(f"PostgreSQL skipped: {exc.orig}")


if __name__ == "__main__":
    main()
