"""The resolver protocol: how the calculation language reads the model without knowing the store.

An expression names what it reads with lookups such as ``@t('.Inflow')``. Evaluation is
batched: it first collects every lookup of the expression for every object it is evaluated
for, asks the resolver to :meth:`Resolver.describe` all of them at once (kind, unit, count: enough
to check units and infer the result's unit before any data is read), then loads each kind of
value with one call per kind (one :meth:`Resolver.series` call per distinct viewpoint), and only
then computes. A resolver therefore sees a bounded number of calls however many objects and
terms there are.

The workbench API implements :class:`Resolver` over the store, with the user's access rights;
:class:`workbench.calc.memory.MemoryResolver` implements it over dictionaries for notebooks
and tests.

Examples
--------
>>> Lookup(".Inflow", relative_to=7)
Lookup(path='.Inflow', relative_to=7)
>>> Lookup.of("Model/Hydro/PlantA.Inflow", relative_to=7)  # absolute: the object is dropped
Lookup(path='Model/Hydro/PlantA.Inflow', relative_to=None)
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol, TypeAlias, runtime_checkable

import pandas as pd
import xarray as xr

from workbench.curves import RatingCurve, VersionedXYSet, XYSet

if TYPE_CHECKING:
    from workbench.calc.values import Series

__all__ = [
    "CurveType",
    "Found",
    "Lookup",
    "LookupInfo",
    "ObjectId",
    "Resolver",
    "Viewpoint",
]

ObjectId: TypeAlias = Hashable
"""Whatever identifies an object to the resolver (an id or a full name)."""

CurveType: TypeAlias = Literal["step", "linear"]
Found: TypeAlias = Literal[
    "number", "string", "series", "xy_set", "versioned_xy_set", "rating_curve"
]

ABSOLUTE_PREFIX = ("Model/", "Catalog/")
"""Absolute paths start from a model (``Model/...``) or from the resource catalog
(``Catalog/Folder/name``: a virtual series or a sensor listed there)."""


@dataclass(frozen=True)
class Lookup:
    """A path as written in an expression and the object it is relative to.

    ``relative_to`` is None for an absolute path (starting ``Model/`` or ``Catalog/``), so that
    the same absolute lookup made for many objects is asked for once. A path may name several things (``*`` steps,
    one-to-many links); a path through a versioned link names the target valid at each time.
    """

    path: str
    relative_to: ObjectId | None = None

    @classmethod
    def of(cls, path: str, relative_to: ObjectId | None) -> Lookup:
        """Build the lookup of ``path`` written in an expression owned by ``relative_to``."""
        absolute = path.startswith(ABSOLUTE_PREFIX)
        return cls(path, None if absolute else relative_to)

    @property
    def is_absolute(self) -> bool:
        """True for a path that starts with ``Model/`` or ``Catalog/``."""
        return self.path.startswith(ABSOLUTE_PREFIX)


@dataclass(frozen=True)
class LookupInfo:
    """What a lookup found, known without reading data.

    Attributes
    ----------
    found
        ``"series"`` (time series attributes, sensors, virtual series), ``"number"`` (double and
        int64 attributes), ``"string"``, ``"xy_set"``, ``"versioned_xy_set"``, ``"rating_curve"``.
    count
        How many values the path names (0 counts as not found).
    unit
        The unit of the values (pint text, ``""`` for dimensionless); for curves the unit of
        their result (y). Every value of a collection is given in this unit or converted to it.
    curve_type
        For series: ``"step"`` or ``"linear"``.
    resolution
        For series: the ISO 8601 event resolution (``"PT1H"``; ``"PT0S"`` or None when irregular).
    x_unit
        For XY-sets and rating curves: the unit of their argument (None if not known).
    """

    found: Found
    count: int = 1
    unit: str = ""
    curve_type: CurveType | None = None
    resolution: str | None = None
    x_unit: str | None = None


@dataclass(frozen=True)
class Viewpoint:
    """Which beliefs a series is read from; the default is the most recent belief of each event.

    Attributes
    ----------
    as_of
        Only beliefs formed at or before this time (naive UTC).
    issued_after
        Only beliefs formed at or after this time (naive UTC): a forecast issue-time window.
    horizon
        Only beliefs formed at least this long before the event's knowledge time (a rolling
        viewpoint: "the forecast made a day ahead").
    """

    as_of: pd.Timestamp | None = None
    issued_after: pd.Timestamp | None = None
    horizon: pd.Timedelta | None = None


@runtime_checkable
class Resolver(Protocol):
    """What the evaluator needs from the model; every method takes all its lookups at once.

    A method returns a mapping with an entry for each lookup that found something; a lookup
    left out (or with an empty sequence) found nothing. Implementations check access rights:
    what the user may not read is not found.
    """

    def describe(self, lookups: Collection[Lookup]) -> Mapping[Lookup, LookupInfo]:
        """Say what each lookup names, without reading values."""
        ...

    def series(
        self,
        lookups: Collection[Lookup],
        start: pd.Timestamp,
        end: pd.Timestamp,
        viewpoint: Viewpoint,
    ) -> Mapping[Lookup, Sequence[xr.DataArray | Series]]:
        """Read the series each lookup names over [start, end) (naive UTC), as seen from
        ``viewpoint``.

        Each is a 1-D DataArray over ``event_start`` (naive UTC datetime64[ns], sorted, unique)
        with attrs ``units``, ``timezone``, ``resolution`` and ``curve_type``, and optionally a
        ``flags`` coordinate (uint32 quality bits) along ``event_start``. Values in another unit
        than :attr:`LookupInfo.unit` are converted by the evaluator. A step series should include
        the last point before ``start`` when there is no point at ``start``.

        A resolver that builds series itself may hand back the evaluator's own
        :class:`~workbench.calc.values.Series` instead, in the unit :meth:`describe` gave: that
        spares building a DataArray per series.
        """
        ...

    def numbers(self, lookups: Collection[Lookup]) -> Mapping[Lookup, Sequence[float]]:
        """Read number attributes, in the unit :meth:`describe` gave."""
        ...

    def strings(self, lookups: Collection[Lookup]) -> Mapping[Lookup, Sequence[str]]:
        """Read string attributes."""
        ...

    def rating_curves(self, lookups: Collection[Lookup]) -> Mapping[Lookup, RatingCurve]:
        """Read rating curves; a path naming an object means its one rating-curve attribute."""
        ...

    def xy_sets(self, lookups: Collection[Lookup]) -> Mapping[Lookup, XYSet | VersionedXYSet]:
        """Read XY-sets or versioned XY-sets named by attribute paths."""
        ...
