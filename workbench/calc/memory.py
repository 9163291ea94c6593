"""A resolver over dictionaries: expressions on in-memory data, in notebooks and tests.

Keys are full attribute paths (``Model/Hydro/Lake.Inflow``); an object id is its path
(``Model/Hydro/Lake``), so the relative path ``.Inflow`` is looked up as the object's path plus
the path, and ``@`` is the object itself. A path with ``*`` matches keys as a shell pattern
(``.To_Plants/*.Production``). Every call is recorded in :attr:`MemoryResolver.calls`, which
tells how batched an evaluation was.

Series given as DataArrays are taken apart once, when the resolver is made: equal time arrays
become one shared array (compared once, here), and each read hands out the evaluator's own
:class:`~workbench.calc.values.Series` on it, so that lining up and summing many series costs
what numpy costs. Series in another unit than their lookup's, with NaT among their times, or
backed by dask are handed out as DataArrays, read per period as given.

Examples
--------
>>> import numpy as np, pandas as pd, xarray as xr
>>> times = pd.date_range("2024-01-01", periods=3, freq="h")
>>> flow = xr.DataArray([1.0, 2.0, 3.0], coords={"event_start": times}, dims="event_start",
...                     attrs={"units": "m^3/s"})
>>> r = MemoryResolver(series={"Model/A.Flow": flow}, numbers={"Model/A.Max": (2.5, "m^3/s")})
>>> sorted(r.describe([Lookup(".Flow", "Model/A"), Lookup(".Max", "Model/A")]).values(),
...        key=lambda i: i.found)[0].unit
'm^3/s'
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
import xarray as xr

from workbench.calc.protocol import CurveType, Found, Lookup, LookupInfo, Viewpoint
from workbench.calc.values import NAT, IntArray, Series, TimesPool, from_dataarray
from workbench.curves import RatingCurve, VersionedXYSet, XYSet

__all__ = ["MemoryResolver", "SeriesSource"]

SeriesSource: TypeAlias = (
    xr.DataArray | Callable[[pd.Timestamp, pd.Timestamp, Viewpoint], xr.DataArray]
)
"""A series, or a function giving it for (start, end, viewpoint): data that depends on beliefs."""


_MATCHES_KEPT = 100_000
"""How many (table, path) -> keys matches a resolver keeps before starting afresh."""


def _number(value: float | tuple[float, str]) -> tuple[float, str]:
    return value if isinstance(value, tuple) else (float(value), "")


def _curve(attrs: Mapping[Any, Any]) -> CurveType:
    return "linear" if attrs.get("curve_type") == "linear" else "step"


@dataclass(frozen=True)
class _Ready:
    """A DataArray taken apart once: its series (times shared with equal ones), the unit it
    is in (None: none given, so it is in its lookup's) and whether it says its curve type."""

    series: Series
    units: str | None
    says_curve: bool


def _ready(source: SeriesSource, pool: TimesPool, with_nat: dict[int, bool]) -> _Ready | None:
    """``source`` taken apart, or None when it is read per period as given (a function, dask,
    not of the series contract, or with NaT among its times). ``with_nat`` remembers which of
    the pool's arrays hold NaT, so each is looked through once."""
    if (
        not isinstance(source, xr.DataArray)
        or source.dims != ("event_start",)
        or not isinstance(source.variable.data, np.ndarray)  # dask: read per period
    ):
        return None
    try:
        series = from_dataarray(source, pool)  # series of one index: compared by identity
    except ValueError:
        return None  # the evaluator says what is wrong with it when it is read
    times = pool.share(series.times)
    nat = with_nat.get(id(times))
    if nat is None:
        nat = with_nat[id(times)] = bool((times == NAT).any())
    if nat:
        return None
    units = source.attrs.get("units")
    return _Ready(
        replace(series, times=times),
        None if units is None else str(units),
        "curve_type" in source.attrs,
    )


def _bounds(times: IntArray, start: int, end: int) -> tuple[int, int] | None:
    """Where [start, end) is in ``times``, with the point before ``start`` when none is at
    it; None when all of them are in it."""
    size = times.size
    if size == 0 or (times[0] >= start and times[-1] < end):
        return None
    lo, hi = (int(i) for i in np.searchsorted(times, [start, end]))
    if lo > 0 and (lo == size or times[lo] != start):
        lo -= 1
    return lo, hi


class MemoryResolver:
    """Implements :class:`~workbench.calc.protocol.Resolver` over dictionaries keyed by path.

    Parameters
    ----------
    series
        Series by attribute path (a DataArray of the series contract, or a function of
        (start, end, viewpoint) returning one). DataArrays are taken apart here, once: their
        values and times are read as they are now, and equal times are compared now.
    numbers
        Numbers by path: a float (dimensionless) or (value, unit).
    strings
        Strings by path.
    xy_sets
        XY-sets and versioned XY-sets by path.
    rating_curves
        Rating curves by path: the curve, or (curve, x unit, y unit).
    """

    def __init__(
        self,
        series: Mapping[str, SeriesSource] | None = None,
        numbers: Mapping[str, float | tuple[float, str]] | None = None,
        strings: Mapping[str, str] | None = None,
        xy_sets: Mapping[str, XYSet | VersionedXYSet] | None = None,
        rating_curves: Mapping[str, RatingCurve | tuple[RatingCurve, str, str]] | None = None,
    ) -> None:
        self._series = dict(series or {})
        pool, with_nat = TimesPool(), dict[int, bool]()
        self._ready = {
            key: ready
            for key, source in self._series.items()
            if (ready := _ready(source, pool, with_nat)) is not None
        }
        self._matches: dict[tuple[int, str, str], list[str]] = {}
        self._numbers = {k: _number(v) for k, v in (numbers or {}).items()}
        self._strings = dict(strings or {})
        self._xy = dict(xy_sets or {})
        self._rating = {
            k: v if isinstance(v, tuple) else (v, "", "") for k, v in (rating_curves or {}).items()
        }
        self.calls: list[tuple[str, int]] = []
        """(method, number of lookups) of every call, in order."""
        self.viewpoints: list[Viewpoint] = []
        """The viewpoint of every ``series`` call."""

    def _keys(self, lookup: Lookup, table: Mapping[str, Any]) -> list[str]:
        path = lookup.path
        if not lookup.is_absolute:
            owner = str(lookup.relative_to or "")
            path = owner if path == "@" else owner + path
        # the tables do not change, so a path matches the same keys every time it is asked
        signature = (id(table), lookup.path, path)
        keys = self._matches.get(signature)
        if keys is None:
            if len(self._matches) >= _MATCHES_KEPT:
                self._matches.clear()
            keys = self._matches[signature] = self._match(lookup, table, path)
        return keys

    @staticmethod
    def _match(lookup: Lookup, table: Mapping[str, Any], path: str) -> list[str]:
        if "*" in path or "?" in path:
            return sorted(k for k in table if fnmatch.fnmatchcase(k, path))
        if path in table:
            return [path]
        if lookup.path == "@":  # the object's one attribute of this kind
            found = [k for k in table if k.startswith(path + ".") and "/" not in k[len(path) :]]
            return found if len(found) == 1 else []
        return []

    def describe(self, lookups: Collection[Lookup]) -> dict[Lookup, LookupInfo]:
        """Say what each lookup names (series unit, resolution and curve type from attrs)."""
        self.calls.append(("describe", len(lookups)))
        found: dict[Lookup, LookupInfo] = {}
        for lookup in lookups:
            info = self._describe(lookup)
            if info is not None:
                found[lookup] = info
        return found

    def _describe(self, lookup: Lookup) -> LookupInfo | None:
        if keys := self._keys(lookup, self._series):
            attrs = self._sample(keys[0]).attrs
            return LookupInfo(
                "series",
                len(keys),
                str(attrs.get("units", "")),
                _curve(attrs),
                attrs.get("resolution"),
            )
        if keys := self._keys(lookup, self._numbers):
            return LookupInfo("number", len(keys), self._numbers[keys[0]][1])
        if keys := self._keys(lookup, self._strings):
            return LookupInfo("string", len(keys), "")
        if keys := self._keys(lookup, self._xy):
            xy = self._xy[keys[0]]
            sample = xy if isinstance(xy, XYSet) else xy.versions[0].xy_set
            kind: Found = "xy_set" if isinstance(xy, XYSet) else "versioned_xy_set"
            return LookupInfo(kind, 1, sample.y_unit, x_unit=sample.x_unit)
        if keys := self._keys(lookup, self._rating):
            _, x_unit, y_unit = self._rating[keys[0]]
            return LookupInfo("rating_curve", 1, y_unit, x_unit=x_unit)
        return None

    def _sample(self, key: str) -> xr.DataArray:
        source = self._series[key]
        if isinstance(source, xr.DataArray):
            return source
        return source(pd.Timestamp(0), pd.Timestamp(0), Viewpoint())

    def series(
        self,
        lookups: Collection[Lookup],
        start: pd.Timestamp,
        end: pd.Timestamp,
        viewpoint: Viewpoint,
    ) -> dict[Lookup, list[xr.DataArray | Series]]:
        """Each series over [start, end), with the point before start when none is at it.

        A series taken apart when the resolver was made comes as a
        :class:`~workbench.calc.values.Series` in its lookup's unit; series with equal times
        come with one times array, cut once for the period.
        """
        self.calls.append(("series", len(lookups)))
        self.viewpoints.append(viewpoint)
        window = (start.as_unit("ns").value, end.as_unit("ns").value)
        cuts: dict[int, tuple[tuple[int, int] | None, IntArray]] = {}
        out: dict[Lookup, list[xr.DataArray | Series]] = {}
        for lookup in lookups:
            keys = self._keys(lookup, self._series)
            if not keys:
                continue
            described: tuple[str, CurveType] | None = None  # the lookup's unit and curve type
            found: list[xr.DataArray | Series] = []
            for key in keys:
                ready = self._ready.get(key)
                if ready is not None and described is None:
                    attrs = self._sample(keys[0]).attrs
                    described = (str(attrs.get("units", "")), _curve(attrs))
                if ready is None or described is None or ready.units not in (None, described[0]):
                    found.append(self._period(self._series[key], start, end, viewpoint))
                else:
                    found.append(self._cut(ready, described[1], window, cuts))
            out[lookup] = found
        return out

    @staticmethod
    def _cut(
        ready: _Ready,
        curve: CurveType,
        window: tuple[int, int],
        cuts: dict[int, tuple[tuple[int, int] | None, IntArray]],
    ) -> Series:
        """A series taken apart, over the period, as its lookup describes it (the curve type
        when it gives none); series of one times array share its cut."""
        series = ready.series
        if not ready.says_curve and series.curve_type != curve:
            series = replace(series, curve_type=curve)
        times = series.times
        cut = cuts.get(id(times))
        if cut is None:
            bounds = _bounds(times, *window)
            cut = cuts[id(times)] = (bounds, times if bounds is None else times[slice(*bounds)])
        bounds, part = cut
        if bounds is None:
            return series  # all of it is in the period
        lo, hi = bounds
        flags = None if series.flags is None else series.flags[lo:hi]
        return Series(
            part,
            series.values[lo:hi],
            series.timezone,
            series.resolution,
            series.curve_type,
            flags,
        )

    @staticmethod
    def _period(
        source: SeriesSource, start: pd.Timestamp, end: pd.Timestamp, viewpoint: Viewpoint
    ) -> xr.DataArray:
        data = source if isinstance(source, xr.DataArray) else source(start, end, viewpoint)
        index = data.get_index("event_start")
        if index.size == 0 or not isinstance(index, pd.DatetimeIndex):
            return data  # nothing to cut, or not times: the evaluator says what is wrong
        # compared as integers: boxing the first and last times as Timestamps costs more
        times = index.asi8 if index.unit == "ns" else index.as_unit("ns").asi8
        first, last = int(times[0]), int(times[-1])
        if first >= start.as_unit("ns").value and last < end.as_unit("ns").value:
            return data  # all of it is in the period
        if index.tz is not None:  # aware times: the period is in naive UTC
            index = index.tz_convert(None)
        lo, hi = (int(i) for i in index.searchsorted([start, end]))
        if lo > 0 and (lo == index.size or index[lo] != start):
            lo -= 1
        return data.isel(event_start=slice(lo, hi))

    def numbers(self, lookups: Collection[Lookup]) -> dict[Lookup, list[float]]:
        """The numbers each lookup names."""
        self.calls.append(("numbers", len(lookups)))
        return {
            lk: [self._numbers[k][0] for k in keys]
            for lk in lookups
            if (keys := self._keys(lk, self._numbers))
        }

    def strings(self, lookups: Collection[Lookup]) -> dict[Lookup, list[str]]:
        """The strings each lookup names."""
        self.calls.append(("strings", len(lookups)))
        return {
            lk: [self._strings[k] for k in keys]
            for lk in lookups
            if (keys := self._keys(lk, self._strings))
        }

    def xy_sets(self, lookups: Collection[Lookup]) -> dict[Lookup, XYSet | VersionedXYSet]:
        """The XY-set each lookup names."""
        self.calls.append(("xy_sets", len(lookups)))
        return {lk: self._xy[keys[0]] for lk in lookups if (keys := self._keys(lk, self._xy))}

    def rating_curves(self, lookups: Collection[Lookup]) -> dict[Lookup, RatingCurve]:
        """The rating curve each lookup names (``@``: the object's one rating curve)."""
        self.calls.append(("rating_curves", len(lookups)))
        return {
            lk: self._rating[keys[0]][0] for lk in lookups if (keys := self._keys(lk, self._rating))
        }

    def count(self, method: str | None = None) -> int:
        """How many calls were made (to ``method``, or in all)."""
        return sum(1 for name, _ in self.calls if method is None or name == method)
