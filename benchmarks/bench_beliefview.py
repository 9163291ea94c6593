"""Benchmark of BeliefView replay: first view, a belief-time step, a horizon switch.

One 15-minute sensor over 90 days: metered values and a day-ahead forecaster issuing four
times a day with three quantiles (about 112,000 beliefs, 360 belief times of the forecaster
besides the meter's). "First view" reads every belief of the period once and builds the Bokeh
models a browser would receive; a "step" moves the belief time (a viewpoint in memory, new data
pushed into the displayed plot). Run ``python benchmarks/bench_beliefview.py`` (a temporary
SQLite file) or ``--url postgresql+psycopg://host/db``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

import workbench as wb
from widgets import BeliefView

DAYS, QUANTILES = 90, ((0.1, -5.0), (0.5, 0.0), (0.9, 5.0))
# Ours: a replay step must feel immediate next to the player's 600 ms interval.
TARGETS = {"first view s": 1.5, "step ms": 100.0, "step again ms": 100.0, "horizon ms": 300.0}


def build(ws: wb.Workspace) -> wb.Sensor:
    md = ws.create_model_definition("Bench")
    model = ws.create_model("Bench", md, md.create_object_definition("Plant"))
    sensor = model.add_sensor("power", unit="MW", resolution="15min")
    events = pd.date_range("2025-01-01", periods=96 * DAYS, freq="15min", tz="UTC")
    rng = np.random.default_rng(0)
    base = 50 + 20 * np.sin(np.arange(len(events)) * 2 * np.pi / 96)
    measured = pd.Series(base + rng.normal(0, 2, len(events)), index=events)
    sensor.ingest(measured, source="meter", source_type="meter", horizon="PT0H")
    frames = []
    for day in pd.date_range("2024-12-31T12:00Z", periods=DAYS, freq="1D"):
        chosen = (events >= day + pd.Timedelta("12h")) & (events < day + pd.Timedelta("36h"))
        for issue in day + pd.to_timedelta([0, 6, 12, 18], unit="h"):
            for probability, offset in QUANTILES:
                noise = rng.normal(0, 1, chosen.sum())
                frames.append(
                    pd.DataFrame(
                        {
                            "event_start": events[chosen],
                            "belief_time": issue,
                            "cumulative_probability": probability,
                            "value": base[chosen] + offset + noise,
                        }
                    )
                )
    sensor.ingest(pd.concat(frames), source="forecaster", source_type="forecaster")
    return sensor


def _median_ms(call: Callable[[int], object], repeat: int) -> float:
    times = []
    for i in range(repeat):
        t0 = time.perf_counter()
        call(i)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def measure(sensor: wb.Sensor) -> dict[str, float]:
    t0 = time.perf_counter()
    view = BeliefView(series=[sensor])
    view.__panel__().get_root()  # the Bokeh models; the plot now follows every step
    first = time.perf_counter() - t0
    times = view.belief_times
    moments = [times[i] for i in np.linspace(0, len(times) - 1, 40).astype(int)]

    def step(i: int) -> None:
        view.belief_time = moments[i]

    fresh = _median_ms(step, len(moments))
    again = _median_ms(step, len(moments))
    horizons = ["PT24H", None, "PT36H", None]

    def switch(i: int) -> None:
        view.horizon = horizons[i % len(horizons)]

    horizon = _median_ms(switch, len(horizons))
    beliefs = view._loaded[0].beliefs
    print(f"{beliefs.sizes['belief'] if beliefs is not None else 0:,} beliefs, "
          f"{len(times)} belief times on the player")  # fmt: skip
    return {"first view s": first, "step ms": fresh, "step again ms": again, "horizon ms": horizon}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a store URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.url or f"sqlite:///{folder}/bench.db"
        ws = (
            wb.connect(url)
            if url.startswith("sqlite")
            else wb.init_store(url, admin="bench@operators.example", secret="benchmark only")
        )
        t0 = time.perf_counter()
        sensor = build(ws)
        print(f"built in {time.perf_counter() - t0:.1f} s on {ws.url}")
        for name, value in measure(sensor).items():
            target = TARGETS[name]
            verdict = "ok" if value <= target else "MISSED"
            print(f"{name:>14}: {value:8.2f}   target <= {target:g}   {verdict}")
        ws.engine.dispose()


if __name__ == "__main__":
    main()
