"""Benchmark of the calculation language side by side with plain numpy on the same data.

Run ``python benchmarks/bench_calc.py``. It prints, for each case, the best of several runs of
the expression and of the numpy reference, and their ratio against the target:

- ``@TRANSFORM(t, 'DAY', 'AVG')`` on 1,000,000 hourly points (UTC) against
  ``a.reshape(-1, 24).mean(axis=1)``: target <= 3x.
- ``@SUM(@T(...))`` over 100 series of 100,000 points, once loaded, against numpy's sum of the
  same 100 arrays: target <= 1.5x. Shown for series sharing one time coordinate (as series read
  in one batch onto one grid do) and for series each with its own copy of the times, with the
  one-off cost of the resolver taking them in (where equal times are compared, once).
- Parsing and checking a 20-term expression (cache bypassed): target <= 1 ms.
- One template evaluated over 1,000 objects with the in-memory resolver: the number of
  resolver calls (bounded, not per object or term) and the time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from workbench.calc import MemoryResolver, compile_expression, evaluate, evaluate_many
from workbench.calc.evaluate import Expression


def best(function: Callable[[], Any], repeat: int = 25) -> float:
    """Best wall time of ``repeat`` runs, in seconds (after one warm-up run)."""
    function()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def paired(
    ours: Callable[[], Any], reference: Callable[[], Any], repeat: int = 25
) -> tuple[float, float]:
    """Best wall times of ``ours`` and ``reference``, run alternately so that both meet the
    same load on a busy machine (after one warm-up run each)."""
    ours()
    reference()
    mine: list[float] = []
    theirs: list[float] = []
    for _ in range(repeat):
        for function, times in ((ours, mine), (reference, theirs)):
            started = time.perf_counter()
            function()
            times.append(time.perf_counter() - started)
    return min(mine), min(theirs)


def report(name: str, ours: float, reference: float, target: float) -> None:
    ratio = ours / reference
    verdict = "ok" if ratio <= target else "OVER TARGET"
    print(
        f"{name:<58} {ours * 1e3:9.3f} ms  numpy {reference * 1e3:8.3f} ms  "
        f"ratio {ratio:5.2f} (target <= {target}) {verdict}"
    )


def series(values: np.ndarray, times: np.ndarray) -> xr.DataArray:
    return xr.DataArray(
        values,
        coords={"event_start": times},
        dims="event_start",
        attrs={"units": "MW", "timezone": "UTC", "resolution": "PT1H", "curve_type": "step"},
    )


def bench_transform() -> None:
    n = 1_000_008  # a whole number of days
    times = pd.date_range("2000-01-01", periods=n, freq="h", unit="ns").values
    values = np.random.default_rng(1).random(n)
    resolver = MemoryResolver(series={"Model/M/O.X": series(values, times)})
    expr = compile_expression("@TRANSFORM(@t('.X'), 'DAY', 'AVG')")
    end = pd.Timestamp(times[-1]) + pd.Timedelta("1h")

    def ours() -> Any:
        return evaluate(expr, resolver, times[0], end, relative_to="Model/M/O")

    result = ours()
    reference = values.reshape(-1, 24).mean(axis=1)
    np.testing.assert_allclose(result.values, reference)
    report(
        "TRANSFORM DAY AVG, 1,000,000 hourly points",
        *paired(ours, lambda: values.reshape(-1, 24).mean(axis=1)),
        3.0,
    )


def bench_sum(shared_times: bool) -> None:
    count, n = 100, 100_000
    times = pd.date_range("2020-01-01", periods=n, freq="h", unit="ns").values
    rng = np.random.default_rng(2)
    arrays = [rng.random(n) for _ in range(count)]
    names = [f"Model/M.To_Units/U{i:03d}.P" for i in range(count)]
    if shared_times:  # read in one batch: variables of one Dataset share its time index
        batch = xr.Dataset(
            {name: ("event_start", a) for name, a in zip(names, arrays, strict=True)},
            coords={"event_start": times},
        )
        data = {
            name: batch[name].assign_attrs(series(arrays[0][:1], times[:1]).attrs) for name in names
        }
    else:
        data = {name: series(a, times.copy()) for name, a in zip(names, arrays, strict=True)}
    started = time.perf_counter()
    resolver = MemoryResolver(series=data)  # takes the series apart and shares equal times
    prepared = time.perf_counter() - started
    expr = compile_expression("@SUM(@T('.To_Units/*.P'))")
    end = pd.Timestamp(times[-1]) + pd.Timedelta("1h")

    def ours() -> Any:
        return evaluate(expr, resolver, times[0], end, relative_to="Model/M")

    def reference() -> np.ndarray:
        total = arrays[0].copy()
        for a in arrays[1:]:
            total += a
        return total

    np.testing.assert_allclose(ours().values, np.sum(arrays, axis=0))
    label = "shared times" if shared_times else "own copy of the times each"
    report(f"SUM over 100 x 100,000 points ({label})", *paired(ours, reference), 1.5)
    print(f"{'  once: MemoryResolver taking the 100 series in':<58} {prepared * 1e3:9.3f} ms")


def bench_parse() -> None:
    plain = " + ".join(f"@t('.Term{i}') * {i}.5" for i in range(20))
    mixed = " + ".join(
        f"@TRANSFORM(@t('.T{i}'), 'DAY', 'AVG') * {i}.5" if i % 4 == 0 else f"@t('.T{i}') * {i}"
        for i in range(20)
    )
    compile_uncached: Callable[[str], Expression] = compile_expression.__wrapped__
    counter = iter(range(10**9))
    for label, text in (("20 terms", plain), ("20 terms, 5 of them TRANSFORM calls", mixed)):
        compile_uncached(text)  # warm up
        times = []
        for _ in range(200):
            variant = text + f" + {next(counter)}"  # a text not seen before, as on a cache miss
            started = time.perf_counter()
            compile_uncached(variant)
            times.append(time.perf_counter() - started)
        seconds, median = min(times), float(np.median(times))
        verdict = "ok" if seconds <= 1e-3 else "OVER TARGET"
        name = f"parse and check {label} (no cache)"
        print(
            f"{name:<58} {seconds * 1e3:9.3f} ms  (median {median * 1e3:.3f} ms; target <= 1 ms) "
            f"{verdict}"
        )


def bench_many_objects() -> None:
    count = 1_000
    times = pd.date_range("2024-01-01", periods=24 * 7, freq="h", unit="ns").values
    rng = np.random.default_rng(3)
    data: dict[str, xr.DataArray] = {}
    numbers: dict[str, float | tuple[float, str]] = {}
    objects = []
    for i in range(count):
        owner = f"Model/Hydro.To_Plants/P{i:04d}"
        objects.append(owner)
        data[f"{owner}.Inflow"] = series(rng.random(times.size), times)
        data[f"{owner}.Production"] = series(rng.random(times.size), times)
        numbers[f"{owner}.Efficiency"] = (0.9, "")
    data["Model/Hydro.Price"] = series(rng.random(times.size) * 50, times)
    resolver = MemoryResolver(series=data, numbers=numbers)
    text = (
        "Flow = @TS_GLIDING_AVG(@t('.Inflow'), 'PT6H')\n"
        "Energy = @TRANSFORM(@t('.Production'), 'DAY', 'SUMI')\n"
        "Price = @TRANSFORM(@t('Model/Hydro.Price'), 'DAY', 'AVG')\n"
        "## = @TRANSFORM(Flow * @d('.Efficiency'), 'DAY', 'AVG') * Price "
        "+ @DELTA(Energy) * 1[MW/h]"
    )
    started = time.perf_counter()
    out = evaluate_many(text, resolver, objects, "2024-01-02", "2024-01-07")
    seconds = time.perf_counter() - started
    assert len(out) == count
    calls = ", ".join(
        f"{name} {resolver.count(name)}" for name in ("describe", "series", "numbers")
    )
    print(
        f"{'one template over 1,000 objects (7 lookups/functions each)':<58} "
        f"{seconds * 1e3:9.1f} ms  resolver calls: {resolver.count()} ({calls})"
    )


def main() -> None:
    bench_transform()
    bench_sum(shared_times=True)
    bench_sum(shared_times=False)
    bench_parse()
    bench_many_objects()


if __name__ == "__main__":
    main()
