"""Models as plain data: the object tree, values and links by full name; import in one go."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from workbench.api.definitions import ModelDefinition
from workbench.api.exchange.data import (
    FORMAT,
    HEADER,
    MAP,
    MODEL_KIND,
    TEXT,
    Accepts,
    Data,
    checked_items,
    fields,
    header,
    located,
    put,
    typed,
)
from workbench.api.objects import Attribute, Object
from workbench.errors import InvalidValue
from workbench.metamodel import ValueType, format_time

if TYPE_CHECKING:
    from workbench.api.workspace import Workspace

__all__ = ["export_model", "import_model"]

_MODEL_KEYS: dict[str, Accepts] = {**HEADER, "definition": TEXT, "root": MAP}
_OBJECT_KEYS: dict[str, Accepts] = {
    "name": TEXT,
    "type": TEXT,
    "attributes": MAP,
    "children": MAP,
}
_VERSION_KEYS: dict[str, Accepts] = {"valid_from": TEXT, "target": TEXT}
_UNCHANGED: Final = object()  # an attribute that holds what a new object would hold
_CURVES = {ValueType.XY_SET, ValueType.VERSIONED_XY_SET, ValueType.RATING_CURVE}


# -- exporting models ----------------------------------------------------------------------------


def export_model(model: Object) -> Data:
    """A model as plain data: its object tree, values, links and versioned links by full name.

    Attributes that hold what a new object would hold (the default, nothing) are left out.
    """
    if not model.is_model:
        raise InvalidValue(
            f"{model.full_name} is not a model; export_model takes a model's root object, "
            f"here {model.model.full_name}"
        )
    with model.ws.transaction():
        return {
            "kind": MODEL_KIND,
            "format": FORMAT,
            "definition": model.definition.model_definition.name,
            "root": _export_object(model),
        }


def _export_object(obj: Object) -> Data:
    d: Data = {"name": obj.name, "type": obj.type_name}
    attributes: Data = {}
    children: Data = {}
    for a in obj.attributes():
        if a.value_type.is_ownership:
            put(children, a.name, [_export_object(c) for c in obj.children(a.name)], [])
        elif (value := _export_value(a)) is not _UNCHANGED:
            attributes[a.name] = value
    put(d, "attributes", attributes, {})
    put(d, "children", children, {})
    return d


def _time_text(value: Any) -> Any:
    return [_time_text(v) for v in value] if isinstance(value, list) else format_time(value)


def _export_value(a: Attribute) -> Any:
    """The exported form of a value, or _UNCHANGED when it holds what a new object holds."""
    vt, spec, value = a.value_type, a.spec, a.value
    if vt.is_simple:
        if vt is ValueType.UTC_TIME and value is not None:
            value = _time_text(value)
        value, empty = typed(vt, value), spec.empty_value()
        same = value == empty and type(value) is type(empty)
        return _UNCHANGED if same else value  # None too, when set to nothing despite a default
    if vt is ValueType.TIMESERIES:
        if value.sensor_id is not None:
            raise InvalidValue(
                f"{a.full_name} refers to the sensor with id {value.sensor_id}; references to "
                "sensors cannot be exported yet, only expressions"
            )
        expression = value.local_expression
        return _UNCHANGED if expression is None else {"expression": expression}
    if vt in _CURVES:
        return _UNCHANGED if value is None else value.to_dict()
    if vt is ValueType.LINK_ONE:
        return _UNCHANGED if value is None else value.full_name
    if vt is ValueType.LINK_MANY:
        return [t.full_name for t in value] or _UNCHANGED
    entries = [(format_time(t), None if o is None else o.full_name) for t, o in value]
    entries.sort(key=lambda e: (e[0], e[1] is None, e[1] or ""))
    return [{"valid_from": t, "target": o} for t, o in entries] or _UNCHANGED


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
        for obj, attribute, value in relations:  # once every object exists
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
            value = fields(
                value, attribute.full_name, {"expression": TEXT}, ("expression",), InvalidValue
            )["expression"]
        with located(attribute.full_name):
            attribute.set(value)
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


def _target(ws: Workspace, full_name: Any) -> Object:
    if not isinstance(full_name, str):
        raise InvalidValue(f"a link target is the full name of an object, got {full_name!r:.80}")
    return ws.object(full_name)


def _import_relation(ws: Workspace, obj: Object, attribute: Attribute, value: Any) -> None:
    vt = attribute.value_type
    if vt is ValueType.LINK_ONE:
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
