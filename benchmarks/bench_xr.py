"""Benchmark: the beliefs Dataset in memory, side by side with timely-beliefs 4.4.1.

Data: one sensor, 10,000 quarter-hour events x 100 belief times = 1,000,000 beliefs, one
source. Prints the Dataset's size (target <= 50 MB), ``fixed_viewpoint`` (target <= 30 ms),
a few related figures, and, when benchmarks/.tb-venv exists (benchmarks/tb_env.sh makes it),
timely-beliefs' ``fixed_viewpoint`` on the same data, whether both select the same beliefs,
and the ratio.

    .venv/bin/python benchmarks/bench_xr.py [--repeats 30] [--no-reference]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from timely_beliefs_reference import make_data, viewpoint_time  # noqa: E402

import workbench.xr  # noqa: E402, F401 - registers the accessor
from workbench.beliefs import prepare_beliefs  # noqa: E402
from workbench.xr import beliefs_dataset  # noqa: E402

TB_PYTHON = HERE / ".tb-venv" / "bin" / "python"


def median_ms(action: Callable[[], Any], repeats: int) -> float:
    """Median wall time of ``action`` in milliseconds, after one warm-up run."""
    action()
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1e3


def peak_mb(action: Callable[[], Any]) -> float:
    """Peak memory that ``action`` allocates on top of what exists, in MB."""
    tracemalloc.start()
    action()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def build(data: dict[str, np.ndarray]) -> Any:
    return beliefs_dataset(
        data["event_start"],
        data["belief_time"],
        data["value"],
        source="forecaster",
        units="MW",
        resolution="PT15M",
        timezone="Europe/Amsterdam",
        sensor="benchmark",
    )


def ingest_frame(data: dict[str, np.ndarray]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "event_start": pd.DatetimeIndex(data["event_start"]).tz_localize("UTC"),
            "belief_time": pd.DatetimeIndex(data["belief_time"]).tz_localize("UTC"),
            "value": data["value"] * 1000.0,
        }
    )


def ours(repeats: int) -> tuple[Any, float]:
    """Print the workbench figures; return the selection and fixed_viewpoint's median ms."""
    data = make_data()
    started = time.perf_counter()
    dataset = build(data)
    print(f"beliefs_dataset of {dataset.sizes['belief']:,} beliefs built in "
          f"{(time.perf_counter() - started) * 1e3:.0f} ms")  # fmt: skip
    print(f"Dataset size (ds.nbytes): {dataset.nbytes / 1e6:.1f} MB (target 50 MB)")
    moment = viewpoint_time()
    fixed = median_ms(lambda: dataset.beliefs.fixed_viewpoint(moment), repeats)
    selected = dataset.beliefs.fixed_viewpoint(moment)
    count = int(selected["belief_time"].notnull().sum())
    print(f"fixed_viewpoint: median {fixed:.1f} ms over {repeats} runs, {count:,} beliefs "
          "selected (target 30 ms)")  # fmt: skip
    extra = peak_mb(lambda: dataset.beliefs.fixed_viewpoint(moment))
    print(f"fixed_viewpoint working memory (tracemalloc peak): {extra:.1f} MB")
    recent = median_ms(dataset.beliefs.most_recent, repeats)
    print(f"most_recent: median {recent:.1f} ms")
    rolling = median_ms(lambda: dataset.beliefs.rolling_viewpoint("PT24H"), repeats)
    print(f"rolling_viewpoint(PT24H): median {rolling:.1f} ms")
    frame = ingest_frame(data)
    prepare = median_ms(
        lambda: prepare_beliefs(frame, unit="kW", sensor_unit="MW", sensor_resolution="PT15M",
                                sensor_timezone="Europe/Amsterdam", source="forecaster"),
        3,
    )  # fmt: skip
    print(f"prepare_beliefs of {len(frame):,} rows (kW -> MW, sorted, checked): "
          f"median {prepare:.0f} ms")  # fmt: skip
    return selected, fixed


def reference(selected: Any, fixed_ms: float, repeats: int) -> None:
    """Run timely-beliefs in its own environment, compare selections, print the ratio."""
    if not TB_PYTHON.exists():
        print(f"timely-beliefs: skipped, {TB_PYTHON} is missing (run benchmarks/tb_env.sh)")
        return
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "timely_beliefs_selected.npz"
        script = HERE / "timely_beliefs_reference.py"
        command = [str(TB_PYTHON), str(script), "--output", str(output), "--repeats", str(repeats)]
        subprocess.run(command, check=True)
        theirs = dict(np.load(output))
    mine = selected.sel(source="forecaster").dropna("event_start", subset=["value"])
    equal = (
        np.array_equal(mine["event_start"].values, theirs["event_start"])
        and np.array_equal(mine["belief_time"].values, theirs["belief_time"])
        and np.array_equal(mine["value"].values, theirs["value"])
    )
    print(f"same beliefs selected by both: {'yes' if equal else 'NO'} "
          f"({len(theirs['value']):,} by timely-beliefs, {mine.sizes['event_start']:,} here)")  # fmt: skip
    tb_ms = statistics.median(theirs["fixed_viewpoint_seconds"]) * 1e3
    print(f"fixed_viewpoint: timely-beliefs {tb_ms:.0f} ms / workbench {fixed_ms:.1f} ms = "
          f"{tb_ms / fixed_ms:.0f}x faster")  # fmt: skip
    if not equal:
        raise SystemExit("the selections differ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30, help="timed runs per figure")
    parser.add_argument("--tb-repeats", type=int, default=5, help="timed timely-beliefs runs")
    parser.add_argument("--no-reference", action="store_true", help="skip timely-beliefs")
    arguments = parser.parse_args()
    selected, fixed = ours(arguments.repeats)
    if not arguments.no_reference:
        reference(selected, fixed, arguments.tb_repeats)


if __name__ == "__main__":
    main()
