"""Benchmark: evaluate rating curves and XY-sets on 1,000,000 points and print the figures.

Run from the repository root with ``.venv/bin/python benchmarks/bench_curves.py``. Each figure is
the median of several runs, printed with its target and its ratio to plain numpy doing a single
formula (or a single ``np.interp``) on the same array, the floor any piecewise evaluation pays.
"""

from __future__ import annotations

import importlib.util
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np

if importlib.util.find_spec("workbench") is None:  # a plain checkout: use the repository root
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.curves import (
    RatingCurve,
    RatingCurveVersion,
    RatingSegment,
    XYCurve,
    XYSet,
)

POINTS = 1_000_000
RUNS = 9
TARGET_MS = 50.0


def median_ms(run: Callable[[], object]) -> float:
    """Median wall time of ``run`` in milliseconds, after one warm-up call."""
    run()
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000.0


def report(
    label: str,
    run: Callable[[], object],
    reference: Callable[[], object],
    what: str,
    target_ms: float | None = TARGET_MS,
) -> None:
    """Print one figure with its target (if it has one) and its ratio to plain numpy."""
    ours, plain = median_ms(run), median_ms(reference)
    target = f"target {target_ms:.0f} ms" if target_ms is not None else "no target"
    print(
        f"{label}, {POINTS:,} points: {ours:.1f} ms ({target}; "
        f"numpy {what} {plain:.1f} ms, ratio {ours / plain:.1f}x)"
    )


def rating_version(valid_from: datetime, scale: float) -> RatingCurveVersion:
    """A three-segment discharge curve over water levels 0 to 10 m."""
    return RatingCurveVersion(
        valid_from,
        0.0,
        (
            RatingSegment(2.0, 2.0 * scale, 0.5, 1.5),
            RatingSegment(5.0, 3.0 * scale, -1.0, 1.2),
            RatingSegment(10.0, 4.0 * scale, -2.0, 0.8),
        ),
    )


def main() -> None:
    rng = np.random.default_rng(2024)
    # A tenth of the points fall outside [0, 10) so the NaN paths are exercised too.
    x = rng.uniform(-0.5, 10.5, POINTS)
    first = rating_version(datetime(2024, 1, 1), 1.0)
    curve = RatingCurve(
        (
            first,
            rating_version(datetime(2025, 1, 1), 1.1),
            rating_version(datetime(2026, 1, 1), 1.2),
        )
    )
    span = np.timedelta64(4 * 365 * 86_400, "s").astype("timedelta64[ns]").astype(np.int64)
    random_times = np.datetime64("2023-07-01", "ns") + rng.integers(0, span, POINTS).astype(
        "timedelta64[ns]"
    )
    sorted_times = np.sort(random_times)

    def single_formula() -> object:
        with np.errstate(invalid="ignore"):
            return 2.0 * (x + 0.5) ** 1.5

    report("rating curve", lambda: first.evaluate(x), single_formula, "single formula")
    report(
        "rating curve, 3 versions, sorted times",
        lambda: curve.evaluate(x, sorted_times),
        single_formula,
        "single formula",
    )
    report(
        "rating curve, 3 versions, shuffled times",
        lambda: curve.evaluate(x, random_times),
        single_formula,
        "single formula",
    )

    xs = np.linspace(0.0, 10.0, 21)
    xy = XYSet(
        tuple(
            XYCurve(float(z), tuple(xs), tuple(np.sqrt(xs) * (1.0 + z / 10.0)))
            for z in range(0, 101, 10)
        )
    )
    z = rng.uniform(0.0, 100.0, POINTS)
    report(
        "XY-set interpolate_2d, 11 curves",
        lambda: xy.interpolate_2d(x, z),
        lambda: np.interp(x, xs, np.sqrt(xs)),
        "single interp",
        target_ms=None,
    )


if __name__ == "__main__":
    main()
