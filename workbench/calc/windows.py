"""Numerical kernels of the gliding windows centred on each point, counted in points.

Mesh's ``TS_GLIDING_*`` functions smooth over ``d`` surrounding points (``d`` odd): the point
itself and ``d // 2`` on each side. Missing values (NaN) are skipped; near the ends of the data
the window holds fewer points. Means use cumulative sums, medians pandas' rolling median (a
sorted window, O(n log d)), Gauss weights a convolution.

Examples
--------
>>> centred_mean(np.array([18.0, 17.0, 13.0, 8.0]), 3).tolist()
[17.5, 16.0, 12.666666666666666, 10.5]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.calc.values import FloatArray

__all__ = ["centred_gauss", "centred_mean", "centred_median", "gauss_weights", "trend_average"]


def centred_mean(values: FloatArray, count: int) -> FloatArray:
    """Mean of the ``count`` points centred on each point (fewer at the ends), NaN skipped."""
    half = count // 2
    valid = ~np.isnan(values)
    sums = np.concatenate([[0.0], np.cumsum(np.where(valid, values, 0.0))])
    counts = np.concatenate([[0], np.cumsum(valid)])
    n = values.size
    lo = np.clip(np.arange(n) - half, 0, n)
    hi = np.clip(np.arange(n) + half + 1, 0, n)
    total = sums[hi] - sums[lo]
    have = counts[hi] - counts[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(have > 0, total / have, np.nan)


def centred_median(values: FloatArray, count: int) -> FloatArray:
    """Median of the ``count`` points centred on each point (fewer at the ends), NaN skipped."""
    rolled = pd.Series(values).rolling(count, center=True, min_periods=1).median()
    return np.asarray(rolled.to_numpy(), dtype=np.float64)


def gauss_weights(count: int) -> FloatArray:
    """Normal weights over ``count`` points: the window spans two standard deviations each
    side (sigma = (count // 2) / 2), so the outermost points weigh exp(-2) of the middle one."""
    half = count // 2
    if half == 0:
        return np.ones(1)
    k = np.arange(-half, half + 1, dtype=np.float64)
    sigma = half / 2.0
    return np.asarray(np.exp(-(k**2) / (2 * sigma**2)), dtype=np.float64)


def centred_gauss(values: FloatArray, count: int) -> FloatArray:
    """Gauss-weighted mean of the ``count`` points centred on each point, NaN skipped (the
    weights of the points present are renormalised)."""
    weights = gauss_weights(count)
    valid = ~np.isnan(values)
    filled = np.where(valid, values, 0.0)
    total = _convolve(filled, weights)
    norm = _convolve(valid.astype(np.float64), weights)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norm > 1e-12, total / norm, np.nan)


def _convolve(values: FloatArray, weights: FloatArray) -> FloatArray:
    """``np.convolve(values, weights, 'same')`` (symmetric weights), by FFT for wide windows."""
    if weights.size <= 64 or values.size == 0:
        return np.asarray(np.convolve(values, weights, mode="same"), dtype=np.float64)
    size = values.size + weights.size - 1
    full = np.fft.irfft(np.fft.rfft(values, size) * np.fft.rfft(weights, size), size)
    start = (weights.size - 1) // 2
    return np.asarray(full[start : start + values.size], dtype=np.float64)


def trend_average(values: FloatArray, weights: FloatArray, ahead: int) -> FloatArray:
    """Weighted mean of each point and the ``len(weights) - 1`` before it (``weights[0]`` for
    the point itself, NaN skipped), then ``ahead`` points more, each the weighted mean of the
    ``len(weights)`` values before it (data or values so foreseen)."""
    count = weights.size
    valid = ~np.isnan(values)
    filled = np.where(valid, values, 0.0)
    # trailing correlation: out[i] = sum_k weights[k] * x[i - k]
    total = np.convolve(filled, weights)[: values.size]
    norm = np.convolve(valid.astype(np.float64), weights)[: values.size]
    with np.errstate(invalid="ignore", divide="ignore"):
        result = np.where(norm > 0, total / norm, np.nan)
    if ahead <= 0:
        return np.asarray(result, dtype=np.float64)
    history = list(values[-count:]) if values.size else []
    future = []
    for _ in range(ahead):
        recent = np.asarray(history[-count:][::-1], dtype=np.float64)
        w = weights[: recent.size]
        ok = ~np.isnan(recent)
        value = float(np.sum(w[ok] * recent[ok]) / np.sum(w[ok])) if ok.any() else np.nan
        future.append(value)
        history.append(value)
    return np.concatenate([result, np.asarray(future, dtype=np.float64)])
