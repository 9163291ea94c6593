"""Benchmark of the calculation language side by side with plain numpy on the same data.

Run ``python benchmarks/bench_calc.py``. It prints, for each case, the best of several runs of
the expression and of the numpy reference, and their ratio against the target:

- ``@TRANSFORM(t, 'DAY', 'AVG')`` on 1,000,000 hourly points (UTC) against
  ``a.reshape(-1, 24).mean(axis=1)``: target <= 3x.
- ``@TRANSFORM(t, 'HOUR', 'AVG')`` and ``'SUM'`` of 41,667 daily values to 1,000,008 hours
  (spreading) against ``np.repeat`` (divided by 24 for SUM): target <= 3x.
- Gliding windows on 1,000,000 hourly points: the centred ``@TS_GLIDING_AVERAGE(t, 25)`` and
  ``@TS_GLIDING_MEDIAN(t, 25)`` against pandas ``rolling(25, center=True, min_periods=1)``, and
  the trailing ``@TS_GLIDING_AVG(t, 'P1D')`` against ``rolling('1D').mean()``: target <= 3x.
- ``@TIME_MASK`` and the validation functions: measured by :func:`bench_time_mask_and_validation`
  when the library has them (the hook says so when it does not).
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


def _hourly_resolver(n: int) -> tuple[MemoryResolver, np.ndarray, np.ndarray, pd.Timestamp]:
    times = pd.date_range("2000-01-01", periods=n, freq="h", unit="ns").values
    values = np.random.default_rng(4).random(n)
    resolver = MemoryResolver(series={"Model/M/O.X": series(values, times)})
    return resolver, times, values, pd.Timestamp(times[-1]) + pd.Timedelta("1h")


def bench_spread() -> None:
    days = 41_667  # 1,000,008 hours
    times = pd.date_range("2000-01-01", periods=days, freq="D", unit="ns").values
    values = np.random.default_rng(5).random(days)
    data = series(values, times).assign_attrs(resolution="P1D")
    resolver = MemoryResolver(series={"Model/M/O.Daily": data})
    end = pd.Timestamp(times[-1]) + pd.Timedelta("1D")
    for method, divide in (("AVG", 1.0), ("SUM", 24.0)):
        expr = compile_expression(f"@TRANSFORM(@t('.Daily'), 'HOUR', '{method}')")

        def ours(expr: Expression = expr) -> Any:
            return evaluate(expr, resolver, times[0], end, relative_to="Model/M/O")

        def reference(divide: float = divide) -> np.ndarray:
            return np.repeat(values, 24) / divide

        np.testing.assert_allclose(ours().values, reference())
        report(
            f"TRANSFORM HOUR {method} of 41,667 days (1,000,008 hours out)",
            *paired(ours, reference, repeat=7),
            3.0,
        )


def bench_gliding() -> None:
    n = 1_000_000
    resolver, times, values, end = _hourly_resolver(n)
    frame = pd.Series(values, index=pd.DatetimeIndex(times))
    cases = (
        (
            "TS_GLIDING_AVERAGE(t, 25), centred",
            "@TS_GLIDING_AVERAGE(@t('.X'), 25)",
            lambda: frame.rolling(25, center=True, min_periods=1).mean().to_numpy(),
        ),
        (
            "TS_GLIDING_MEDIAN(t, 25), centred",
            "@TS_GLIDING_MEDIAN(@t('.X'), 25)",
            lambda: frame.rolling(25, center=True, min_periods=1).median().to_numpy(),
        ),
        (
            "TS_GLIDING_AVG(t, 'P1D'), trailing",
            "@TS_GLIDING_AVG(@t('.X'), 'P1D')",
            lambda: frame.rolling("1D").mean().to_numpy(),
        ),
    )
    for label, text, reference in cases:
        expr = compile_expression(text)

        def ours(expr: Expression = expr) -> Any:
            return evaluate(expr, resolver, times[0], end, relative_to="Model/M/O")

        np.testing.assert_allclose(ours().values, reference(), rtol=1e-9, atol=1e-9)
        report(f"{label}, 1,000,000 points", *paired(ours, reference, repeat=7), 3.0)


def bench_time_mask_and_validation() -> None:
    """Hook for ``@TIME_MASK`` and the validation functions on 1,000,000 points (target <= 3x
    of numpy): measured when the library has them."""
    from workbench.calc.library import find

    missing = [name for name in ("TIME_MASK",) if find(name) is None]
    if missing:
        print(f"{'TIME_MASK and validation functions':<58} not in this build: skipped")
        return
    resolver, times, _, end = _hourly_resolver(1_000_000)
    hours = pd.DatetimeIndex(times).hour
    expr = compile_expression("@TIME_MASK('DAY', {'DAY+8h', 'DAY+20h'}, {1, 0}, 'HOUR')")

    def ours() -> Any:
        return evaluate(expr, resolver, times[0], end, relative_to="Model/M/O")

    def reference() -> np.ndarray:
        return ((hours >= 8) & (hours < 20)).astype(float)

    report("TIME_MASK DAY 08-20 on 1,000,000 hours", *paired(ours, reference, repeat=7), 3.0)


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
    bench_spread()
    bench_gliding()
    bench_time_mask_and_validation()
    bench_sum(shared_times=True)
    bench_sum(shared_times=False)
    bench_parse()
    bench_many_objects()


if __name__ == "__main__":
    main()
