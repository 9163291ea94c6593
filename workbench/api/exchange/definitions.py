"""Model definitions as plain data: export by name and path, import in one transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from workbench.api.exchange.data import (
    DEFINITION_KIND,
    FORMAT,
    HEADER,
    LIST,
    MAP,
    TEXT,
    Accepts,
    Data,
    checked_items,
    header,
    json_data,
    located,
    put,
    typed,
)
from workbench.api.handles.definition_attributes import (
    AttributeDefinition,
    AttributeType,
    ObjectDefinition,
)
from workbench.api.handles.definition_base import Namespace
from workbench.api.handles.definitions import ModelDefinition, definition_name_taken
from workbench.errors import InvalidDefinition

if TYPE_CHECKING:
    from workbench.api.accounts import AccountRef
    from workbench.api.workspace import Workspace

__all__ = ["export_definition", "import_definition"]

_DEFINITION_KEYS: dict[str, Accepts] = {
    **HEADER,
    "name": TEXT,
    "description": TEXT,
    "metadata": MAP,
    "tags": LIST,
    "namespaces": LIST,
    "attribute_types": LIST,
    "template_calculations": LIST,
    "object_definitions": LIST,
}
_TAG_KEYS: dict[str, Accepts] = {"name": TEXT, "description": TEXT}
_NAMESPACE_KEYS: dict[str, Accepts] = {
    "name": TEXT,
    "description": TEXT,
    "metadata": MAP,
    "namespaces": LIST,
}
_TYPE_KEYS: dict[str, Accepts] = {
    "name": TEXT,
    "value_type": TEXT,
    "namespace": TEXT,
    "unit": TEXT,
    "description": TEXT,
    "default": None,
    "allowed": LIST,
    "tags": LIST,
}
_CALC_KEYS: dict[str, Accepts] = {"name": TEXT, "expression": TEXT, "description": TEXT}
_OBJECT_DEFINITION_KEYS: dict[str, Accepts] = {
    "name": TEXT,
    "namespace": TEXT,
    "description": TEXT,
    "tags": LIST,
    "metadata": MAP,
    "attributes": LIST,
}
_ATTRIBUTE_KEYS: dict[str, Accepts] = {
    "name": TEXT,
    "value_type": TEXT,
    "attribute_type": TEXT,
    "overrides": LIST,
    "description": TEXT,
    "unit": TEXT,
    "array": (bool,),
    "min_count": (int,),
    "max_count": (int,),
    "default": None,
    "minimum": None,
    "maximum": None,
    "allowed": LIST,
    "target": TEXT,
    "template": TEXT,
    "template_calculation": TEXT,
    "namespace": TEXT,
    "tags": LIST,
    "metadata": MAP,
}
# Passed to ObjectDefinition.add_attribute as they are.
_PLAIN_ARGUMENTS = (
    "array",
    "min_count",
    "max_count",
    "default",
    "minimum",
    "maximum",
    "allowed",
    "target",
    "namespace",
    "tags",
    "metadata",
)
_OVERRIDABLE = ("name", "description", "unit")
# Set once every attribute of the definition exists.
_EXPRESSIONS = ("template", "template_calculation")


# -- exporting -----------------------------------------------------------------------------------


def export_definition(md: ModelDefinition) -> Data:
    """The model definition as plain data (see the module docstring); elements in creation order."""
    with md.ws.transaction():
        d: Data = {"kind": DEFINITION_KIND, "format": FORMAT, "name": md.name}
        put(d, "description", md.description, "")
        put(d, "metadata", json_data(md.metadata), {})
        put(d, "tags", [_named(t.name, t.description) for t in md.tags()], [])
        put(d, "namespaces", [_export_namespace(n) for n in md.namespaces()], [])
        put(d, "attribute_types", [_export_type(t) for t in md.attribute_types()], [])
        calcs = [
            {**_named(c.name, c.description, "expression", c.expression)}
            for c in md.template_calculations()
        ]
        put(d, "template_calculations", calcs, [])
        ods = [_export_object_definition(od) for od in md.object_definitions()]
        put(d, "object_definitions", ods, [])
        return d


def _named(name: str, description: str, key: str | None = None, value: Any = None) -> Data:
    d: Data = {"name": name}
    if key is not None:
        d[key] = value
    put(d, "description", description, "")
    return d


def _export_namespace(ns: Namespace) -> Data:
    d = _named(ns.name, ns.description)
    put(d, "metadata", json_data(ns.metadata), {})
    put(d, "namespaces", [_export_namespace(n) for n in ns.namespaces()], [])
    return d


def _export_type(at: AttributeType) -> Data:
    vt = at.value_type
    d: Data = {"name": at.name, "value_type": vt.value}
    put(d, "namespace", at.namespace, "")
    put(d, "unit", at.unit, "")
    put(d, "description", at.description, "")
    put(d, "default", typed(vt, at.default))
    put(d, "allowed", None if at.allowed is None else typed(vt, list(at.allowed)))
    put(d, "tags", list(at.tags), [])
    return d


def _export_object_definition(od: ObjectDefinition) -> Data:
    d: Data = {"name": od.name}
    put(d, "namespace", od.namespace, "")
    put(d, "description", od.description, "")
    put(d, "tags", list(od.tags), [])
    put(d, "metadata", json_data(od.metadata), {})
    put(d, "attributes", [_export_attribute(a) for a in od.attributes()], [])
    return d


def _export_attribute(ad: AttributeDefinition) -> Data:
    spec, at, vt = ad.spec, ad.attribute_type, ad.value_type
    d: Data = {"name": spec.name, "value_type": vt.value}
    if at is not None:
        d["attribute_type"] = at.name
        put(d, "overrides", list(ad.overrides), [])
    put(d, "description", spec.description, "")
    put(d, "unit", spec.unit, "")
    put(d, "array", spec.array, False)
    put(d, "min_count", spec.min_count, 0)
    put(d, "max_count", spec.max_count)
    for key in ("default", "minimum", "maximum"):
        put(d, key, typed(vt, getattr(spec, key)))
    put(d, "allowed", None if spec.allowed is None else typed(vt, list(spec.allowed)))
    put(d, "target", spec.target)
    # The template text and the shared template calculation are kept apart (spec merges them).
    put(d, "template", ad.template)
    calc = ad.template_calculation
    if calc is not None:
        d["template_calculation"] = calc.name
    put(d, "namespace", ad.namespace)
    put(d, "tags", list(ad.own_tags), [])  # its type's tags come with the type
    put(d, "metadata", json_data(ad.metadata), {})
    return d


# -- importing definitions -----------------------------------------------------------------------


def import_definition(
    ws: Workspace, data: Mapping[str, Any], account: AccountRef | None = None
) -> ModelDefinition:
    """Create a model definition from :func:`export_definition` data, in one transaction.

    The definition belongs to ``account`` as for :meth:`Workspace.create_model_definition`
    (without it: shared when an admin imports it, else the user's own account's). Raises
    InvalidDefinition (naming where in the data) when the data breaks a rule or a model
    definition of that name exists; then nothing is created.
    """
    d = header(data, DEFINITION_KIND, _DEFINITION_KEYS, ("name",), InvalidDefinition)
    name = d["name"]
    if definition_name_taken(ws, name, account):
        raise InvalidDefinition(
            f"cannot import the model definition {name!r}: one of that name exists; delete or "
            "rename it first"
        )
    with ws.transaction():
        md = ws.create_model_definition(name, d.get("description", ""), d.get("metadata"), account)
        for where, t in checked_items(d.get("tags"), "tags", _TAG_KEYS, ("name",)):
            with located(where):
                md.create_tag(t["name"], t.get("description", ""))
        _import_namespaces(md, d.get("namespaces"), "namespaces")
        types = _import_types(md, d.get("attribute_types"))
        for where, c in checked_items(
            d.get("template_calculations"),
            "template_calculations",
            _CALC_KEYS,
            ("name", "expression"),
        ):
            with located(where):
                md.create_template_calculation(c["name"], c["expression"], c.get("description", ""))
        _import_object_definitions(md, d.get("object_definitions"), types)
        return md


def _import_namespaces(parent: Namespace, items: Any, where: str) -> None:
    for at, n in checked_items(items, where, _NAMESPACE_KEYS, ("name",)):
        with located(at):
            ns = parent.create_namespace(n["name"], n.get("description", ""), n.get("metadata"))
        _import_namespaces(ns, n.get("namespaces"), f"{at}.namespaces")


class _TypeRegistry:
    """The imported attribute types by name, and their descriptions while definitions are added.

    An attribute definition keeps the description its type had when it was made (a type's
    description does not propagate), so the type's description is set to that one while the
    definition is added, and to its own at the end.
    """

    def __init__(self) -> None:
        self.by_name: dict[str, AttributeType] = {}
        self.final: dict[str, str] = {}
        self.current: dict[str, str] = {}

    def get(self, name: str, where: str) -> AttributeType:
        if name not in self.by_name:
            raise InvalidDefinition(
                f"{where}: attribute type {name!r} is not defined; defined: {sorted(self.by_name)}"
            )
        return self.by_name[name]

    def describe(self, name: str, description: str) -> None:
        if self.current[name] != description:
            self.by_name[name].set_description(description)
            self.current[name] = description

    def restore(self) -> None:
        for name, description in self.final.items():
            self.describe(name, description)


def _import_types(md: ModelDefinition, items: Any) -> _TypeRegistry:
    types = _TypeRegistry()
    for where, t in checked_items(items, "attribute_types", _TYPE_KEYS, ("name", "value_type")):
        with located(where):
            types.by_name[t["name"]] = md.create_attribute_type(
                t["name"],
                t["value_type"],
                unit=t.get("unit", ""),
                description=t.get("description", ""),
                default=t.get("default"),
                allowed=t.get("allowed"),
                namespace=t.get("namespace"),
                tags=t.get("tags", ()),
            )
        types.final[t["name"]] = types.current[t["name"]] = t.get("description", "")
    return types


def _import_object_definitions(md: ModelDefinition, items: Any, types: _TypeRegistry) -> None:
    # Every object definition first: attributes may target ones listed later.
    created: list[tuple[ObjectDefinition, str, Any]] = []
    for where, o in checked_items(items, "object_definitions", _OBJECT_DEFINITION_KEYS, ("name",)):
        with located(where):
            od = md.create_object_definition(
                o["name"],
                o.get("namespace"),
                description=o.get("description", ""),
                tags=o.get("tags", ()),
                metadata=o.get("metadata"),
            )
        created.append((od, where, o.get("attributes")))
    # Then every attribute, templates last: a template may look up an attribute listed later
    # and is checked against the whole object definition when it is set.
    templates: list[tuple[AttributeDefinition, str, Any, Any]] = []
    for od, where, attributes in created:
        for at, a in checked_items(
            attributes, f"{where}.attributes", _ATTRIBUTE_KEYS, ("name", "value_type")
        ):
            with located(at):
                expressions = (a.get("template"), a.get("template_calculation"))
                plain = {k: v for k, v in a.items() if k not in _EXPRESSIONS}
                ad = _import_attribute(od, plain, types, at)
                if expressions != (None, None):
                    templates.append((ad, at, *expressions))
    types.restore()
    for ad, at, template, calculation in templates:
        with located(at):
            ad._set_expressions(template, calculation)


def _import_attribute(
    od: ObjectDefinition, a: Data, types: _TypeRegistry, where: str
) -> AttributeDefinition:
    plain = {k: a[k] for k in _PLAIN_ARGUMENTS if k in a}
    if "attribute_type" not in a:
        if "overrides" in a:
            raise InvalidDefinition(
                "'overrides' applies only to an attribute built on an attribute_type"
            )
        return od.add_attribute(
            a["name"],
            a["value_type"],
            description=a.get("description", ""),
            unit=a.get("unit", ""),
            **plain,
        )
    type_name = a["attribute_type"]
    at = types.get(type_name, where)
    overrides = a.get("overrides", [])
    for field in overrides:
        if field not in _OVERRIDABLE:
            raise InvalidDefinition(
                f"cannot override {field!r}; an attribute may override {list(_OVERRIDABLE)}"
            )
    for field, inherited in (("name", at.name), ("unit", at.unit)):
        given = a.get(field, "")
        if field not in overrides and given != inherited:
            raise InvalidDefinition(
                f"{field} {given!r} differs from {inherited!r} of its attribute type "
                f"{type_name!r}; list {field!r} under overrides to set it here"
            )
    if "description" not in overrides:
        types.describe(type_name, a.get("description", ""))
    local = {f: a.get(f, "") for f in overrides}
    return od.add_attribute(value_type=a["value_type"], attribute_type=at, **local, **plain)
