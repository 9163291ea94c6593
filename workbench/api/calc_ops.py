"""Calculations from the workspace: ``ws.evaluate``, calculated attributes, virtual series.

``ws.evaluate(expr, start, end, relative_to=obj)`` evaluates an expression for the period
[start, end) with the user's access rights (see :mod:`workbench.api.resolver`); reading a
timeseries attribute (:meth:`Attribute.beliefs <workbench.api.objects.Attribute.beliefs>`)
evaluates its expression, or reads its sensor, into the Dataset layout of a sensor's most
recent beliefs. Every call is one transaction, so everything an evaluation reads comes from one
state of the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import pandas as pd
import xarray as xr

from workbench.calc import Result, evaluate, infer_unit
from workbench.calc.protocol import Lookup, Viewpoint
from workbench.calc.values import Series
from workbench.errors import InvalidValue, NotFound
from workbench.metamodel import ValueType
from workbench.xr import series_dataset

if TYPE_CHECKING:
    from workbench.api.calc_virtual import VirtualSeries
    from workbench.api.objects import Attribute, Object
    from workbench.api.sensors import TimeLike
    from workbench.api.workspace import Workspace

__all__ = ["CALCULATION_SOURCE", "CalcOperations", "attribute_beliefs", "calculated_dataset"]

CALCULATION_SOURCE = "calculation"
"""The ``source`` label of calculated values in a beliefs Dataset."""


def naive_utc(value: TimeLike, what: str) -> pd.Timestamp:
    """A timezone-aware time as a naive UTC timestamp (naive times are refused)."""
    from workbench.api.queries import instant

    micro = instant(value, what)
    assert micro is not None
    return pd.Timestamp(micro, unit="us")


def object_id(ws: Workspace, relative_to: Any) -> int | None:
    """The id of the object an expression is relative to (an Object, an id, or a path)."""
    from workbench.api.objects import Object

    if relative_to is None:
        return None
    if isinstance(relative_to, Object):
        return int(relative_to.id)
    if isinstance(relative_to, int | str) and not isinstance(relative_to, bool):
        return int(ws.object(relative_to).id)
    raise InvalidValue(f"relative_to must be an object, its id or its path; got {relative_to!r}")


class CalcOperations:
    """Mixed into :class:`~workbench.api.workspace.Workspace`."""

    @property
    def _ws(self) -> Workspace:
        return cast("Workspace", self)

    def evaluate(
        self,
        expression: str,
        start: TimeLike,
        end: TimeLike,
        *,
        relative_to: Object | int | str | None = None,
        as_of: TimeLike | None = None,
    ) -> Result:
        """Evaluate an expression over [start, end), reading the store as this user.

        Parameters
        ----------
        expression
            A script of the calculation language (``@t('.Inflow') * 0.9``).
        start, end
            Timezone-aware times (naive ones are refused).
        relative_to
            The object relative paths start from (an Object, its id or its path).
        as_of
            Read every series as known at this belief time (capped by :meth:`pin`).

        Returns
        -------
        xr.DataArray, float, str, np.ndarray, tuple or list
            A series is a DataArray over ``event_start`` (naive UTC) with attrs ``units``,
            ``timezone``, ``resolution`` and ``curve_type``; a number is a float in the unit
            :meth:`infer_unit` gives; a string a str; arrays of numbers an ndarray, of strings
            a tuple, of series a list of DataArrays.

        Examples
        --------
        >>> ws.evaluate("@SUM(@T('.To_Plants/*.Production'))", "2025-01-01T00:00Z",
        ...             "2025-01-02T00:00Z", relative_to="Model/Demo/East")  # doctest: +SKIP
        """
        from workbench.api.resolver import StoreResolver

        t0, t1 = naive_utc(start, "start"), naive_utc(end, "end")
        if t1 <= t0:
            raise InvalidValue(f"end {end!r} must come after start {start!r}")
        seen = None if as_of is None else naive_utc(as_of, "as_of")
        with self._ws._tx():
            owner = object_id(self._ws, relative_to)
            return evaluate(
                expression, StoreResolver(self._ws), t0, t1, relative_to=owner, as_of=seen
            )

    def infer_unit(self, expression: str, *, relative_to: Object | int | str | None = None) -> str:
        """The unit of an expression's result, reading no data ("" for dimensionless)."""
        from workbench.api.resolver import StoreResolver

        with self._ws._tx():
            owner = object_id(self._ws, relative_to)
            return infer_unit(expression, StoreResolver(self._ws), owner)

    # -- virtual series ---------------------------------------------------------------------

    def create_virtual_series(
        self,
        name: str,
        expression: str,
        *,
        catalog_path: str = "",
        unit: str | None = None,
        relative_to: Object | int | str | None = None,
        account: Any = None,
        timezone: str = "UTC",
    ) -> VirtualSeries:
        """Store an expression in the resource catalog as a virtual series; see
        :func:`workbench.api.calc_virtual.create_virtual_series`."""
        from workbench.api.calc_virtual import create_virtual_series

        return create_virtual_series(
            self._ws,
            name,
            expression,
            catalog_path=catalog_path,
            unit=unit,
            relative_to=relative_to,
            account=account,
            timezone=timezone,
        )

    def virtual_series(self, key: str | int) -> VirtualSeries:
        """A virtual series by id or by catalog path (``"Catalog/Folder/name"`` or
        ``"Folder/name"``)."""
        from workbench.api.calc_virtual import get_virtual_series

        return get_virtual_series(self._ws, key)

    def virtual_series_list(self, catalog_path: str | None = None) -> list[VirtualSeries]:
        """The virtual series the user may read, all or those in a catalog folder and below."""
        from workbench.api.calc_virtual import list_virtual_series

        return list_virtual_series(self._ws, catalog_path)


# -- reading calculated attributes ---------------------------------------------------------


def calculated_dataset(
    series: Series, units: str, name: str, origin: str, expression: str, timezone: str = ""
) -> xr.Dataset:
    """A calculated series in the "series" layout of a sensor's most recent beliefs: dimensions
    ``event_start`` x ``source`` (one source, ``"calculation"``), no belief times."""
    try:
        duration = pd.Timedelta(series.resolution)
    except ValueError:  # calendar durations (P1M) have no fixed length
        duration = pd.Timedelta(0)
    ds = series_dataset(
        series.times.view("datetime64[ns]"),
        series.values,
        source=CALCULATION_SOURCE,
        units=units,
        resolution=duration,
        timezone=timezone or series.timezone,
        flags=series.flags,
        probabilistic=False,
        sensor=name,
        curve_type=series.curve_type,
    )
    ds.attrs.update(resolution=series.resolution, origin=origin, expression=expression)
    return ds


def attribute_beliefs(
    attribute: Attribute, start: TimeLike | None, end: TimeLike | None, as_of: TimeLike | None
) -> xr.Dataset:
    """What :meth:`Attribute.beliefs` returns; see there."""
    from workbench.api.resolver import StoreResolver

    if attribute.value_type is not ValueType.TIMESERIES:
        raise InvalidValue(
            f"{attribute.full_name} is a {attribute.value_type.value} attribute; only timeseries "
            "attributes have beliefs"
        )
    ws = attribute.object.ws
    with ws._tx():
        value = attribute.value
        if value.source == "sensor":
            sensor = ws.sensor(value.sensor_id)
            ds = sensor.beliefs(start, end, as_of=as_of, most_recent=True, probabilistic=False)
            ds.attrs.update(origin="sensor", expression="")
            return ds
        if value.expression is None:
            raise InvalidValue(f"{attribute.full_name} has no sensor and no expression")
        if start is None or end is None:
            raise InvalidValue(
                f"{attribute.full_name} is calculated: give the period to calculate "
                "(start and end, timezone-aware)"
            )
        t0, t1 = naive_utc(start, "start"), naive_utc(end, "end")
        if t1 <= t0:
            raise InvalidValue(f"end {end!r} must come after start {start!r}")
        viewpoint = Viewpoint(as_of=None if as_of is None else naive_utc(as_of, "as_of"))
        resolver = StoreResolver(ws)
        lookup = Lookup(f".{attribute.name}", attribute.object.id)
        if lookup not in resolver.describe([lookup]):
            raise NotFound("attribute", attribute.full_name)
        (series,) = resolver.series([lookup], t0, t1, viewpoint)[lookup]
        return calculated_dataset(
            series.crop(int(t0.value), int(t1.value)),
            resolver.describe([lookup])[lookup].unit,
            attribute.full_name,
            value.source,
            value.expression,
        )
