"""XY-sets (curves keyed by z) and versioned XY-sets, with linear interpolation both ways."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from workbench.curves._base import (
    FloatArray,
    TimeLike,
    _as_floats,
    _Codec,
    _DecoderMap,
    _each,
    _groups,
    _items,
    _naive_utc,
    _nested,
    _parse_time,
    _real,
    _reals,
    _set,
    _Versioned,
)
from workbench.errors import InvalidValue
from workbench.units import parse_unit

__all__ = ["VersionedXYSet", "XYCurve", "XYSet", "XYSetVersion"]


@dataclass(frozen=True)
class XYCurve(_Codec):
    """One curve of (x, y) points of an XY-set, keyed by ``z``; x increases strictly.

    Examples
    --------
    >>> curve = XYCurve(0.0, (0.0, 10.0), (100.0, 50.0))
    >>> curve.interpolate([5.0, 11.0]).tolist(), curve.inverse(75.0).tolist()
    ([75.0, nan], 5.0)
    """

    z: float
    x: tuple[float, ...]
    y: tuple[float, ...]

    def __post_init__(self) -> None:
        _set(self, "z", _real(self.z, "XYCurve.z"))
        _set(self, "x", _reals(self.x, "XYCurve.x"))
        _set(self, "y", _reals(self.y, "XYCurve.y"))
        where = f"XYCurve at z={self.z!r}"
        if len(self.x) != len(self.y):
            raise InvalidValue(
                f"{where} has {len(self.x)} x values but {len(self.y)} y values; give one y per x"
            )
        if len(self.x) < 2:
            raise InvalidValue(f"{where} has {len(self.x)} points; give at least 2")
        for i in range(1, len(self.x)):
            if not self.x[i] > self.x[i - 1]:
                raise InvalidValue(
                    f"{where}: x[{i}] = {self.x[i]!r} must be greater than "
                    f"x[{i - 1}] = {self.x[i - 1]!r}; x values increase strictly"
                )

    @cached_property
    def _arrays(self) -> tuple[FloatArray, FloatArray]:
        return np.array(self.x, dtype=np.float64), np.array(self.y, dtype=np.float64)

    def interpolate(self, x: npt.ArrayLike) -> FloatArray:
        """Return y at ``x`` by linear interpolation; NaN outside [x[0], x[-1]] and for NaN."""
        xs, ys = self._arrays
        return np.asarray(np.interp(_as_floats(x), xs, ys, left=np.nan, right=np.nan))

    def inverse(self, y: npt.ArrayLike) -> FloatArray:
        """Return x at ``y`` by linear interpolation (a YX lookup); NaN outside the y range.

        Raises InvalidValue unless y is strictly increasing or strictly decreasing.
        """
        xs, ys = self._arrays
        steps = np.diff(ys)
        if np.all(steps < 0):
            xs, ys = xs[::-1], ys[::-1]
        elif not np.all(steps > 0):
            i = int(np.flatnonzero((np.sign(steps) != np.sign(steps[0])) | (steps == 0))[0]) + 1
            raise InvalidValue(
                f"XYCurve at z={self.z!r} cannot be inverted: y[{i}] = {self.y[i]!r} after "
                f"y[{i - 1}] = {self.y[i - 1]!r}; inverse lookups need y strictly increasing "
                "or strictly decreasing"
            )
        return np.asarray(np.interp(_as_floats(y, "y"), ys, xs, left=np.nan, right=np.nan))


@dataclass(frozen=True)
class XYSet(_Codec):
    """Curves keyed by distinct z, kept sorted by z, with the units and a description of the axes.

    Examples
    --------
    >>> low, high = XYCurve(10.0, (0.0, 10.0), (0.0, 10.0)), XYCurve(20.0, (0.0, 10.0), (0.0, 20.0))
    >>> XYSet((high, low)).interpolate_2d([5.0, 5.0], [10.0, 15.0]).tolist()
    [5.0, 7.5]
    """

    curves: tuple[XYCurve, ...]
    x_unit: str = ""
    y_unit: str = ""
    z_unit: str = ""
    description: str = ""

    _decoders: ClassVar[_DecoderMap] = {"curves": _each(XYCurve.from_dict)}

    def __post_init__(self) -> None:
        curves = sorted(_items(self.curves, XYCurve, "XYSet.curves"), key=lambda c: c.z)
        for before, after in itertools.pairwise(curves):
            if before.z == after.z:
                raise InvalidValue(f"XYSet has two curves at z={after.z!r}; z values must differ")
        _set(self, "curves", tuple(curves))
        for name in ("x_unit", "y_unit", "z_unit", "description"):
            if not isinstance(getattr(self, name), str):
                raise InvalidValue(f"XYSet.{name} must be a string, got {getattr(self, name)!r}")
        for name in ("x_unit", "y_unit", "z_unit"):
            parse_unit(getattr(self, name))

    @cached_property
    def _zs(self) -> FloatArray:
        return np.array([c.z for c in self.curves], dtype=np.float64)

    def curve(self, z: float | None = None) -> XYCurve:
        """Return the curve at exactly ``z``; ``None`` is allowed when there is only one curve."""
        available = ", ".join(repr(c.z) for c in self.curves) or "none"
        if z is None and len(self.curves) == 1:
            return self.curves[0]
        if z is None:
            raise InvalidValue(
                f"z=None is ambiguous: this XY-set has {len(self.curves)} curves; "
                f"give one of the z values: {available}"
            )
        for candidate in self.curves:
            if candidate.z == z:
                return candidate
        raise InvalidValue(f"no curve at z={z!r}; the z values available: {available}")

    def interpolate(self, x: npt.ArrayLike, z: float | None = None) -> FloatArray:
        """Return y at ``x`` on the curve at ``z`` (see :meth:`curve`); NaN outside its range."""
        return self.curve(z).interpolate(x)

    def inverse(self, y: npt.ArrayLike, z: float | None = None) -> FloatArray:
        """Return x at ``y`` on the curve at ``z`` (see :meth:`XYCurve.inverse`)."""
        return self.curve(z).inverse(y)

    def interpolate_2d(self, x: npt.ArrayLike, z: npt.ArrayLike) -> FloatArray:
        """Return y at (x, z), linear in x on the curves and linear in z between them.

        ``x`` and ``z`` broadcast together. A z equal to a curve's z uses that curve alone;
        a z between two curves blends the two; z outside the curves' range, or an x outside
        a curve that is needed, gives NaN.
        """
        xs, zs = np.broadcast_arrays(_as_floats(x), _as_floats(z, "z"))
        xf, zf, count = xs.ravel(), zs.ravel(), len(self.curves)
        below = np.searchsorted(self._zs, zf, side="right") - 1
        exact = np.append(self._zs, np.nan)[below] == zf  # index -1 reads the NaN
        usable = exact | ((below >= 0) & (below < count - 1))
        out = np.full(xf.shape, np.nan)
        # Grouped by the curve at or below z; the curve above joins where z lies between.
        for k, where in _groups(np.where(usable, below, -1), count):
            out[where] = self._blend(k, xf[where], zf[where])
        return out.reshape(xs.shape)

    def _blend(self, k: int, x: FloatArray, z: FloatArray) -> FloatArray:
        """Interpolate points whose z is at curve ``k`` or between it and curve ``k + 1``."""
        y = self.curves[k].interpolate(x)
        between = z != self.curves[k].z
        if between.any():
            low, high = self.curves[k], self.curves[k + 1]
            weight = (z[between] - low.z) / (high.z - low.z)
            y[between] += weight * (high.interpolate(x[between]) - y[between])
        return y


@dataclass(frozen=True)
class XYSetVersion(_Codec):
    """An XY-set valid from ``valid_from`` (naive UTC) until the next version of its set."""

    valid_from: datetime
    xy_set: XYSet

    _decoders: ClassVar[_DecoderMap] = {
        "valid_from": _parse_time,
        "xy_set": lambda value, what: _nested(what, XYSet.from_dict, value),
    }

    def __post_init__(self) -> None:
        _set(self, "valid_from", _naive_utc(self.valid_from, "XYSetVersion.valid_from"))
        if not isinstance(self.xy_set, XYSet):
            raise InvalidValue(f"XYSetVersion.xy_set must be an XYSet, got {self.xy_set!r}")


@dataclass(frozen=True)
class VersionedXYSet(_Versioned):
    """XY-set versions, each valid from its ``valid_from`` until the next one's.

    Examples
    --------
    >>> v1 = XYSetVersion(datetime(2024, 1, 1), XYSet((XYCurve(0.0, (0.0, 1.0), (0.0, 1.0)),)))
    >>> v2 = XYSetVersion(datetime(2025, 1, 1), XYSet((XYCurve(0.0, (0.0, 1.0), (0.0, 2.0)),)))
    >>> times = np.array(["2024-06-01", "2025-06-01"], dtype="datetime64[ns]")
    >>> VersionedXYSet((v1, v2)).interpolate([0.5, 0.5], times).tolist()
    [0.5, 1.0]
    """

    versions: tuple[XYSetVersion, ...]

    _decoders: ClassVar[_DecoderMap] = {"versions": _each(XYSetVersion.from_dict)}

    def __post_init__(self) -> None:
        self._check_versions(XYSetVersion)

    def at(self, t: TimeLike) -> XYSet | None:
        """Return the XY-set valid at ``t`` (naive times are UTC), or None before the first."""
        index = self._index_at(t)
        return self.versions[index].xy_set if index >= 0 else None

    def interpolate(self, x: npt.ArrayLike, times: object, z: float | None = None) -> FloatArray:
        """Return y at ``x`` on the curve at ``z`` of the set valid at each point's time.

        ``times`` has the shape of ``x``; points before the first version or at NaT are NaN.
        """
        return self._by_version(x, times, lambda k, v: self.versions[k].xy_set.interpolate(v, z))
