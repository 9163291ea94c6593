"""Reference figures from timely-beliefs 4.4.1 on the benchmark data.

Runs inside benchmarks/.tb-venv (made by benchmarks/tb_env.sh: timely-beliefs pins pandas < 3).
It builds the benchmark beliefs as a BeliefsDataFrame, times its ``fixed_viewpoint`` and writes
the selected beliefs to an ``.npz`` file, so that bench_xr.py can check both select the same.
The data functions use numpy only, so bench_xr.py imports them from here.

    benchmarks/.tb-venv/bin/python benchmarks/timely_beliefs_reference.py --output /tmp/tb.npz
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import timedelta

import numpy as np

EVENTS = 10_000
BELIEFS_PER_EVENT = 100
FIRST_EVENT = np.datetime64("2025-01-01T00:00", "ns")
QUARTER_HOUR = np.timedelta64(15, "m")
HOUR = np.timedelta64(1, "h")


def make_data() -> dict[str, np.ndarray]:
    """The benchmark beliefs: 10,000 quarter-hour events (naive UTC), each believed at 100
    times (100 hours before it starts down to 1 hour before), by one source.

    Rows come sorted by (event_start, belief_time); values are deterministic.
    """
    events = FIRST_EVENT + np.arange(EVENTS) * QUARTER_HOUR
    event_start = np.repeat(events, BELIEFS_PER_EVENT)
    hours_ahead = np.tile(np.arange(BELIEFS_PER_EVENT, 0, -1), EVENTS)
    belief_time = event_start - hours_ahead * HOUR
    row = np.arange(EVENTS * BELIEFS_PER_EVENT, dtype=np.int64)
    value = ((row * 2_654_435_761) % 1_000_003) / 1000.0
    return {"event_start": event_start, "belief_time": belief_time, "value": value}


def viewpoint_time() -> np.datetime64:
    """The belief time to look from: the start of the middle event."""
    return FIRST_EVENT + (EVENTS // 2) * QUARTER_HOUR


def main() -> None:
    """Build the BeliefsDataFrame, time fixed_viewpoint, write what it selects."""
    import pandas as pd
    import timely_beliefs as tb

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", required=True, help="where to write the selected beliefs")
    parser.add_argument("--repeats", type=int, default=5)
    arguments = parser.parse_args()

    data = make_data()
    frame = pd.DataFrame(
        {
            "event_start": pd.DatetimeIndex(data["event_start"]).tz_localize("UTC"),
            "belief_time": pd.DatetimeIndex(data["belief_time"]).tz_localize("UTC"),
            "event_value": data["value"],
        }
    )
    sensor = tb.Sensor("benchmark", event_resolution=timedelta(minutes=15))
    started = time.perf_counter()
    beliefs = tb.BeliefsDataFrame(frame, sensor=sensor, source=tb.BeliefSource("forecaster"))
    build = time.perf_counter() - started

    moment = pd.Timestamp(viewpoint_time()).tz_localize("UTC")
    timings = []
    for _ in range(arguments.repeats):
        started = time.perf_counter()
        selected = beliefs.fixed_viewpoint(moment)
        timings.append(time.perf_counter() - started)

    index = selected.index
    np.savez(
        arguments.output,
        event_start=index.get_level_values("event_start")
        .tz_convert("UTC")
        .tz_localize(None)
        .as_unit("ns")
        .to_numpy(),
        belief_time=index.get_level_values("belief_time")
        .tz_convert("UTC")
        .tz_localize(None)
        .as_unit("ns")
        .to_numpy(),
        value=selected["event_value"].to_numpy(dtype=np.float64),
        fixed_viewpoint_seconds=np.array(timings),
        build_seconds=np.array([build]),
    )
    print(f"timely-beliefs {tb.__version__}, pandas {pd.__version__}")
    print(f"timely-beliefs BeliefsDataFrame of {len(beliefs):,} beliefs built in {build:.2f} s")
    print(
        f"timely-beliefs fixed_viewpoint: median {statistics.median(timings) * 1e3:.0f} ms "
        f"over {len(timings)} runs, {len(selected):,} beliefs selected"
    )


if __name__ == "__main__":
    main()
