"""Values the evaluator passes around: kinds, static types, and a light series it computes on.

Outside, a series is an ``xarray.DataArray`` over ``event_start``; inside, the evaluator works on
:class:`Series`, a frozen record of int64 nanosecond times and float64 values, so that arithmetic
over many series costs what numpy costs. :func:`from_dataarray` and :func:`to_dataarray` convert
at the edges. Units are not carried at run time: they are inferred before any data is read
(:class:`ValueType`) and the evaluator converts with the factors that inference found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr
from xarray.indexes import PandasIndex

from workbench.calc.protocol import CurveType

__all__ = [
    "COLLECTION",
    "ELEMENT",
    "NAT",
    "Kind",
    "Series",
    "TimesPool",
    "Value",
    "ValueType",
    "from_dataarray",
    "nominal_ns",
    "to_dataarray",
]

Kind: TypeAlias = Literal["d", "s", "t", "D", "S", "T"]
KIND_NAMES: dict[str, str] = {
    "d": "a number",
    "s": "a string",
    "t": "a series",
    "D": "an array of numbers",
    "S": "an array of strings",
    "T": "a collection of series",
}
COLLECTION: dict[str, Kind] = {"d": "D", "s": "S", "t": "T"}
ELEMENT: dict[str, Kind] = {"D": "d", "S": "s", "T": "t"}

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]
DAY_NS = 86_400 * 10**9
HOUR_NS = 3_600 * 10**9
_CALENDAR = re.compile(r"^P(\d+)([MY])$")
NAT = np.iinfo(np.int64).min
"""NaT (not a time) as int64 nanoseconds."""


@lru_cache(maxsize=256)
def nominal_ns(resolution: str | None) -> int:
    """Nominal length in nanoseconds of an ISO 8601 duration; 0 for none or irregular.

    Calendar durations count at their longest: ``P1M`` as 31 days, ``P1Y`` as 366 days.

    >>> nominal_ns("PT1H") == HOUR_NS, nominal_ns("P1M") == 31 * DAY_NS, nominal_ns(None)
    (True, True, 0)
    """
    if not resolution:
        return 0
    calendar = _CALENDAR.match(resolution)
    if calendar:
        count, unit = int(calendar.group(1)), calendar.group(2)
        return count * (31 if unit == "M" else 366) * DAY_NS
    try:
        return int(pd.Timedelta(resolution).value)
    except ValueError:
        return 0


@dataclass(frozen=True, eq=False)
class Series:
    """A series as the evaluator computes on it: sorted int64 ns UTC times and float64 values.

    ``resolution`` is the ISO duration text (``"PT0S"`` when irregular); ``flags`` are the
    uint32 quality bits per point, when the source had them.
    """

    times: IntArray
    values: FloatArray
    timezone: str = "UTC"
    resolution: str = "PT0S"
    curve_type: CurveType = "step"
    flags: npt.NDArray[np.uint32] | None = None

    @cached_property
    def step(self) -> int:
        """Nominal resolution in ns (0 when irregular)."""
        return nominal_ns(self.resolution)

    def __len__(self) -> int:
        return int(self.times.size)

    def crop(self, start: int, end: int) -> Series:
        """The points with ``start <= time < end`` (a view, no copy)."""
        times = self.times
        if times.size == 0 or (times[0] >= start and times[-1] < end):
            return self
        lo, hi = np.searchsorted(times, [start, end])
        if lo == 0 and hi == self.times.size:
            return self
        flags = None if self.flags is None else self.flags[lo:hi]
        return replace(self, times=self.times[lo:hi], values=self.values[lo:hi], flags=flags)

    def with_values(self, values: FloatArray, *, keep_flags: bool = False) -> Series:
        """The same times and attributes with new values (flags dropped unless kept)."""
        return replace(self, values=values, flags=self.flags if keep_flags else None)


Value: TypeAlias = float | str | Series | FloatArray | tuple[str, ...] | tuple[Series, ...]


@dataclass(frozen=True)
class ValueType:
    """What a sub-expression yields, known before data is read.

    ``unit`` is a pint unit (None for strings, and for every kind while units are not known
    yet, as when an expression is compiled without a resolver); ``step`` is a series' nominal
    resolution in ns (0 irregular, None unknown).
    """

    kind: Kind
    unit: Any = None
    step: int | None = None

    @property
    def name(self) -> str:
        """The kind in words, for messages."""
        return KIND_NAMES[self.kind]


def same_times(a: IntArray, b: IntArray) -> bool:
    """True when two time arrays hold the same instants; O(1) when they are one array (as
    :class:`TimesPool` and series of one index make them) or share memory."""
    if a is b:
        return True
    if a.shape != b.shape:
        return False
    if a.size == 0:
        return True
    if a[0] != b[0] or a[-1] != b[-1]:
        return False
    if a.__array_interface__["data"][0] == b.__array_interface__["data"][0] and (
        a.strides == b.strides
    ):
        return True
    return bool(np.array_equal(a, b))


class TimesPool:
    """Hands out one array for equal time arrays, so that lining series up is an identity test.

    :meth:`share` compares a times array with those seen before (by value, once) and gives
    back the first equal one; :meth:`of_index` converts a pandas index once however many
    series carry it (variables of one Dataset share their index).

    >>> pool = TimesPool()
    >>> a, b = np.array([1, 2, 3]), np.array([1, 2, 3])
    >>> pool.share(a) is pool.share(b), pool.share(b) is pool.share(np.array([1, 5, 3]))
    (True, False)
    """

    def __init__(self) -> None:
        self._seen: dict[tuple[int, ...], list[IntArray]] = {}
        self._given: dict[int, tuple[IntArray, IntArray]] = {}
        self._indexes: dict[int, tuple[pd.DatetimeIndex, IntArray]] = {}

    def share(self, times: IntArray) -> IntArray:
        """The first array seen equal to ``times`` (read-only), or ``times`` made the one."""
        given = self._given.get(id(times))
        if given is not None and given[0] is times:
            return given[1]
        shared = self._equal(times)
        self._given[id(times)] = (times, shared)  # kept, so that its id stays its own
        return shared

    def _equal(self, times: IntArray) -> IntArray:
        size = int(times.size)
        if size == 0:
            return times
        # a few samples narrow the candidates, so arrays of one length and period that differ
        # inside are seldom compared in full
        key = (size, *(int(times[i]) for i in (0, size // 3, size // 2, 2 * size // 3, -1)))
        candidates = self._seen.setdefault(key, [])
        for known in candidates:
            if np.array_equal(known, times):
                return known
        shared = times.view()
        shared.flags.writeable = False  # handed to many series: nobody may write through it
        candidates.append(shared)
        return shared

    def of_index(self, index: pd.DatetimeIndex) -> IntArray:
        """The times of ``index`` as int64 ns UTC, converted once per index object."""
        known = self._indexes.get(id(index))
        if known is not None and known[0] is index:
            return known[1]
        times = _times(index)
        self._indexes[id(index)] = (index, times)  # the index is kept, so its id stays its own
        return times


def from_dataarray(data: xr.DataArray, pool: TimesPool | None = None) -> Series:
    """Take a 1-D DataArray over ``event_start`` (the contract of a series) apart without copying.

    Series converted with one ``pool`` that share one time index (variables of one Dataset
    do) share one times array, which makes lining them up free.

    Raises
    ------
    ValueError
        When it is not 1-D over datetime64 times.
    """
    if data.ndim != 1:
        raise ValueError(f"a series must be 1-D over event_start, got dimensions {data.dims}")
    dim = data.dims[0]
    index = data.get_index(dim)
    if not isinstance(index, pd.DatetimeIndex):
        raise ValueError(f"a series needs datetime64 times along {dim!r}, got {index.dtype}")
    times = _times(index) if pool is None else pool.of_index(index)
    variable = data.variable
    values = np.asarray(variable.values, dtype=np.float64)
    attrs = variable.attrs
    flags = None
    coords = data.coords
    if "flags" in coords and (flag := coords["flags"]).dims == (dim,):
        flags = np.asarray(flag.values).astype(np.uint32, copy=False)
    curve: CurveType = "linear" if attrs.get("curve_type") == "linear" else "step"
    return Series(
        times=times,
        values=values,
        timezone=str(attrs.get("timezone") or "UTC"),
        resolution=str(attrs.get("resolution") or "PT0S"),
        curve_type=curve,
        flags=flags,
    )


def _times(index: pd.DatetimeIndex) -> IntArray:
    """Nanoseconds since 1970 (UTC) of a time index; a view of it when it is naive ns."""
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    if index.unit != "ns":
        index = index.as_unit("ns")
    return np.asarray(index.asi8, dtype=np.int64)


def to_dataarray(series: Series, units: str, name: str | None = None) -> xr.DataArray:
    """Build the DataArray of the series contract from a :class:`Series` (sharing its arrays)."""
    # Put together from its variables and index: the public constructors check and merge the
    # coordinates, which costs four times as much for a result that is the same (the tests
    # compare the two), and copying the index besides when given a DataArray's coordinates.
    index = PandasIndex(
        pd.DatetimeIndex(series.times.view("datetime64[ns]"), copy=False), "event_start"
    )
    coords: dict[str, xr.Variable] = dict(index.create_variables())
    if series.flags is not None:
        coords["flags"] = xr.Variable("event_start", series.flags)
    attrs = {
        "units": units,
        "timezone": series.timezone,
        "resolution": series.resolution,
        "curve_type": series.curve_type,
    }
    return xr.DataArray(
        xr.Variable("event_start", series.values, attrs),
        coords=coords,
        name=name,
        indexes={"event_start": index},
        fastpath=True,
    )


def constant_series(value: float, start: int, timezone: str = "UTC") -> Series:
    """A series holding ``value`` from ``start`` on (an irregular step series of one point)."""
    return Series(
        np.array([start], dtype=np.int64), np.array([value], dtype=np.float64), timezone=timezone
    )
