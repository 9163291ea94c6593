"""Models as plain data: the object tree, values and links by full name; import in one go."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import pandas as pd

from workbench.api.exchange.data import (
    FORMAT,
    HEADER,
    LIST,
    MAP,
    MODEL_KIND,
    TEXT,
    Accepts,
    Data,
    checked_items,
    fields,
    header,
    json_data,
    located,
    put,
    typed,
)
from workbench.api.handles.definitions import ModelDefinition
from workbench.api.handles.objects import Attribute, Object
from workbench.api.services.snapshot import ModelSnapshot, ObjectRecord, read_model
from workbench.beliefs import ExPost, parse_rule
from workbench.curves import RatingCurve, VersionedXYSet, XYSet
from workbench.errors import InvalidValue
from workbench.metamodel import ValueType, format_time, parse_time
from workbench.model import AttributeInfo
from workbench.store.timeseries import SensorRow

if TYPE_CHECKING:
    from workbench.api.workspace import Workspace

__all__ = ["export_model", "import_model"]

_MODEL_KEYS: dict[str, Accepts] = {**HEADER, "definition": TEXT, "root": MAP}
_OBJECT_KEYS: dict[str, Accepts] = {
    "name": TEXT,
    "type": TEXT,
    "attributes": MAP,
    "sensors": LIST,
    "children": MAP,
}
_TIMESERIES_KEYS: dict[str, Accepts] = {"sensor": TEXT, "expression": TEXT}
_SENSOR_KEYS: dict[str, Accepts] = {
    "name": TEXT,
    "unit": TEXT,
    "timezone": TEXT,
    "resolution": TEXT,
    "knowledge_time": MAP,
    "curve_type": TEXT,
    "catalog_path": TEXT,
    "attributes": MAP,
}
_VERSION_KEYS: dict[str, Accepts] = {"valid_from": TEXT, "target": TEXT}
_UNCHANGED: Final = object()  # an attribute that holds what a new object would hold
_CURVES: dict[ValueType, Any] = {
    ValueType.XY_SET: XYSet,
    ValueType.VERSIONED_XY_SET: VersionedXYSet,
    ValueType.RATING_CURVE: RatingCurve,
}


# -- exporting models ----------------------------------------------------------------------------


def export_model(model: Object) -> Data:
    """A model as plain data: its object tree, values, links, versioned links and sensors.

    Objects and links are named by full name, sensors by ``<object full name>:<sensor name>``.
    Attributes that hold what a new object would hold (the default, nothing) are left out. The
    model is read in a handful of queries, however many objects it has.
    """
    if not model.is_model:
        raise InvalidValue(
            f"{model.full_name} is not a model; export_model takes a model's root object, "
            f"here {model.model.full_name}"
        )
    with model.ws.transaction():
        snapshot = read_model(model.ws._ctx, model.info)
        return {
            "kind": MODEL_KIND,
            "format": FORMAT,
            "definition": model.definition.model_definition.name,
            "root": _export_object(snapshot, snapshot.root),
        }


def _export_object(snapshot: ModelSnapshot, obj: ObjectRecord) -> Data:
    d: Data = {"name": obj.name, "type": obj.definition.name}
    attributes: Data = {}
    children: Data = {}
    for a in obj.definition.attributes:
        if a.value_type.is_ownership:
            owned = [_export_object(snapshot, c) for c in snapshot.owned(obj, a)]
            put(children, a.name, owned, [])
        elif (value := _export_value(snapshot, obj, a)) is not _UNCHANGED:
            attributes[a.name] = value
    put(d, "attributes", attributes, {})
    put(d, "sensors", [_export_sensor(x) for x in snapshot.sensors.get(obj.id, [])], [])
    put(d, "children", children, {})
    return d


def _time_text(value: Any) -> Any:
    return [_time_text(v) for v in value] if isinstance(value, list) else format_time(value)


def _export_value(snapshot: ModelSnapshot, obj: ObjectRecord, a: AttributeInfo) -> Any:
    """The exported form of a value, or _UNCHANGED when it holds what a new object holds."""
    vt, spec = a.value_type, a.spec
    if vt.is_simple:
        value = obj.stored(a)
        if vt is ValueType.UTC_TIME and value is not None:
            value = _time_text([parse_time(v) for v in value] if spec.array else parse_time(value))
        value, empty = typed(vt, value), spec.empty_value()
        same = value == empty and type(value) is type(empty)
        return _UNCHANGED if same else value  # None too, when set to nothing despite a default
    if vt is ValueType.TIMESERIES:
        return _export_timeseries(snapshot, obj, a)
    if vt in _CURVES:
        stored = obj.stored(a)
        return _UNCHANGED if stored is None else _CURVES[vt].from_dict(stored).to_dict()
    entries = snapshot.targets(obj, a)
    if vt.is_link:
        names = [snapshot.full_name(t) for t, _ in entries if t is not None]
        targets = [n for n in names if n is not None]
        if vt is ValueType.LINK_ONE:
            return targets[0] if targets else _UNCHANGED
        return targets or _UNCHANGED
    versions = [
        (format_time(valid_from), None if t is None else snapshot.full_name(t))
        for t, valid_from in entries
        if valid_from is not None
    ]
    versions.sort(key=lambda e: (e[0], e[1] is None, e[1] or ""))
    return [{"valid_from": t, "target": o} for t, o in versions] or _UNCHANGED


def _export_timeseries(snapshot: ModelSnapshot, obj: ObjectRecord, a: AttributeInfo) -> Any:
    stored = obj.stored(a) or {}
    out: Data = {}
    sensor_id = stored.get("sensor")
    if sensor_id is not None:
        name = snapshot.sensor_name(sensor_id)
        if name is None:
            raise InvalidValue(
                f"{obj.full_name}.{a.name} refers to the sensor with id {sensor_id}, which does "
                "not exist or which you may not read; point it at another sensor (or None) "
                "before exporting"
            )
        out["sensor"] = name
    put(out, "expression", stored.get("expression"))
    return out or _UNCHANGED


def _export_sensor(row: SensorRow) -> Data:
    d: Data = {"name": row.name, "unit": row.unit, "timezone": row.timezone}
    d["resolution"] = duration_text(pd.Timedelta(row.resolution_us, unit="us"))
    rule = parse_rule(row.knowledge_time or {"type": "ex_post"})
    if not isinstance(rule, ExPost):
        d["knowledge_time"] = json_data({k: v for k, v in rule.to_dict().items() if v is not None})
    put(d, "curve_type", row.curve_type, "step")
    put(d, "catalog_path", row.catalog_path, "")
    put(d, "attributes", json_data(row.attributes or {}), {})
    return d


def duration_text(value: pd.Timedelta) -> str:
    """A duration as compact ISO 8601 text: ``PT15M``, ``PT1H``, ``P1D``, ``PT0S``.

    >>> duration_text(pd.Timedelta("1D")), duration_text(pd.Timedelta("90min"))
    ('P1D', 'PT1H30M')
    """
    micro = int(value / pd.Timedelta(1, "us"))
    days, micro = divmod(micro, 86_400_000_000)
    hours, micro = divmod(micro, 3_600_000_000)
    minutes, micro = divmod(micro, 60_000_000)
    seconds = f"{micro / 1e6:.6f}".rstrip("0").rstrip(".")
    clock = "".join(f"{n}{u}" for n, u in ((hours, "H"), (minutes, "M")) if n)
    clock += f"{seconds}S" if micro else ""
    text = ("P" + (f"{days}D" if days else "")) + (f"T{clock}" if clock else "")
    return text if text != "P" else "PT0S"


# -- importing models ----------------------------------------------------------------------------


def import_model(
    ws: Workspace, data: Mapping[str, Any], definition: ModelDefinition | str | None = None
) -> Object:
    """Create a model from :func:`export_model` data, in one transaction.

    Parameters
    ----------
    ws
        Where to create it.
    data
        The exported data (say from :func:`load_yaml`).
    definition
        The model definition to build on; by default the one the data names.

    Raises InvalidValue (naming the object and attribute) or NotFound when the data breaks a rule
    or a model of that name exists; then nothing is created.
    """
    d = header(data, MODEL_KIND, _MODEL_KEYS, ("definition", "root"), InvalidValue)
    root = fields(d["root"], "root", _OBJECT_KEYS, ("name", "type"), InvalidValue)
    if any(m.name == root["name"] for m in ws.models()):
        raise InvalidValue(
            f"cannot import the model {root['name']!r}: one of that name exists; delete or "
            "rename it first"
        )
    with ws.transaction():
        md = (
            definition
            if isinstance(definition, ModelDefinition)
            else ws.model_definition(definition or d["definition"])
        )
        with located("root"):
            model = ws.create_model(root["name"], md, root["type"])
        relations: list[tuple[Object, Attribute, Any]] = []
        _build(model, root, relations)
        # once every object exists; local expressions alone last (see _build)
        relations.sort(
            key=lambda r: r[1].value_type is ValueType.TIMESERIES and "sensor" not in r[2]
        )
        for obj, attribute, value in relations:
            with located(attribute.full_name):
                _import_relation(ws, obj, attribute, value)
        return model.refresh()


def _build(obj: Object, d: Data, relations: list[tuple[Object, Attribute, Any]]) -> None:
    for name, value in d.get("attributes", {}).items():
        with located(obj.full_name):
            attribute = obj.attribute(name)
        vt = attribute.value_type
        if vt.is_ownership:
            raise InvalidValue(
                f"{attribute.full_name} is an ownership attribute; list its objects under "
                "'children'"
            )
        if vt.is_link or vt.is_versioned_link:
            relations.append((obj, attribute, value))
            continue
        if vt is ValueType.TIMESERIES:
            # Its sensor may sit on an object made later; a local expression is checked against
            # what the object's other series hold, so it waits for their sensors.
            relations.append((obj, attribute, _timeseries(attribute, value)))
            continue
        with located(attribute.full_name):
            attribute.set(value)
    for where, sensor in checked_items(
        d.get("sensors"), f"{obj.full_name}.sensors", _SENSOR_KEYS, ("name",), InvalidValue
    ):
        with located(where):
            obj.add_sensor(sensor.pop("name"), **sensor)
    for owner, items in d.get("children", {}).items():
        where = f"{obj.full_name}.{owner}"
        if not isinstance(items, list):
            raise InvalidValue(f"{where} must hold a list of objects, got {items!r:.80}")
        kids = [
            fields(item, f"{where}[{i}]", _OBJECT_KEYS, ("name", "type"), InvalidValue)
            for i, item in enumerate(items)
        ]
        # One batch per run of objects of the same type keeps the order of the list.
        for type_name, run in itertools.groupby(kids, key=lambda k: k["type"]):
            batch = list(run)
            with located(where):
                created = obj.add_children(owner, [k["name"] for k in batch], type_name)
            for child, k in zip(created, batch, strict=True):
                _build(child, k, relations)


def _timeseries(attribute: Attribute, value: Any) -> Data:
    found = fields(value, attribute.full_name, _TIMESERIES_KEYS, (), InvalidValue)
    if not found:
        raise InvalidValue(
            f"{attribute.full_name} takes a sensor ('Model/...:name'), an expression or both"
        )
    return found


def _target(ws: Workspace, full_name: Any) -> Object:
    if not isinstance(full_name, str):
        raise InvalidValue(f"a link target is the full name of an object, got {full_name!r:.80}")
    return ws.object(full_name)


def _import_relation(ws: Workspace, obj: Object, attribute: Attribute, value: Any) -> None:
    vt = attribute.value_type
    if vt is ValueType.TIMESERIES:
        if "sensor" in value:
            attribute.set({**value, "sensor": ws.sensor(value["sensor"]).id})
        else:
            attribute.set(value["expression"])
    elif vt is ValueType.LINK_ONE:
        obj.set_links(attribute.name, _target(ws, value))
    elif vt is ValueType.LINK_MANY:
        if not isinstance(value, list):
            raise InvalidValue(f"a link_many attribute takes a list of full names, got {value!r}")
        obj.set_links(attribute.name, [_target(ws, v) for v in value])
    else:
        if not isinstance(value, list):
            raise InvalidValue(
                "a versioned link takes a list of {valid_from, target} entries, got "
                f"{value!r:.80}"
            )
        for where, entry in checked_items(
            value, "versions", _VERSION_KEYS, ("valid_from",), InvalidValue
        ):
            with located(where):
                target = None if "target" not in entry else _target(ws, entry["target"])
                obj.add_link_version(attribute.name, target, entry["valid_from"])
