"""Objects as records: look-ups by path, id or attribute id, children, models, definitions.

Every function takes the context first, reads in its transaction (joining an open one) and
returns :class:`~workbench.model.ObjectInfo` records, never handles. What the user may not read
is NotFound, with the message of what does not exist.

>>> import workbench as wb
>>> ws = wb.connect("sqlite://")
>>> md = ws.create_model_definition("Demo")
>>> area = md.create_object_definition("Area")
>>> system = md.create_object_definition("System")
>>> _ = system.add_attribute("To_Areas", "ownership_many", target=area)
>>> _ = ws.create_model("M", md, system).add_children("To_Areas", ["North", "South"], area)
>>> found, attribute = lookup(ws._ctx, "Model/M/North")
>>> found.full_name, attribute
('Model/M.To_Areas/North', None)
>>> [o.name for o in children(ws._ctx, object_info(ws._ctx, found.model_id), None)]
['North', 'South']
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from workbench.errors import AmbiguousPath, InvalidValue, NotFound
from workbench.metamodel import ValueType
from workbench.model import AttributeInfo, ObjectDefinitionInfo, ObjectInfo
from workbench.paths import ObjectPath, Segment, check_name, parse_path
from workbench.store import objects as q

if TYPE_CHECKING:
    from sqlalchemy import Row

    from workbench.api.context import Context

__all__ = [
    "Named",
    "check_target",
    "checked_names",
    "children",
    "definition_info",
    "full_names",
    "lookup",
    "models",
    "object_by_key",
    "object_info",
    "record",
    "relation_spec",
    "visible_objects",
]


class Named(Protocol):
    """A definition as the caller holds it (a handle or a record): its id and its name."""

    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...


# -- definitions seen from objects ---------------------------------------------------------


def definition_info(ctx: Context, object_definition_id: int) -> ObjectDefinitionInfo:
    """An object definition as its model definition's catalog has it (cached per transaction)."""
    with ctx.tx(read=True) as s:
        owners: dict[int, int] = s.info.setdefault("od_owner", {})
        if object_definition_id not in owners:
            md = q.owning_definition(s, object_definition_id)
            if md is None:
                raise NotFound("object definition", object_definition_id)
            owners[object_definition_id] = md
        return ctx.catalog(owners[object_definition_id]).object_definitions[object_definition_id]


def relation_spec(
    ctx: Context, obj: ObjectInfo, attribute: str, *kinds: ValueType
) -> AttributeInfo:
    """The attribute definition named ``attribute`` of ``obj``, checked to be of one of ``kinds``."""
    info = definition_info(ctx, obj.definition_id).attribute(attribute)
    if info.value_type not in kinds:
        wanted = " or ".join(k.value for k in kinds)
        raise InvalidValue(
            f"attribute {obj.full_name}.{attribute} is {info.value_type.value}, not {wanted}"
        )
    return info


def check_target(
    attr: AttributeInfo, od: ObjectDefinitionInfo, obj: ObjectInfo, attribute: str
) -> None:
    """Refuse an object of definition ``od`` as a target of ``obj``'s relation ``attribute``."""
    if attr.target_id is not None and attr.target_id != od.id:
        raise InvalidValue(
            f"{obj.full_name}.{attribute} takes objects of type {attr.spec.target!r}, "
            f"not {od.name!r}"
        )


def checked_names(names: Iterable[str]) -> list[str]:
    """Object names, each checked, none given twice."""
    checked = [check_name(n, "object name") for n in names]
    seen: set[str] = set()
    for n in checked:
        if n in seen:
            raise InvalidValue(f"object name {n!r} is given twice")
        seen.add(n)
    return checked


# -- reading objects -----------------------------------------------------------------------


def full_names(ctx: Context, object_id: int) -> tuple[str, tuple[Segment, ...]]:
    """An object's full name (``Model/M.To_A/A``) and its segments, naming every ancestor."""
    with ctx.tx(read=True) as s:
        chain = q.ancestor_chain(s, object_id)
    segments = [Segment(r.name) for r in chain]
    for i in range(len(chain) - 1):
        segments[i] = Segment(chain[i].name, chain[i + 1].via)
    return str(ObjectPath(tuple(segments))), tuple(segments)


def record(row: Row[Any] | tuple[Any, ...], full_name: str) -> ObjectInfo:
    """The record of an object row (the columns of :func:`workbench.store.objects.object_rows`)."""
    # positional, without per-name look-ups: it is hot
    fields: tuple[Any, ...] = tuple(row)
    oid, name, definition_id, parent_id, owner_id, account_id, model_id, version = fields[:8]
    return ObjectInfo(
        oid, name, definition_id, parent_id, owner_id, account_id, model_id or oid, version,
        full_name,
    )


def object_info(ctx: Context, object_id: int) -> ObjectInfo:
    """An object by id; NotFound when it does not exist or the user may not read it."""
    with ctx.tx(read=True) as s:
        rows = q.object_rows(s, [object_id], ctx.principal.readable_accounts())
        if not rows:
            raise NotFound("object", object_id)
        return record(rows[0], full_names(ctx, object_id)[0])


def visible_objects(ctx: Context, ids: Sequence[int]) -> list[ObjectInfo]:
    """The objects the user may read among ``ids``, in the order given; the rest is left out."""
    with ctx.tx(read=True) as s:
        rows = q.object_rows(s, ids, ctx.principal.readable_accounts())
        return [record(r, full_names(ctx, r.id)[0]) for r in rows]


def lookup(ctx: Context, key: str | int | ObjectPath) -> tuple[ObjectInfo, AttributeInfo | None]:
    """An object, and the attribute the key names (or None), by path, id or attribute id.

    A path may be short or full; a short one that matches several objects raises
    AmbiguousPath listing their full names. An attribute id looks like ``"12:7"`` (object id,
    attribute definition id). What does not exist, or what the user may not see, is NotFound.
    """
    if isinstance(key, bool) or not isinstance(key, (str, int, ObjectPath)):
        raise InvalidValue(f"look up by path (str), id (int) or attribute id, got {key!r}")
    if isinstance(key, int):
        return object_info(ctx, key), None
    if isinstance(key, str) and ":" in key and not key.startswith("Model/"):
        obj_id, _, def_id = key.partition(":")
        if not (obj_id.isdigit() and def_id.isdigit()):
            raise InvalidValue(f"attribute id {key!r} must look like '12:7'")
        obj = object_info(ctx, int(obj_id))
        for a in definition_info(ctx, obj.definition_id).attributes:
            if a.id == int(def_id):
                return obj, a
        raise NotFound("attribute", key)
    path = parse_path(key)
    with ctx.tx(read=True) as s:
        rows = q.resolve_path(s, path.object_path, ctx.principal.readable_accounts())
        if not rows:
            raise NotFound("object", str(path.object_path))
        infos = [
            record(r, str(path.object_path) if path.is_full else full_names(ctx, r.id)[0])
            for r in rows
        ]
    if len(infos) > 1:
        raise AmbiguousPath(str(path.object_path), sorted(i.full_name for i in infos))
    if path.attribute is None:
        return infos[0], None
    return infos[0], definition_info(ctx, infos[0].definition_id).attribute(path.attribute)


def object_by_key(ctx: Context, key: str | int | ObjectPath) -> ObjectInfo:
    """Like :func:`lookup`, but the key must name an object."""
    found, attribute = lookup(ctx, key)
    if attribute is not None:
        raise InvalidValue(f"{key!r} names an attribute, not an object")
    return found


def children(ctx: Context, parent: ObjectInfo, attribute: str | None) -> list[ObjectInfo]:
    """The objects the user may read that ``parent`` owns (through ``attribute`` if named),
    oldest first."""
    with ctx.tx(read=True) as s:
        rows = q.owned_rows(s, parent.id, attribute, ctx.principal.readable_accounts())
        if not rows and attribute is not None:
            definition_info(ctx, parent.definition_id).attribute(attribute)  # NotFound: no such
        base = parent.full_name
        fields = [tuple(r) for r in rows]  # (*object columns, via): name at 1, via at 8
        return [record(f, f"{base}.{f[8]}/{f[1]}") for f in fields]


def models(ctx: Context) -> list[ObjectInfo]:
    """Every model the user may read, by name."""
    with ctx.tx(read=True) as s:
        rows = q.root_rows(s, ctx.principal.readable_accounts())
        return [record(r, f"Model/{r.name}") for r in rows]
