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

from workbench.calc.protocol import CurveType

__all__ = [
    "COLLECTION",
    "ELEMENT",
    "Kind",
    "Series",
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
    """True when two time arrays hold the same instants; O(1) when they share memory."""
    if a is b:
        return True
    if a.shape != b.shape:
        return False
    if a.__array_interface__["data"][0] == b.__array_interface__["data"][0] and (
        a.strides == b.strides
    ):
        return True
    return a.size == 0 or (a[0] == b[0] and a[-1] == b[-1] and bool(np.array_equal(a, b)))


def from_dataarray(data: xr.DataArray) -> Series:
    """Take a 1-D DataArray over ``event_start`` (the contract of a series) apart without copying.

    Series that share one time index (variables of one Dataset do) share one times array,
    which makes lining them up free.

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
    times = _times(index)
    values = np.asarray(data.values, dtype=np.float64)
    attrs = data.attrs
    flags = None
    if "flags" in data.coords and data.coords["flags"].dims == (dim,):
        flags = np.asarray(data.coords["flags"].values).astype(np.uint32, copy=False)
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
    # A ready DatetimeIndex spares xarray a conversion and validation pass over the times, and
    # going through a Dataset spares the deep copy of the index the DataArray constructor makes.
    index = pd.DatetimeIndex(series.times.view("datetime64[ns]"), copy=False)
    coords: dict[str, Any] = {"event_start": index}
    if series.flags is not None:
        coords["flags"] = ("event_start", series.flags)
    attrs = {
        "units": units,
        "timezone": series.timezone,
        "resolution": series.resolution,
        "curve_type": series.curve_type,
    }
    dataset = xr.Dataset({"value": ("event_start", series.values, attrs)}, coords=coords)
    return dataset["value"].rename(name)


def constant_series(value: float, start: int, timezone: str = "UTC") -> Series:
    """A series holding ``value`` from ``start`` on (an irregular step series of one point)."""
    return Series(
        np.array([start], dtype=np.int64), np.array([value], dtype=np.float64), timezone=timezone
    )
