"""Calculations over the store: evaluating expressions, inferring units, calculated attributes.

:func:`evaluate` evaluates an expression for the period [start, end) with the context's access
rights (see :class:`~workbench.api.services.calc.resolver.StoreResolver`); reading a timeseries
attribute (:func:`attribute_beliefs`) evaluates its expression, or reads its sensor, into the
Dataset layout of a sensor's most recent beliefs. Every call is one call of the context that
only reads (see :meth:`Context.tx <workbench.api.context.Context.tx>`), or joins the transaction
open (``with ws.transaction():``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import xarray as xr

from workbench.api.services.beliefs import sensor_beliefs
from workbench.api.services.calc.resolver import StoreResolver
from workbench.api.services.calc.validate import expression_in_effect
from workbench.api.services.objects import object_by_key
from workbench.beliefs.filters import belief_filter
from workbench.beliefs.timing import aware_instant
from workbench.calc import Result
from workbench.calc import evaluate as evaluate_expression
from workbench.calc import infer_unit as infer
from workbench.calc.protocol import Lookup, Viewpoint
from workbench.calc.values import Series
from workbench.errors import InvalidValue, NotFound
from workbench.metamodel import ValueType
from workbench.model import AttributeInfo, ObjectInfo
from workbench.store import objects as q
from workbench.xr import series_dataset

if TYPE_CHECKING:
    from workbench.api.context import Context
    from workbench.beliefs.filters import TimeLike

__all__ = [
    "CALCULATION_SOURCE",
    "attribute_beliefs",
    "calculated_dataset",
    "evaluate",
    "infer_unit",
    "naive_utc",
    "owner_id",
    "period",
]

CALCULATION_SOURCE = "calculation"
"""The ``source`` label of calculated values in a beliefs Dataset."""

def naive_utc(value: TimeLike, what: str) -> pd.Timestamp:
    """A timezone-aware time as a naive UTC timestamp in µs (naive times are refused)."""
    return pd.Timestamp(int(aware_instant(value, what).value) // 1000, unit="us")


def period(start: TimeLike, end: TimeLike) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end) as naive UTC timestamps; ``end`` must come after ``start``."""
    t0, t1 = naive_utc(start, "start"), naive_utc(end, "end")
    if t1 <= t0:
        raise InvalidValue(f"end {end!r} must come after start {start!r}")
    return t0, t1


def owner_id(ctx: Context, relative_to: Any) -> int | None:
    """The id of the object an expression is relative to: an object (a handle or its record),
    its id or its path (which the user must be able to read), or None."""
    if relative_to is None:
        return None
    record = getattr(relative_to, "info", relative_to)  # an Object handle holds its record
    if isinstance(record, ObjectInfo):
        return int(record.id)
    if isinstance(relative_to, int | str) and not isinstance(relative_to, bool):
        return object_by_key(ctx, relative_to).id
    raise InvalidValue(f"relative_to must be an object, its id or its path; got {relative_to!r}")


def evaluate(
    ctx: Context,
    expression: str,
    start: TimeLike,
    end: TimeLike,
    *,
    relative_to: Any = None,
    as_of: TimeLike | None = None,
) -> Result:
    """Evaluate an expression over [start, end) as the context's user; see
    :meth:`workbench.Workspace.evaluate`."""
    t0, t1 = period(start, end)
    seen = None if as_of is None else naive_utc(as_of, "as_of")
    with ctx.tx(read=True):
        owner = owner_id(ctx, relative_to)
        return evaluate_expression(
            expression, StoreResolver(ctx), t0, t1, relative_to=owner, as_of=seen
        )


def infer_unit(ctx: Context, expression: str, *, relative_to: Any = None) -> str:
    """The unit of an expression's result, reading no data ("" for dimensionless)."""
    with ctx.tx(read=True):
        return infer(expression, StoreResolver(ctx), owner_id(ctx, relative_to))


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


def _stored(ctx: Context, object_id: int, object_name: str, info: AttributeInfo) -> Any:
    """What a timeseries attribute of an object the user may read holds (a dict)."""
    with ctx.tx(read=True) as s:
        rows = q.object_rows(s, [object_id], ctx.principal.readable_accounts())
    if not rows:
        raise NotFound("object", object_name)
    values = rows[0].values or {}
    key = str(info.id)
    return (values[key] if key in values else info.spec.empty_value()) or {}


def attribute_beliefs(
    ctx: Context,
    object_id: int,
    object_name: str,
    info: AttributeInfo,
    start: TimeLike | None,
    end: TimeLike | None,
    as_of: TimeLike | None,
) -> xr.Dataset:
    """What :meth:`Attribute.beliefs <workbench.Attribute.beliefs>` returns for the attribute
    ``info`` of the object ``object_id`` (full name ``object_name``); see there."""
    full_name = f"{object_name}.{info.name}"
    if info.value_type is not ValueType.TIMESERIES:
        raise InvalidValue(
            f"{full_name} is a {info.value_type.value} attribute; only timeseries "
            "attributes have beliefs"
        )
    with ctx.tx(read=True):
        stored = _stored(ctx, object_id, object_name, info)
        if stored.get("sensor") is not None:
            f = belief_filter(start, end, as_of=as_of, most_recent=True, probabilistic=False)
            ds = sensor_beliefs(ctx, int(stored["sensor"]), f)
            ds.attrs.update(origin="sensor", expression="")
            return ds
        expression = expression_in_effect(stored, info)
        if expression is None:
            raise InvalidValue(f"{full_name} has no sensor and no expression")
        if start is None or end is None:
            raise InvalidValue(
                f"{full_name} is calculated: give the period to calculate "
                "(start and end, timezone-aware)"
            )
        origin = "local" if stored.get("expression") is not None else "template"
        return _calculated(ctx, object_id, full_name, info.name, origin, expression,
                           period(start, end), as_of)


def _calculated(
    ctx: Context,
    object_id: int,
    full_name: str,
    name: str,
    origin: str,
    expression: str,
    window: tuple[pd.Timestamp, pd.Timestamp],
    as_of: TimeLike | None,
) -> xr.Dataset:
    """A calculated attribute's values over ``window``, read as its readers meet it."""
    t0, t1 = window
    viewpoint = Viewpoint(as_of=None if as_of is None else naive_utc(as_of, "as_of"))
    resolver = StoreResolver(ctx)
    lookup = Lookup(f".{name}", object_id)
    if lookup not in resolver.describe([lookup]):
        raise NotFound("attribute", full_name)
    (series,) = resolver.series([lookup], t0, t1, viewpoint)[lookup]
    return calculated_dataset(
        series.crop(int(t0.value), int(t1.value)),
        resolver.describe([lookup])[lookup].unit,
        full_name,
        origin,
        expression,
    )
