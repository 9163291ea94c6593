"""Benchmark of the model layer: build 100,000 objects, look them up by path, list children.

Run ``python benchmarks/bench_model.py`` (a temporary SQLite file) or with
``--url postgresql+psycopg://host/db`` for a shared store. Prints each figure with its target.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

from tqdm import tqdm

import workbench as wb

TARGETS = {"build_s": 60.0, "lookup_ms": 1.0, "children_ms": 20.0}


@contextmanager
def _store(url: str | None) -> Iterator[wb.Workspace]:
    """A workspace on ``url``, or on a fresh SQLite file removed afterwards."""
    if url is not None:
        ws = (
            wb.connect(url, create=True)
            if url.startswith("sqlite")
            else wb.init_store(url, admin="bench@operators.example", secret="benchmark only")
        )
        yield ws
        ws.engine.dispose()
        return
    with tempfile.TemporaryDirectory() as tmp:
        ws = wb.connect(f"sqlite:///{os.path.join(tmp, 'bench.db')}")
        yield ws
        ws.engine.dispose()


def _define(
    ws: wb.Workspace,
) -> tuple[wb.ObjectDefinition, wb.ObjectDefinition, wb.ObjectDefinition]:
    md = ws.create_model_definition("Bench")
    power = md.create_attribute_type("Power", "double", unit="MW")
    plant = md.create_object_definition("Plant", namespace="Hydro")
    plant.add_attribute(attribute_type=power, minimum=0.0, default=0.0)
    plant.add_attribute("Units", "int64", minimum=0, default=1)
    area = md.create_object_definition("Area")
    area.add_attribute("To_Plants", "ownership_many", target=plant)
    system = md.create_object_definition("System")
    system.add_attribute("To_Areas", "ownership_many", target=area)
    return system, area, plant


def build(
    ws: wb.Workspace, areas: int, per_area: int, single: int
) -> tuple[wb.Object, dict[str, float]]:
    """Build the model; the first ``single`` areas one ``add_child`` at a time, the rest in batches.

    Returns the model and the rates (objects per second) of both ways.
    """
    system, area, plant = _define(ws)
    model = ws.create_model("Bench", definition=system.model_definition, root_type=system)
    timed = {"add_child": [0, 0.0], "add_children": [0, 0.0]}
    with tqdm(total=areas * (per_area + 1), unit="obj", desc="build") as bar:
        for i in range(areas):
            names = [f"P{i:03d}_{j:04d}" for j in range(per_area)]
            t0 = time.perf_counter()
            with ws.transaction():
                parent = model.add_child("To_Areas", f"Area{i:03d}", area)
                if i < single:
                    for name in names:
                        parent.add_child("To_Plants", name, plant)
                else:
                    parent.add_children("To_Plants", names, plant)
            way = "add_child" if i < single else "add_children"
            timed[way][0] += per_area + 1
            timed[way][1] += time.perf_counter() - t0
            bar.update(per_area + 1)
    rates = {way: n / t for way, (n, t) in timed.items() if t > 0}
    return model, rates


def _median_ms(calls: list[Callable[[], object]]) -> float:
    times = []
    for call in calls:
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="store URL (default: a temporary SQLite file)")
    parser.add_argument("--areas", type=int, default=100)
    parser.add_argument("--per-area", type=int, default=1000)
    parser.add_argument(
        "--single",
        type=int,
        default=5,
        help="areas built one add_child at a time (the rest with add_children)",
    )
    parser.add_argument("--lookups", type=int, default=1000)
    args = parser.parse_args(argv)
    missed = 0
    with _store(args.url) as ws:
        print(f"store: {ws.url}")
        t0 = time.perf_counter()
        model, rates = build(ws, args.areas, args.per_area, args.single)
        elapsed = time.perf_counter() - t0
        total = args.areas * (args.per_area + 1)
        for way, rate in rates.items():
            print(f"  {way:<13} {rate:>10,.0f} objects/s")
        missed += _report(f"build {total:,} objects", elapsed, TARGETS["build_s"], "s")

        rng = random.Random(2)
        areas = model.children("To_Areas")
        names = [
            f"{a.full_name}.To_Plants/P{a.name[4:]}_{rng.randrange(args.per_area):04d}"
            for a in rng.choices(areas, k=args.lookups)
        ]
        found = [ws.get(n) for n in names[:10]]
        assert [o.full_name for o in found] == names[:10]
        median = _median_ms([partial(ws.get, n) for n in names])
        missed += _report(
            f"look up by full name (median of {args.lookups})", median, TARGETS["lookup_ms"], "ms"
        )
        with ws.transaction():  # one transaction for all: no begin/commit per look-up
            median = _median_ms([partial(ws.get, n) for n in names])
        missed += _report(
            "look up by full name, inside one transaction", median, TARGETS["lookup_ms"], "ms"
        )
        short = [n.replace(".To_Areas", "").replace(".To_Plants", "") for n in names]
        median = _median_ms([partial(ws.get, n) for n in short])
        missed += _report("look up by short path (median)", median, TARGETS["lookup_ms"], "ms")

        picked = rng.choices(areas, k=50)
        assert all(len(a.children()) == args.per_area for a in picked[:2])
        median = _median_ms([a.children for a in picked])
        missed += _report(
            f"list {args.per_area:,} children (median of 50)", median, TARGETS["children_ms"], "ms"
        )
    return 1 if missed else 0


def _report(what: str, value: float, target: float, unit: str) -> int:
    ok = value < target
    ratio = target / value if value else float("inf")
    print(
        f"{what:<48} {value:>9.3f} {unit:<2}  target < {target:g} {unit}  "
        f"({'met' if ok else 'MISSED'}, {ratio:.1f}x)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
