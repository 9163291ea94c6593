"""Reading and writing attribute values of every value type, validated before storing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from workbench.access import Action
from workbench.errors import InvalidValue
from workbench.metamodel import ValueType, parse_time
from workbench.model import AttributeInfo
from workbench.store import objects as q

if TYPE_CHECKING:
    from workbench.api.objects import Object
    from workbench.api.workspace import Workspace

__all__ = ["TimeseriesValue", "read_value", "write_value"]


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


def _values(ws: Workspace, obj: Object) -> Mapping[str, Any]:
    """The object's stored values as they are now, by attribute definition id."""
    with ws._tx() as s:
        rows = q.object_rows(s, [obj.id], ws.principal.readable_accounts())
    if not rows:
        from workbench.errors import NotFound

        raise NotFound("object", obj.full_name)
    return rows[0].values or {}


def _stored(ws: Workspace, obj: Object, info: AttributeInfo) -> Any:
    values = _values(ws, obj)
    key = str(info.id)
    return values[key] if key in values else info.spec.empty_value()


def read_value(ws: Workspace, obj: Object, info: AttributeInfo) -> Any:
    """The Python value of an attribute (see DESIGN.md for each value type)."""
    from workbench import curves

    vt = info.value_type
    if vt.is_ownership:
        children = obj.children(info.name)
        return children if vt is ValueType.OWNERSHIP_MANY else (children[0] if children else None)
    if vt.is_link:
        targets = obj.links(info.name)
        return targets if vt is ValueType.LINK_MANY else (targets[0] if targets else None)
    if vt.is_versioned_link:
        return obj.link_history(info.name)
    stored = _stored(ws, obj, info)
    if vt is ValueType.UTC_TIME:
        return (
            [parse_time(v) for v in stored]
            if info.spec.array
            else (None if stored is None else parse_time(stored))
        )
    if vt is ValueType.TIMESERIES:
        stored = stored or {}
        return TimeseriesValue(stored.get("sensor"), stored.get("expression"), info.spec.template)
    if stored is None:
        return None
    if vt is ValueType.XY_SET:
        return curves.XYSet.from_dict(stored)
    if vt is ValueType.VERSIONED_XY_SET:
        return curves.VersionedXYSet.from_dict(stored)
    if vt is ValueType.RATING_CURVE:
        return curves.RatingCurve.from_dict(stored)
    return list(stored) if isinstance(stored, list) else stored


def _encode(info: AttributeInfo, value: Any) -> Any:
    from workbench import curves

    vt = info.value_type
    if vt.is_simple:
        return info.spec.validate(value)
    kinds: dict[ValueType, Any] = {
        ValueType.XY_SET: curves.XYSet,
        ValueType.VERSIONED_XY_SET: curves.VersionedXYSet,
        ValueType.RATING_CURVE: curves.RatingCurve,
    }
    if vt in kinds:
        if value is None:
            return None
        kind = kinds[vt]
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
    from workbench.api.base import _validate_expression

    if value is None:
        return {}
    if isinstance(value, TimeseriesValue):
        value = value.to_dict()
    if isinstance(value, str):
        _validate_expression(value)
        return {"expression": value}
    if isinstance(value, Mapping) and set(value) <= {"sensor", "expression"}:
        if "expression" in value:
            _validate_expression(value["expression"])
        return dict(value)
    sensor_id = getattr(value, "sensor_id", None) or getattr(value, "id", None)
    if type(value).__name__ == "Sensor" and isinstance(sensor_id, int):
        return {"sensor": sensor_id}
    raise InvalidValue(
        f"attribute {info.name!r} is a timeseries: give a sensor, an expression text, or None "
        f"to fall back to the template; got {value!r}"
    )


def write_value(ws: Workspace, obj: Object, info: AttributeInfo, value: Any) -> None:
    """Validate and store an attribute's value (one transaction, optimistic locking)."""
    stored = _encode(info, value)
    ws._check(Action.UPDATE, obj.account_id, f"{obj.full_name}.{info.name}")
    if isinstance(stored, dict) and stored.get("expression") is not None:
        from workbench.api.calc_validate import check_expression, expressions_on_object

        where = f"expression of {obj.full_name}.{info.name}"
        od = obj.definition_info
        check_expression(
            ws,
            od.definition_id,
            od.id,
            stored["expression"],
            info.spec.unit,
            where,
            attribute=info.name,
            on_object=expressions_on_object(_values(ws, obj), od, info, sensor="sensor" in stored),
        )
    with ws._tx() as s:
        q.set_values(s, obj.id, obj.version, {str(info.id): stored})
    obj.refresh()
