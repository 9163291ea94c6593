"""Rating curves and XY-sets as Mesh has them: validated value types with vectorised evaluation.

A rating curve maps x (say a water level) to f(x) = a·(x + b)^c piecewise, with versions valid
from a time. An XY-set is a family of (x, y) curves keyed by z; a versioned XY-set holds XY-sets
valid from a time, each until the next. Every type is an immutable value with an exact
``to_dict``/``from_dict`` round trip, and evaluates numpy arrays without a Python loop per point.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import MISSING, dataclass, fields
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, ClassVar, Self, TypeVar, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from workbench.errors import InvalidValue
from workbench.units import parse_unit

__all__ = [
    "RatingCurve",
    "RatingCurveVersion",
    "RatingSegment",
    "VersionedXYSet",
    "XYCurve",
    "XYSet",
    "XYSetVersion",
]

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.intp]
TimeLike = datetime | np.datetime64
_T = TypeVar("_T")
_DecoderMap = Mapping[str, Callable[[object, str], object]]

_MAX_NANOS = int(np.iinfo(np.int64).max)
# Above this many groups one stable sort beats a boolean mask per group.
_MAX_MASKED_GROUPS = 8


def _set(obj: object, name: str, value: object) -> None:
    """Normalise a field of a frozen dataclass during ``__post_init__``."""
    object.__setattr__(obj, name, value)


def _real(value: object, what: str) -> float:
    """Return ``value`` as a finite float, or raise naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise InvalidValue(f"{what} must be a finite number, got {value!r}")
    try:
        number = float(value)
    except OverflowError:  # an int beyond the float range
        number = math.inf
    if not math.isfinite(number):
        raise InvalidValue(f"{what} must be a finite number, got {value!r}")
    return number


def _reals(values: object, what: str) -> tuple[float, ...]:
    """Return a list, tuple or 1-D array of numbers as a tuple of finite floats."""
    if isinstance(values, np.ndarray):
        values = values.tolist()
    if not isinstance(values, list | tuple):
        raise InvalidValue(f"{what} must be a list of numbers, got {values!r}")
    return tuple(_real(value, f"{what}[{i}]") for i, value in enumerate(values))


def _items(values: object, kind: type, what: str) -> tuple[Any, ...]:
    """Return a list or tuple whose items are all ``kind`` as a tuple."""
    if not isinstance(values, list | tuple):
        raise InvalidValue(f"{what} must be a tuple of {kind.__name__}, got {values!r}")
    for i, item in enumerate(values):
        if not isinstance(item, kind):
            raise InvalidValue(f"{what}[{i}] must be a {kind.__name__}, got {item!r}")
    return tuple(values)


def _naive_utc(value: object, what: str) -> datetime:
    """Return a datetime as naive UTC (aware ones are converted; naive ones are taken as UTC)."""
    if not isinstance(value, datetime):
        raise InvalidValue(
            f"{what} must be a datetime (naive UTC or timezone-aware), got {value!r}"
        )
    try:
        utc = value.astimezone(UTC) if value.utcoffset() is not None else value
    except OverflowError:
        raise InvalidValue(f"{what} {value!r} lies outside the years 1 to 9999 in UTC") from None
    return datetime(utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second, utc.microsecond)


def _as_floats(x: npt.ArrayLike, what: str = "x") -> FloatArray:
    """Return ``x`` as a float64 array, or raise naming what could not be converted."""
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidValue(f"{what} must be numbers (a scalar, list or array), got {x!r}") from None


def _iso(moment: datetime) -> str:
    """Format a naive UTC datetime as ISO 8601 with a trailing ``Z``."""
    return moment.isoformat() + "Z"


def _parse_time(value: object, what: str) -> datetime:
    """Read an ISO 8601 text (or a datetime) as naive UTC."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidValue(
                f"{what} must be an ISO 8601 time such as '2024-01-01T00:00:00Z', got {value!r}"
            ) from None
    return _naive_utc(value, what)


def _datetime64(times: object) -> npt.NDArray[np.datetime64]:
    """Return times as a datetime64 array; aware ones (pandas, datetimes) are converted to UTC."""
    array = np.asarray(times)
    if array.dtype.kind == "M" or array.size == 0:
        return array.astype("datetime64[ns]") if array.dtype.kind != "M" else array
    if array.dtype.kind in "biufc":
        raise InvalidValue(
            f"times must be datetime64 values or datetimes, got {array.dtype} numbers"
        )
    try:
        index = pd.to_datetime(array.ravel(), utc=True, format="ISO8601").tz_convert(None)
    except (TypeError, ValueError) as exc:
        raise InvalidValue(
            f"times must be datetime64 values or datetimes, got {array.dtype} ({exc})"
        ) from None
    return index.to_numpy().reshape(array.shape)


def _comparable(
    stamps: npt.NDArray[np.datetime64], starts: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Times and version starts (microseconds) as int64 on one scale, NaT below every start.

    Nanosecond times are compared in nanoseconds when every start fits that range (no copy);
    otherwise times are floored to microseconds. NaT is the smallest int64 either way.
    """
    unit, _ = np.datetime_data(stamps.dtype)
    if unit == "ns" and np.all(np.abs(starts) < _MAX_NANOS // 1000):
        return stamps.view(np.int64), starts * 1000
    if unit in {"ns", "ps", "fs", "as"}:
        nanos = stamps.astype("datetime64[ns]").view(np.int64)
        micros = np.where(np.isnat(stamps), nanos, np.floor_divide(nanos, 1000))
        return micros, starts
    return stamps.astype("datetime64[us]").view(np.int64), starts


def _moment(t: object) -> npt.NDArray[np.datetime64]:
    """One time (datetime, pandas Timestamp or numpy datetime64) as a 1-element datetime64 array."""
    if isinstance(t, datetime) and not isinstance(t, pd.Timestamp | type(pd.NaT)):
        return np.array([_naive_utc(t, "t")], dtype="datetime64[us]")
    if isinstance(t, datetime | np.datetime64):
        stamp = _datetime64(np.asarray([t]))
        if not np.isnat(stamp[0]):
            return stamp
    raise InvalidValue(f"t must be a datetime or numpy datetime64 (not NaT), got {t!r}")


def _groups(index: IndexArray, count: int) -> Iterator[tuple[int, slice | IndexArray]]:
    """Yield each group present in ``index`` (values -1..count-1; -1 is skipped) and its positions.

    One loop iteration per group, never per point: a few groups get a boolean mask each, many
    groups share one stable sort (a radix sort on 16-bit keys).
    """
    sizes = np.bincount(index + 1, minlength=count + 1)[1:]
    present = np.flatnonzero(sizes)
    if len(present) == 1 and sizes[present[0]] == index.size:
        yield int(present[0]), slice(None)
    elif len(present) <= _MAX_MASKED_GROUPS:
        for group in present:
            yield int(group), np.flatnonzero(index == group)
    else:
        order = np.argsort(index.astype(np.int16 if count < 2**15 else np.int32), kind="stable")
        ends = np.cumsum(sizes) + np.count_nonzero(index < 0)
        for group in present:
            yield int(group), order[ends[group] - sizes[group] : ends[group]]


def _version_groups(
    keys: npt.NDArray[np.int64], starts: npt.NDArray[np.int64]
) -> Iterator[tuple[int, slice | IndexArray]]:
    """Yield each version and the positions of the times it is valid at (from ``_comparable``).

    Sorted times, the usual case, need no index per point: one slice per version.
    """
    if keys.size > 1 and np.all(keys[1:] >= keys[:-1]):
        edges = [*np.searchsorted(keys, starts, side="left").tolist(), keys.size]
        for version in range(len(starts)):
            if edges[version] < edges[version + 1]:
                yield version, slice(edges[version], edges[version + 1])
    else:
        index = np.searchsorted(starts, keys, side="right") - 1
        yield from _groups(index, len(starts))


def _fields(data: object, kind: str, required: list[str], optional: list[str]) -> Mapping[str, Any]:
    """Check that ``data`` is a mapping with all ``required`` keys and no unknown ones."""
    expected = ", ".join([*required, *optional])
    if not isinstance(data, Mapping):
        raise InvalidValue(f"{kind} must be a mapping with keys {expected}, got {data!r}")
    for key in required:
        if key not in data:
            raise InvalidValue(f"{kind}: missing key {key!r}; expected keys {expected}")
    for key in data:
        if key not in required and key not in optional:
            raise InvalidValue(f"{kind}: unknown key {key!r}; expected keys {expected}")
    return data


def _nested(where: str, build: Callable[[Any], _T], data: object) -> _T:
    """Build a nested value, prefixing any error with where it sits."""
    try:
        return build(data)
    except InvalidValue as exc:
        raise type(exc)(f"{where}: {exc}") from exc


def _each(kind: Callable[[Any], _T]) -> Callable[[object, str], tuple[_T, ...]]:
    """Decoder of a JSON list whose items ``kind`` (a ``from_dict``) rebuilds."""

    def decode(value: object, what: str) -> tuple[_T, ...]:
        if not isinstance(value, list | tuple):
            raise InvalidValue(f"{what} must be a list, got {value!r}")
        return tuple(_nested(f"{what}[{i}]", kind, item) for i, item in enumerate(value))

    return decode


def _encode(value: object) -> object:
    """Plain JSON-able form of a field value."""
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, tuple):
        return [_encode(item) for item in value]
    if isinstance(value, _Codec):
        return value.to_dict()
    return value


class _Codec:
    """``to_dict``/``from_dict`` for the frozen dataclasses of this module."""

    # Field name -> decoder (value, where) for fields that are not plain JSON scalars/lists.
    _decoders: ClassVar[_DecoderMap] = {}

    def to_dict(self) -> dict[str, Any]:
        """Return plain JSON-able data: floats, strings, lists, dicts; times ISO 8601 with "Z"."""
        return {f.name: _encode(getattr(self, f.name)) for f in fields(cast(Any, self))}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Self:
        """Rebuild the value from :meth:`to_dict` output, validating it (InvalidValue if not)."""
        kind, members = cls.__name__, fields(cast(Any, cls))
        required = [f.name for f in members if f.default is MISSING]
        optional = [f.name for f in members if f.default is not MISSING]
        data = _fields(d, kind, required, optional)
        decoded = {
            key: cls._decoders[key](value, f"{kind}.{key}") if key in cls._decoders else value
            for key, value in data.items()
        }
        return cls(**decoded)


class _Versioned(_Codec):
    """Lookup of the version valid at a time, for a tuple of versions with ``valid_from``."""

    versions: tuple[Any, ...]

    def _check_versions(self, kind: type) -> None:
        what = f"{type(self).__name__}.versions"
        versions = _items(self.versions, kind, what)
        for i in range(1, len(versions)):
            earlier, later = versions[i - 1].valid_from, versions[i].valid_from
            if not later > earlier:
                raise InvalidValue(
                    f"{what}[{i}].valid_from {_iso(later)} must be later than "
                    f"{what}[{i - 1}].valid_from {_iso(earlier)}: versions are ordered by "
                    "strictly increasing valid_from"
                )
        _set(self, "versions", versions)

    @cached_property
    def _starts(self) -> npt.NDArray[np.int64]:
        """Version starts as microseconds since 1970 (exact for the years 1 to 9999)."""
        starts = np.array([v.valid_from for v in self.versions], dtype="datetime64[us]")
        return starts.reshape(-1).view(np.int64)

    def _index_at(self, t: TimeLike) -> int:
        keys, starts = _comparable(_moment(t), self._starts)
        return int(np.searchsorted(starts, keys[0], side="right")) - 1

    def _by_version(
        self, x: npt.ArrayLike, times: object, evaluate: Callable[[int, FloatArray], FloatArray]
    ) -> FloatArray:
        """Evaluate each point of ``x`` with the version valid at its time; NaN where none is."""
        values = _as_floats(x)
        stamps = _datetime64(times)
        if stamps.shape != values.shape:
            raise InvalidValue(
                f"times must have the shape of x, got {stamps.shape} for x of shape {values.shape}"
            )
        keys, starts = _comparable(stamps.ravel(), self._starts)
        flat = values.ravel()
        out = np.full(flat.shape, np.nan)
        for version, where in _version_groups(keys, starts):
            out[where] = evaluate(version, flat[where])
        return out.reshape(values.shape)


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
