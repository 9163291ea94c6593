"""Mesh's gliding windows: centred averages, medians and Gauss smoothing, and trend averages.

Mesh's ``TS_GLIDING_AVERAGE``, ``TS_GLIDING_MEDIAN``, ``TS_GLIDING_GAUSS`` and
``TS_GLIDING_MEDIAN_GAUSS`` pages (docs/mesh/calculations/functions/, Volue-Public/energy-smp-docs)
smooth each point over ``d`` surrounding points, ``d`` odd: the point and ``d // 2`` each side.
``GLIDING_TREND_AVERAGE`` averages each point with the ``d - 1`` before it and carries the
average on past the end of the data. Windows count points, not time; the series is read
``d // 2`` steps beyond each end of the period so that the edges get whole windows.
The workbench's trailing time windows are ``TS_GLIDING_AVG`` and ``TS_GLIDING_SUM``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from workbench.calc.fn_time import IRREGULAR_LOOKBACK_NS
from workbench.calc.functions import AS_IN_MESH, Function, Invocation, MeshNote, Overload, Window
from workbench.calc.values import FloatArray, Series, Value, ValueType
from workbench.calc.windows import centred_gauss, centred_mean, centred_median, trend_average

__all__ = ["FUNCTIONS"]


def _odd(value: Any) -> int:
    if not isinstance(value, float) or value < 1 or value != int(value) or int(value) % 2 == 0:
        raise ValueError(
            f"the number of points must be an odd whole number such as 3 or 25, got {value!r}"
        )
    return int(value)


def _count(value: Any) -> int:
    if not isinstance(value, float) or value < 1 or value != int(value):
        raise ValueError(f"the number of points must be a whole number >= 1, got {value!r}")
    return int(value)


def _step(types: Sequence[ValueType]) -> int:
    step = types[0].step
    return step if step else IRREGULAR_LOOKBACK_NS


def _centred_window(window: Window, types: Sequence[ValueType], options: Sequence[Any]) -> Window:
    reach = (int(options[1]) // 2) * _step(types) if types[0].step else IRREGULAR_LOOKBACK_NS
    return window[0] - reach, window[1] + reach


def _centred(kernel: Callable[[FloatArray, int], FloatArray]) -> Callable[[Invocation], Value]:
    def run(call: Invocation) -> Value:
        series = call.args[0]
        assert isinstance(series, Series)
        values = kernel(series.values, call.options[1])
        return series.with_values(values).crop(*call.window)

    return run


def _median_gauss(values: FloatArray, count: int) -> FloatArray:
    return centred_gauss(centred_median(values, count), count)


def _trend(call: Invocation) -> Value:
    series = call.args[0]
    assert isinstance(series, Series)
    count: int = call.options[1]
    third = call.args[2] if len(call.args) > 2 else None
    stop = False
    weights = np.ones(count)
    if isinstance(third, np.ndarray):
        if third.size != count:
            raise call.error(f"the weights hold {third.size} values; give {count}, one per point")
        weights = np.asarray(third, dtype=np.float64)
    elif third is not None:
        stop = float(third) != 0  # type: ignore[arg-type]
    start, end = call.window
    times = series.times
    ahead = 0
    if not stop and series.step > 0 and times.size:
        future = np.arange(int(times[-1]) + series.step, end, series.step, dtype=np.int64)
        ahead, times = future.size, np.concatenate([times, future])
    values = trend_average(series.values, weights, ahead)
    return Series(times, values, series.timezone, series.resolution, series.curve_type).crop(
        start, end
    )


def _trailing_window(window: Window, types: Sequence[ValueType], options: Sequence[Any]) -> Window:
    return window[0] - (int(options[1]) - 1) * _step(types), window[1]


def _centred_function(
    name: str,
    kernel: Callable[[FloatArray, int], FloatArray],
    doc: str,
    mesh: MeshNote = AS_IN_MESH,
) -> Function:
    overload = Overload(
        ("t", "d"), "t", _centred(kernel), options={1: _odd}, window=_centred_window
    )
    return Function(name, (overload,), doc, mesh=mesh)


FUNCTIONS: tuple[Function, ...] = (
    _centred_function(
        "TS_GLIDING_AVERAGE",
        centred_mean,
        "Centred mean over d points, d odd (Mesh): @TS_GLIDING_AVERAGE(t, 3) averages the "
        "previous, the current and the next point; missing values are skipped. Mesh: compatible.",
    ),
    _centred_function(
        "TS_GLIDING_MEDIAN",
        centred_median,
        "Centred median over d points, d odd (Mesh); missing values are skipped. Mesh: compatible.",
    ),
    _centred_function(
        "TS_GLIDING_GAUSS",
        centred_gauss,
        "Gauss-weighted centred mean over d points, d odd (Mesh); the weights fall to exp(-2) "
        "of the middle one at the window's ends (Mesh does not document its weights).",
        MeshNote(
            "differs",
            "Mesh does not document its weights: here they fall to exp(-2) of the middle one "
            "at the window's ends",
        ),
    ),
    _centred_function(
        "TS_GLIDING_MEDIAN_GAUSS",
        _median_gauss,
        "The centred median over d points, then Gauss-smoothed over d points (Mesh; weights as "
        "TS_GLIDING_GAUSS).",
        MeshNote("differs", "weights as TS_GLIDING_GAUSS (Mesh does not document them)"),
    ),
    Function(
        "GLIDING_TREND_AVERAGE",
        (
            Overload(
                ("t", "d", "dD"),
                "t",
                _trend,
                required=2,
                options={1: _count},
                window=_trailing_window,
            ),
        ),
        "Mean of each point and the d - 1 before it (Mesh), weighted by an array "
        "({3, 2, 1}: the point itself counts 3); past the end of the data each next value is "
        "the mean of the d before it, unless the third argument is a number other than 0. "
        "Mesh: compatible.",
        mesh=MeshNote(
            "differs",
            "past the end of the data each next value is the mean of the ones before it (Mesh does not document this case)",
        ),
    ),
)
