"""Stored attribute values: reading them as Python values, validating and writing them.

Simple values (numbers, booleans, strings, times, arrays of them), curves (XY-sets,
versioned XY-sets, rating curves) and timeseries references are stored with their object; the
relations (ownership, links, versioned links) are read and written through
:mod:`workbench.api.services.objects` and :mod:`workbench.api.services.links`.

>>> import workbench as wb
>>> ws = wb.connect("sqlite://")
>>> md = ws.create_model_definition("Demo")
>>> plant = md.create_object_definition("Plant")
>>> capacity = plant.add_attribute("Capacity", "double", unit="MW")
>>> model = ws.create_model("M", md, plant)
>>> info = model.definition_info.attribute("Capacity")
>>> _ = write_value(ws._ctx, model.info, info, 120.5)
>>> read_value(ws._ctx, model.info, info)
120.5
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from workbench import curves
from workbench.access import Action
from workbench.api.services.calc.validate import check_expression, expressions_on_object
from workbench.api.services.definition_access import validate_expression
from workbench.api.services.objects import definition_info, object_info
from workbench.errors import InvalidValue, NotFound
from workbench.metamodel import ValueType, parse_time
from workbench.model import AttributeInfo, ObjectInfo
from workbench.store import objects as q

if TYPE_CHECKING:
    from workbench.api.context import Context

__all__ = ["TimeseriesValue", "read_value", "stored_values", "write_value"]


class TimeseriesValue:
    """What a timeseries attribute holds: a sensor reference, a local expression, or its template.

    ``expression`` is the one in effect: the local expression when set, else the template.
    """

    def __init__(self, sensor_id: int | None, local: str | None, template: str | None) -> None:
        self.sensor_id = sensor_id
        self.local_expression = local
        self.template = template

    @property
    def expression(self) -> str | None:
        return self.local_expression if self.local_expression is not None else self.template

    @property
    def source(self) -> str:
        """``"sensor"``, ``"local"``, ``"template"`` or ``"none"``: which one is in effect."""
        if self.sensor_id is not None:
            return "sensor"
        if self.local_expression is not None:
            return "local"
        return "template" if self.template is not None else "none"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.sensor_id is not None:
            out["sensor"] = self.sensor_id
        if self.local_expression is not None:
            out["expression"] = self.local_expression
        return out

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TimeseriesValue) and (
            self.sensor_id,
            self.local_expression,
            self.template,
        ) == (other.sensor_id, other.local_expression, other.template)

    def __repr__(self) -> str:
        return f"<TimeseriesValue {self.source}: {self.expression or self.sensor_id}>"


_CURVES: dict[ValueType, Any] = {
    ValueType.XY_SET: curves.XYSet,
    ValueType.VERSIONED_XY_SET: curves.VersionedXYSet,
    ValueType.RATING_CURVE: curves.RatingCurve,
}


def stored_values(ctx: Context, obj: ObjectInfo) -> Mapping[str, Any]:
    """The object's stored values as they are now, by attribute definition id (as text)."""
    with ctx.tx(read=True) as s:
        rows = q.object_rows(s, [obj.id], ctx.principal.readable_accounts())
    if not rows:
        raise NotFound("object", obj.full_name)
    return rows[0].values or {}


def read_value(ctx: Context, obj: ObjectInfo, info: AttributeInfo) -> Any:
    """The Python value of a stored attribute (not a relation: see the module's docstring)."""
    vt = info.value_type
    if vt.is_ownership or vt.is_link or vt.is_versioned_link:
        raise InvalidValue(f"attribute {info.name!r} is {vt.value}: a relation, not a stored value")
    values = stored_values(ctx, obj)
    key = str(info.id)
    stored = values[key] if key in values else info.spec.empty_value()
    if vt is ValueType.UTC_TIME:
        if info.spec.array:
            return [parse_time(v) for v in stored]
        return None if stored is None else parse_time(stored)
    if vt is ValueType.TIMESERIES:
        stored = stored or {}
        return TimeseriesValue(stored.get("sensor"), stored.get("expression"), info.spec.template)
    if stored is None:
        return None
    if vt in _CURVES:
        return _CURVES[vt].from_dict(stored)
    return list(stored) if isinstance(stored, list) else stored


def _encode(info: AttributeInfo, value: Any) -> Any:
    vt = info.value_type
    if vt.is_simple:
        return info.spec.validate(value)
    if vt in _CURVES:
        if value is None:
            return None
        kind = _CURVES[vt]
        if isinstance(value, Mapping):
            value = kind.from_dict(value)
        if not isinstance(value, kind):
            raise InvalidValue(f"attribute {info.name!r} takes a {kind.__name__}, got {value!r}")
        return value.to_dict()
    if vt is ValueType.TIMESERIES:
        return _encode_timeseries(info, value)
    raise InvalidValue(
        f"attribute {info.name!r} is {vt.value}: use add_child/move for ownership, set_links for "
        "links and add_link_version for versioned links"
    )


def _encode_timeseries(info: AttributeInfo, value: Any) -> Any:
    if value is None:
        return {}
    if isinstance(value, TimeseriesValue):
        value = value.to_dict()
    if isinstance(value, str):
        validate_expression(value)
        return {"expression": value}
    if isinstance(value, Mapping) and set(value) <= {"sensor", "expression"}:
        if "expression" in value:
            validate_expression(value["expression"])
        return dict(value)
    sensor_id = getattr(value, "sensor_id", None) or getattr(value, "id", None)
    if type(value).__name__ == "Sensor" and isinstance(sensor_id, int):
        return {"sensor": sensor_id}
    raise InvalidValue(
        f"attribute {info.name!r} is a timeseries: give a sensor, an expression text, or None "
        f"to fall back to the template; got {value!r}"
    )


def write_value(ctx: Context, obj: ObjectInfo, info: AttributeInfo, value: Any) -> ObjectInfo:
    """Validate and store an attribute's value; returns the object as it is now.

    A local expression is checked as when it is saved (see
    :func:`workbench.api.services.calc.validate.check_expression`); the write refuses an
    object changed since ``obj`` was read (optimistic locking).
    """
    stored = _encode(info, value)
    with ctx.tx() as s:
        ctx.check(Action.UPDATE, obj.account_id, f"{obj.full_name}.{info.name}")
        if isinstance(stored, dict) and stored.get("expression") is not None:
            od = definition_info(ctx, obj.definition_id)
            on_object = expressions_on_object(
                stored_values(ctx, obj), od, info, sensor="sensor" in stored
            )
            check_expression(
                ctx, od.definition_id, od.id, stored["expression"], info.spec.unit,
                f"expression of {obj.full_name}.{info.name}", attribute=info.name,
                on_object=on_object,
            )
        q.set_values(s, obj.id, obj.version, {str(info.id): stored})
    return object_info(ctx, obj.id)
