"""Changing the tree of a model: create models and objects, rename, move and delete objects.

Every function takes the context first, checks the user's rights, runs in one transaction
(joining an open one) and returns the records of what it made or changed. An edit checks that
nobody changed the object since it was read (optimistic locking) and raises ConcurrentEdit
otherwise; objects deleted, or moved to another account, since they were read are refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from workbench.access import Action, Target
from workbench.api.services.accounts import account_id as readable_account_id
from workbench.api.services.definitions import check_model_definition_fits
from workbench.api.services.objects import (
    Named,
    check_target,
    checked_names,
    definition_info,
    object_info,
    relation_spec,
)
from workbench.errors import ConcurrentEdit, InvalidValue, NotFound
from workbench.metamodel import ValueType
from workbench.model import AttributeInfo, ObjectDefinitionInfo, ObjectInfo
from workbench.paths import check_name, parse_path
from workbench.store import objects as q
from workbench.store.beliefs import delete_object_beliefs

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from workbench.api.context import Context

__all__ = ["add_children", "create_model", "delete_object", "move_object", "rename_object"]

_OWNERSHIP = (ValueType.OWNERSHIP_ONE, ValueType.OWNERSHIP_MANY)


def create_model(
    ctx: Context, name: str, definition: Named, root_type: str | Named, account: Any = None
) -> ObjectInfo:
    """Create a model of ``definition``: a root object (with no owner) of ``root_type``.

    Its name is unique among the models of its account and the public ones. Without
    ``account`` the model is public (shared by the whole store).
    """
    name = check_name(name, "model name")
    account_id = None if account is None else readable_account_id(ctx, account)
    ctx.check(Action.CREATE, account_id, f"models in account {account_id}",
              Target.ACCOUNT if account_id is not None else Target.OBJECT)
    with ctx.tx() as s:
        catalog = ctx.catalog(definition.id)
        od = catalog.by_name(root_type) if isinstance(root_type, str) else \
            catalog.object_definitions.get(root_type.id)
        if od is None:
            raise InvalidValue(f"root type {root_type!r} is not defined in {definition.name!r}")
        check_model_definition_fits(ctx, definition.id, account_id)
        # unique in the account and among public models: a clash reveals no other tenant's
        clash = [r for r in q.resolve_path(s, parse_path(f"Model/{name}"))
                 if account_id is None or r.account_id in (None, account_id)]
        if clash:
            raise InvalidValue(f"a model named {name!r} already exists")
        (oid,) = q.insert_objects(s, [dict(
            name=name, definition_id=od.id, parent_id=None, owner_attribute_id=None,
            account_id=account_id, model_id=None, version=1, values=od.initial_values())])
        q.update_object(s, oid, None, model_id=oid)
        return object_info(ctx, oid)


def add_children(
    ctx: Context,
    parent: ObjectInfo,
    attribute: str,
    names: Sequence[str],
    definition: str | Named,
) -> list[ObjectInfo]:
    """Create objects named ``names`` under ``parent``'s ownership attribute ``attribute``, of
    the object definition ``definition`` (its name, or it as read): one batch insert."""
    with ctx.tx() as s:
        names = checked_names(names)
        owner = relation_spec(ctx, parent, attribute, *_OWNERSHIP)
        ctx.check(Action.CREATE, parent.account_id, f"children of {parent.full_name}")
        od = _resolve_definition(ctx, parent, definition)
        check_target(owner, od, parent, attribute)
        _require(s, [parent])
        _check_room(s, parent, owner, len(names))
        taken = q.taken_names(s, parent.id, owner.id, names)
        if taken:
            raise InvalidValue(f"{parent.full_name}.{attribute} already owns objects named {taken}")
        values = od.initial_values()
        ids = q.insert_objects(s, [dict(
            name=n, definition_id=od.id, parent_id=parent.id, owner_attribute_id=owner.id,
            account_id=parent.account_id, model_id=parent.model_id, version=1,
            values=values) for n in names])
        base = f"{parent.full_name}.{attribute}/"
        return [
            ObjectInfo(
                id=i, name=n, definition_id=od.id, parent_id=parent.id,
                owner_attribute_id=owner.id, account_id=parent.account_id,
                model_id=parent.model_id, version=1, full_name=base + n,
            )
            for i, n in zip(ids, names, strict=True)
        ]


def _resolve_definition(
    ctx: Context, parent: ObjectInfo, definition: str | Named
) -> ObjectDefinitionInfo:
    """An object definition of ``parent``'s model definition, by name or as held."""
    catalog = ctx.catalog(definition_info(ctx, parent.definition_id).definition_id)
    if isinstance(definition, str):
        return catalog.by_name(definition)
    if definition.id not in catalog.object_definitions:
        raise InvalidValue(
            f"object definition {definition.name!r} belongs to another model definition"
        )
    return catalog.object_definitions[definition.id]


def require(ctx: Context, objects: Sequence[ObjectInfo]) -> None:
    """Refuse objects deleted, or moved to another account, since they were read."""
    with ctx.tx() as s:
        _require(s, objects)


def _require(s: Session, objects: Sequence[ObjectInfo]) -> None:
    accounts = q.object_accounts(s, [o.id for o in objects])
    for o in objects:
        if o.id not in accounts:
            raise NotFound("object", o.full_name, "it was deleted")
        if accounts[o.id] != o.account_id:  # its access rules changed: check them again
            raise ConcurrentEdit(
                f"{o.full_name} was moved to another account since it was read; refresh() it "
                "and try again"
            )


def _check_room(s: Session, parent: ObjectInfo, owner: AttributeInfo, count: int) -> None:
    """Refuse more than one object under a one-to-one ownership attribute."""
    if owner.value_type is not ValueType.OWNERSHIP_ONE:
        return
    existing = q.child_rows(s, [parent.id], owner.id)
    if existing or count > 1:
        held = f"already owns {existing[0].name!r}" if existing else f"got {count} objects"
        raise InvalidValue(
            f"{parent.full_name}.{owner.name} is one-to-one (it owns at most one object) "
            f"and {held}"
        )


def rename_object(ctx: Context, obj: ObjectInfo, new_name: str) -> ObjectInfo:
    """Rename an object (a model among the models of its account and the public ones)."""
    with ctx.tx() as s:
        new_name = check_name(new_name, "object name")
        ctx.check(Action.UPDATE, obj.account_id, obj.full_name)
        if obj.parent_id is None:
            acct = obj.account_id  # as in create_model: the account's and public names
            if any(r.id != obj.id and (acct is None or r.account_id in (None, acct))
                   for r in q.resolve_path(s, parse_path(f"Model/{new_name}"))):
                raise InvalidValue(f"a model named {new_name!r} already exists")
        elif new_name != obj.name and q.taken_names(
            s, obj.parent_id, cast(int, obj.owner_attribute_id), [new_name]
        ):
            owner = obj.full_name.rsplit("/", 1)[0]
            raise InvalidValue(f"{owner} already owns an object named {new_name!r}")
        q.update_object(s, obj.id, obj.version, name=new_name)
        return object_info(ctx, obj.id)


def move_object(
    ctx: Context, obj: ObjectInfo, new_parent: ObjectInfo, attribute: str
) -> ObjectInfo:
    """Move an object (and its subtree) under ``new_parent``'s ownership ``attribute``.

    Cycles are refused; leaving its account counts as a deletion there. Returns the object as
    it is now (``obj`` itself when it is already there).
    """
    with ctx.tx() as s:
        if obj.parent_id is None:
            raise InvalidValue(f"{obj.full_name} is a model; a model cannot be moved")
        owner = relation_spec(ctx, new_parent, attribute, *_OWNERSHIP)
        ctx.check(Action.UPDATE, obj.account_id, obj.full_name)
        ctx.check(Action.CREATE, new_parent.account_id, f"children of {new_parent.full_name}")
        if new_parent.account_id != obj.account_id:  # it leaves its account: a deletion there
            ctx.check(Action.DELETE, obj.account_id, f"{obj.full_name} from its account")
        subtree = q.subtree_ids(s, obj.id)
        if new_parent.id in subtree:
            raise InvalidValue(
                f"moving {obj.full_name} under {new_parent.full_name} would make a cycle"
            )
        check_target(owner, definition_info(ctx, obj.definition_id), new_parent, attribute)
        if owner.id == obj.owner_attribute_id and new_parent.id == obj.parent_id:
            return obj  # already there
        _require(s, [new_parent])
        _check_room(s, new_parent, owner, 1)
        if q.taken_names(s, new_parent.id, owner.id, [obj.name]):
            raise InvalidValue(
                f"{new_parent.full_name}.{attribute} already owns an object named {obj.name!r}"
            )
        q.update_object(s, obj.id, obj.version, parent_id=new_parent.id,
                        owner_attribute_id=owner.id)
        # the subtree's versions go up: handles read before the move are refused
        q.move_subtree(s, subtree, new_parent.model_id, new_parent.account_id)
        return object_info(ctx, obj.id)


def delete_object(ctx: Context, obj: ObjectInfo, recursive: bool) -> None:
    """Delete an object, and its descendants only when ``recursive``; their beliefs too."""
    with ctx.tx() as s:
        ctx.check(Action.DELETE, obj.account_id, obj.full_name)
        ids = q.subtree_ids(s, obj.id)
        if len(ids) > 1 and not recursive:
            raise InvalidValue(
                f"{obj.full_name} has {len(ids) - 1} descendants; delete(recursive=True) "
                "deletes them too"
            )
        current = q.object_rows(s, [obj.id])
        if not current or current[0].version != obj.version:
            q.update_object(s, obj.id, obj.version)  # raises ConcurrentEdit
        delete_object_beliefs(s, ids)  # beliefs carry no foreign keys
        q.delete_objects(s, ids)
