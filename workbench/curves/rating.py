"""Rating curves: f(x) = a·(x + b)^c piecewise, in versions valid from a time."""

from __future__ import annotations

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
    _items,
    _naive_utc,
    _parse_time,
    _real,
    _set,
    _Versioned,
)
from workbench.errors import InvalidValue

__all__ = ["RatingCurve", "RatingCurveVersion", "RatingSegment"]


@dataclass(frozen=True)
class RatingSegment(_Codec):
    """One piece f(x) = a·(x + b)^c of a rating curve, valid up to (excluding) ``x_range_until``.

    Examples
    --------
    >>> RatingSegment(5.0, 2.0, 1.0, 1.0).to_dict()
    {'x_range_until': 5.0, 'a': 2.0, 'b': 1.0, 'c': 1.0}
    """

    x_range_until: float
    a: float
    b: float
    c: float

    def __post_init__(self) -> None:
        for name in ("x_range_until", "a", "b", "c"):
            _set(self, name, _real(getattr(self, name), f"RatingSegment.{name}"))


@dataclass(frozen=True)
class RatingCurveVersion(_Codec):
    """A rating curve valid from ``valid_from``: segments over [x_range_from, last x_range_until).

    Segment i covers [previous x_range_until, x_range_until), the first one starting at
    ``x_range_from``. Outside that range, and where (x + b) is negative for a non-integer c,
    the value is NaN.

    Examples
    --------
    >>> v = RatingCurveVersion(datetime(2024, 1, 1), 0.0,
    ...     (RatingSegment(2.0, 1.0, 0.0, 2.0), RatingSegment(5.0, 2.0, 1.0, 1.0)))
    >>> v.evaluate([0.0, 1.5, 2.0, 5.0]).tolist()
    [0.0, 2.25, 6.0, nan]
    """

    valid_from: datetime
    x_range_from: float
    segments: tuple[RatingSegment, ...]

    _decoders: ClassVar[_DecoderMap] = {
        "valid_from": _parse_time,
        "segments": _each(RatingSegment.from_dict),
    }

    def __post_init__(self) -> None:
        _set(self, "valid_from", _naive_utc(self.valid_from, "RatingCurveVersion.valid_from"))
        _set(self, "x_range_from", _real(self.x_range_from, "RatingCurveVersion.x_range_from"))
        segments = _items(self.segments, RatingSegment, "RatingCurveVersion.segments")
        if not segments:
            raise InvalidValue("RatingCurveVersion.segments is empty; give at least one segment")
        _set(self, "segments", segments)
        bound, name = self.x_range_from, "x_range_from"
        for i, segment in enumerate(segments):
            if not segment.x_range_until > bound:
                raise InvalidValue(
                    f"RatingCurveVersion.segments[{i}].x_range_until = {segment.x_range_until!r} "
                    f"must be greater than {name} = {bound!r}: segment bounds increase strictly "
                    "from x_range_from"
                )
            bound, name = segment.x_range_until, f"segments[{i}].x_range_until"

    @cached_property
    def _table(self) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Segment bounds and coefficients, padded with NaN for points below or beyond them."""
        bounds = np.array([self.x_range_from, *(s.x_range_until for s in self.segments)])
        a, b, c = (
            np.array([np.nan, *(getattr(s, name) for s in self.segments), np.nan])
            for name in ("a", "b", "c")
        )
        return bounds, a, b, c

    def evaluate(self, x: npt.ArrayLike) -> FloatArray:
        """Return f(x) as float64 with the shape of ``x`` (a 0-d array for a scalar).

        Each point's segment is found with one ``np.searchsorted`` over the segment bounds.
        """
        values = _as_floats(x)
        bounds, a, b, c = self._table
        flat = values.ravel()
        # Index 0 (below x_range_from) and the last index (at/after the end, or NaN) hold NaN.
        index = np.searchsorted(bounds, flat, side="right")
        with np.errstate(all="ignore"):
            out = flat + b[index]
            np.power(out, c[index], out=out)
            out *= a[index]
        return out.reshape(values.shape)


@dataclass(frozen=True)
class RatingCurve(_Versioned):
    """Rating-curve versions, each valid from its ``valid_from`` until the next one's.

    Examples
    --------
    >>> old = RatingCurveVersion(datetime(2024, 1, 1), 0.0, (RatingSegment(9.0, 1.0, 0.0, 1.0),))
    >>> new = RatingCurveVersion(datetime(2025, 1, 1), 0.0, (RatingSegment(9.0, 2.0, 0.0, 1.0),))
    >>> times = np.array(["2023-06-01", "2024-06-01", "2025-06-01"], dtype="datetime64[ns]")
    >>> RatingCurve((old, new)).evaluate([3.0, 3.0, 3.0], times).tolist()
    [nan, 3.0, 6.0]
    """

    versions: tuple[RatingCurveVersion, ...]

    _decoders: ClassVar[_DecoderMap] = {"versions": _each(RatingCurveVersion.from_dict)}

    def __post_init__(self) -> None:
        self._check_versions(RatingCurveVersion)

    def version_at(self, t: TimeLike) -> RatingCurveVersion | None:
        """Return the version valid at ``t`` (naive times are UTC), or None before the first."""
        index = self._index_at(t)
        return self.versions[index] if index >= 0 else None

    def evaluate(self, x: npt.ArrayLike, times: object = None) -> FloatArray:
        """Evaluate at ``x``; with ``times`` (same shape) each point uses the version valid then.

        Without ``times`` the latest version is used. Points before the first version, at NaT
        times, or on a curve without versions are NaN. Points are grouped by version, so the
        work is vectorised across versions as well.
        """
        if times is not None:
            return self._by_version(x, times, lambda k, v: self.versions[k].evaluate(v))
        if not self.versions:
            return np.full(_as_floats(x).shape, np.nan)
        return self.versions[-1].evaluate(x)
