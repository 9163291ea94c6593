"""What every curve value type shares: argument checks, time handling, grouping, the dict codec."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import MISSING, fields
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, ClassVar, Self, TypeVar, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from workbench.errors import InvalidValue

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
