"""The workspace's model operations: models, lookups by path or id, object edits and links."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import select

from workbench.access import Action, Target
from workbench.errors import AmbiguousPath, ConcurrentEdit, InvalidValue, NotFound
from workbench.metamodel import ValueType, parse_time
from workbench.model import AttributeInfo, ObjectDefinitionInfo, ObjectInfo
from workbench.paths import ObjectPath, Segment, check_name, parse_path
from workbench.store import objects as q
from workbench.store.beliefs import delete_object_beliefs
from workbench.store.schema import ObjectDefinitionRow, ObjectRow

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from sqlalchemy import Row
    from sqlalchemy.orm import Session

    from workbench.access import Principal
    from workbench.api.attributes import ObjectDefinition
    from workbench.api.definitions import ModelDefinition
    from workbench.api.objects import Object
    from workbench.api.workspace import Workspace
    from workbench.model import Catalog

__all__ = ["ModelOperations"]


class ModelOperations:
    """Mixed into :class:`~workbench.api.workspace.Workspace`."""

    if TYPE_CHECKING:  # provided by the Workspace
        principal: Principal

        def _tx(self) -> AbstractContextManager[Session]: ...
        def catalog(self, definition_id: int) -> Catalog: ...
        def model_definition(self, name_or_id: str | int) -> ModelDefinition: ...
        def _check(self, action: Action, account_id: int | None, what: str,
                   target: Target = Target.OBJECT) -> None: ...

    @property
    def _ws(self) -> Workspace:
        return cast("Workspace", self)

    # -- definitions seen from objects ---------------------------------------------------
    def _definition_info(self, object_definition_id: int) -> ObjectDefinitionInfo:
        with self._tx() as s:
            owners: dict[int, int] = s.info.setdefault("od_owner", {})
            if object_definition_id not in owners:
                md = s.scalar(select(ObjectDefinitionRow.definition_id).where(
                    ObjectDefinitionRow.id == object_definition_id))
                if md is None:
                    raise NotFound("object definition", object_definition_id)
                owners[object_definition_id] = md
            return self.catalog(owners[object_definition_id]).object_definitions[
                object_definition_id]

    def _resolve_definition(self, parent: Object,
                            definition: ObjectDefinition | str) -> ObjectDefinitionInfo:
        catalog = self.catalog(parent.definition_info.definition_id)
        if isinstance(definition, str):
            return catalog.by_name(definition)
        if definition.id not in catalog.object_definitions:
            raise InvalidValue(
                f"object definition {definition.name!r} belongs to another model definition")
        return catalog.object_definitions[definition.id]

    # -- reading objects ---------------------------------------------------------------------
    def _full_names(self, s: Session, object_id: int) -> tuple[str, tuple[Segment, ...]]:
        chain = q.ancestor_chain(s, object_id)
        segments = [Segment(r.name) for r in chain]
        for i in range(len(chain) - 1):
            segments[i] = Segment(chain[i].name, chain[i + 1].via)
        return str(ObjectPath(tuple(segments))), tuple(segments)

    def _info(self, row: Row[Any] | tuple[Any, ...], full_name: str) -> ObjectInfo:
        # positional: the columns of q._COLUMNS, read without per-name look-ups (it is hot)
        fields: tuple[Any, ...] = tuple(row)
        oid, name, definition_id, parent_id, owner_id, account_id, model_id, version = fields[:8]
        return ObjectInfo(oid, name, definition_id, parent_id, owner_id, account_id,
                          model_id or oid, version, full_name)

    def _object_info(self, object_id: int) -> ObjectInfo:
        with self._tx() as s:
            rows = q.object_rows(s, [object_id], self.principal.readable_accounts())
            if not rows:
                raise NotFound("object", object_id)
            return self._info(rows[0], self._full_names(s, object_id)[0])

    def get(self, key: str | int | ObjectPath) -> Any:
        """An object or attribute by path (short or full), by id, or by attribute id ``"12:7"``.

        A short path that matches several objects raises AmbiguousPath listing the full names;
        what does not exist, or what the user may not see, is NotFound alike.
        """
        from workbench.api.objects import Object

        if isinstance(key, bool) or not isinstance(key, (str, int, ObjectPath)):
            raise InvalidValue(f"look up by path (str), id (int) or attribute id, got {key!r}")
        if isinstance(key, int):
            return Object(self._ws, self._object_info(key))
        if isinstance(key, str) and ":" in key and not key.startswith("Model/"):
            obj_id, _, def_id = key.partition(":")
            if not (obj_id.isdigit() and def_id.isdigit()):
                raise InvalidValue(f"attribute id {key!r} must look like '12:7'")
            obj = Object(self._ws, self._object_info(int(obj_id)))
            for a in obj.definition_info.attributes:
                if a.id == int(def_id):
                    return obj.attribute(a.name)
            raise NotFound("attribute", key)
        path = parse_path(key)
        with self._tx() as s:
            rows = q.resolve_path(s, path.object_path, self.principal.readable_accounts())
            if not rows:
                raise NotFound("object", str(path.object_path))
            infos = [self._info(r, str(path.object_path) if path.is_full
                                else self._full_names(s, r.id)[0]) for r in rows]
        if len(infos) > 1:
            raise AmbiguousPath(str(path.object_path), sorted(i.full_name for i in infos))
        obj = Object(self._ws, infos[0])
        return obj if path.attribute is None else obj.attribute(path.attribute)

    def object(self, key: str | int | ObjectPath) -> Object:
        """Like :meth:`get`, but the key must name an object."""
        from workbench.api.objects import Object

        found = self.get(key)
        if not isinstance(found, Object):
            raise InvalidValue(f"{key!r} names an attribute, not an object")
        return found

    def _children(self, parent: Object, attribute: str | None) -> list[Object]:
        from workbench.api.objects import Object

        with self._tx() as s:
            rows = q.owned_rows(s, parent.id, attribute, self.principal.readable_accounts())
            if not rows and attribute is not None:
                parent.definition_info.attribute(attribute)  # NotFound for a wrong name
            base, ws, info = parent.full_name, self._ws, self._info
            fields = [tuple(r) for r in rows]  # (*q._COLUMNS, via): name at 1, via at 8
            return [Object(ws, info(f, f"{base}.{f[8]}/{f[1]}")) for f in fields]

    # -- models ------------------------------------------------------------------------------
    def create_model(self, name: str, definition: ModelDefinition | str,
                     root_type: ObjectDefinition | str, account: Any = None) -> Object:
        """Create a model: a root object (with no owner) of ``root_type``."""
        from workbench.api.definitions import ModelDefinition, check_model_definition_fits
        from workbench.api.objects import Object

        name = check_name(name, "model name")
        md = definition if isinstance(definition, ModelDefinition) else \
            self.model_definition(definition)
        account_id = self._account_id(account)
        self._check(Action.CREATE, account_id, f"models in account {account_id}",
                    Target.ACCOUNT if account_id is not None else Target.OBJECT)
        with self._tx() as s:
            catalog = self.catalog(md.id)
            od = catalog.by_name(root_type) if isinstance(root_type, str) else \
                catalog.object_definitions.get(root_type.id)
            if od is None:
                raise InvalidValue(f"root type {root_type!r} is not defined in {md.name!r}")
            check_model_definition_fits(s, md, account_id)
            # unique in the account and among public models: a clash reveals no other tenant's
            clash = [r for r in q.resolve_path(s, parse_path(f"Model/{name}"))
                     if account_id is None or r.account_id in (None, account_id)]
            if clash:
                raise InvalidValue(f"a model named {name!r} already exists")
            (oid,) = q.insert_objects(s, [dict(
                name=name, definition_id=od.id, parent_id=None, owner_attribute_id=None,
                account_id=account_id, model_id=None, version=1, values=od.initial_values())])
            q.update_object(s, oid, None, model_id=oid)
            return Object(self._ws, self._object_info(oid))

    def models(self) -> list[Object]:
        """Every model the user may see."""
        from workbench.api.objects import Object

        with self._tx() as s:
            rows = q.root_rows(s, self.principal.readable_accounts())
            return [Object(self._ws, self._info(r, f"Model/{r.name}")) for r in rows]

    def _account_id(self, account: Any) -> int | None:
        """An account by name, id or handle; one the user may not read is NotFound."""
        from workbench.api.accounts import account_id

        return None if account is None else account_id(self._ws, account)

    # -- creating, renaming, moving, deleting ---------------------------------------------
    def _add_children(self, parent: Object, attribute: str, names: list[str],
                      definition: ObjectDefinition | str) -> list[Object]:
        from workbench.api.objects import Object, checked_names, relation_spec

        with self._tx() as s:
            names = checked_names(names)
            owner = relation_spec(parent, attribute, ValueType.OWNERSHIP_ONE,
                                  ValueType.OWNERSHIP_MANY)
            self._check(Action.CREATE, parent.account_id, f"children of {parent.full_name}")
            od = self._resolve_definition(parent, definition)
            self._check_target(owner, od, parent, attribute)
            self._require(s, [parent])
            self._check_room(s, parent, owner, len(names))
            taken = q.taken_names(s, parent.id, owner.id, names)
            if taken:
                raise InvalidValue(
                    f"{parent.full_name}.{attribute} already owns objects named {taken}")
            values = od.initial_values()
            ids = q.insert_objects(s, [dict(
                name=n, definition_id=od.id, parent_id=parent.id, owner_attribute_id=owner.id,
                account_id=parent.account_id, model_id=parent.info.model_id, version=1,
                values=values) for n in names])
            base = f"{parent.full_name}.{attribute}/"
            return [Object(self._ws, ObjectInfo(
                id=i, name=n, definition_id=od.id, parent_id=parent.id,
                owner_attribute_id=owner.id, account_id=parent.account_id,
                model_id=parent.info.model_id, version=1, full_name=base + n))
                for i, n in zip(ids, names, strict=True)]

    def _require(self, s: Session, objects: Sequence[Object]) -> None:
        """Refuse handles on objects deleted, or moved to another account, since they were read."""
        accounts = {r.id: r.account_id for r in s.execute(select(
            ObjectRow.id, ObjectRow.account_id).where(ObjectRow.id.in_([o.id for o in objects])))}
        for o in objects:
            if o.id not in accounts:
                raise NotFound("object", o.full_name, "it was deleted")
            if accounts[o.id] != o.account_id:  # its access rules changed: check them again
                raise ConcurrentEdit(f"{o.full_name} was moved to another account since it was "
                                     "read; refresh() it and try again")

    def _check_room(self, s: Session, parent: Object, owner: AttributeInfo, count: int) -> None:
        """Refuse more than one object under a one-to-one ownership attribute."""
        if owner.value_type is not ValueType.OWNERSHIP_ONE:
            return
        existing = q.child_rows(s, [parent.id], owner.id)
        if existing or count > 1:
            held = f"already owns {existing[0].name!r}" if existing else f"got {count} objects"
            raise InvalidValue(
                f"{parent.full_name}.{owner.name} is one-to-one (it owns at most one object) "
                f"and {held}")

    def _check_target(self, attr: AttributeInfo, od: ObjectDefinitionInfo,
                      obj: Object, attribute: str) -> None:
        if attr.target_id is not None and attr.target_id != od.id:
            raise InvalidValue(
                f"{obj.full_name}.{attribute} takes objects of type {attr.spec.target!r}, "
                f"not {od.name!r}")

    def _rename_object(self, obj: Object, new_name: str) -> None:
        with self._tx() as s:
            new_name = check_name(new_name, "object name")
            self._check(Action.UPDATE, obj.account_id, obj.full_name)
            if obj.is_model:
                acct = obj.account_id  # as in create_model: the account's and public names
                if any(r.id != obj.id and (acct is None or r.account_id in (None, acct))
                       for r in q.resolve_path(s, parse_path(f"Model/{new_name}"))):
                    raise InvalidValue(f"a model named {new_name!r} already exists")
            elif new_name != obj.name and q.taken_names(
                    s, obj.info.parent_id, obj.info.owner_attribute_id, [new_name]):
                owner = obj.full_name.rsplit("/", 1)[0]
                raise InvalidValue(f"{owner} already owns an object named {new_name!r}")
            q.update_object(s, obj.id, obj.version, name=new_name)
            obj.refresh()

    def _move_object(self, obj: Object, new_parent: Object, attribute: str) -> None:
        from workbench.api.objects import relation_spec

        with self._tx() as s:
            if obj.is_model:
                raise InvalidValue(f"{obj.full_name} is a model; a model cannot be moved")
            owner = relation_spec(new_parent, attribute, ValueType.OWNERSHIP_ONE,
                                  ValueType.OWNERSHIP_MANY)
            self._check(Action.UPDATE, obj.account_id, obj.full_name)
            self._check(Action.CREATE, new_parent.account_id,
                        f"children of {new_parent.full_name}")
            if new_parent.account_id != obj.account_id:  # it leaves its account: a deletion there
                self._check(Action.DELETE, obj.account_id, f"{obj.full_name} from its account")
            subtree = q.subtree_ids(s, obj.id)
            if new_parent.id in subtree:
                raise InvalidValue(
                    f"moving {obj.full_name} under {new_parent.full_name} would make a cycle")
            self._check_target(owner, obj.definition_info, new_parent, attribute)
            if owner.id == obj.info.owner_attribute_id and new_parent.id == obj.info.parent_id:
                return  # already there
            self._require(s, [new_parent])
            self._check_room(s, new_parent, owner, 1)
            if q.taken_names(s, new_parent.id, owner.id, [obj.name]):
                raise InvalidValue(f"{new_parent.full_name}.{attribute} already owns an object "
                                   f"named {obj.name!r}")
            q.update_object(s, obj.id, obj.version, parent_id=new_parent.id,
                            owner_attribute_id=owner.id)
            q.set_subtree(s, subtree, model_id=new_parent.info.model_id,  # stale handles: refused
                          account_id=new_parent.account_id, version=ObjectRow.version + 1)
            obj.refresh()

    def _delete_object(self, obj: Object, recursive: bool) -> None:
        with self._tx() as s:
            self._check(Action.DELETE, obj.account_id, obj.full_name)
            ids = q.subtree_ids(s, obj.id)
            if len(ids) > 1 and not recursive:
                raise InvalidValue(
                    f"{obj.full_name} has {len(ids) - 1} descendants; delete(recursive=True) "
                    "deletes them too")
            current = q.object_rows(s, [obj.id])
            if not current or current[0].version != obj.version:
                q.update_object(s, obj.id, obj.version)  # raises ConcurrentEdit
            delete_object_beliefs(s, ids)  # beliefs carry no foreign keys
            q.delete_objects(s, ids)

    # -- attribute values ----------------------------------------------------------------
    def _read_attribute(self, obj: Object, info: AttributeInfo) -> Any:
        from workbench.api.values import read_value

        return read_value(self._ws, obj, info)

    def _write_attribute(self, obj: Object, info: AttributeInfo, value: Any) -> None:
        from workbench.api.values import write_value

        write_value(self._ws, obj, info, value)

    # -- links -------------------------------------------------------------------------------
    def _set_links(self, obj: Object, attribute: str,
                   targets: Object | Iterable[Object] | None) -> None:
        from workbench.api.objects import Object, relation_spec

        with self._tx() as s:
            info = relation_spec(obj, attribute, ValueType.LINK_ONE, ValueType.LINK_MANY)
            items = [] if targets is None else [targets] if isinstance(targets, Object) \
                else list(targets)
            if info.value_type is ValueType.LINK_ONE and len(items) > 1:
                raise InvalidValue(f"{obj.full_name}.{attribute} is one-to-one (one target or "
                                   f"None); got {len(items)} targets")
            self._check(Action.UPDATE, obj.account_id, obj.full_name)
            for t in items:
                if not isinstance(t, Object):
                    raise InvalidValue(f"link targets must be objects, got {t!r}")
                self._check_target(info, self._object_definition_of(t), obj, attribute)
                self._check(Action.READ, t.account_id, t.full_name)
            twice = sorted({t.full_name for t in items if items.count(t) > 1})
            if twice:
                raise InvalidValue(f"{obj.full_name}.{attribute}: {twice} given more than once")
            self._require(s, items)
            q.update_object(s, obj.id, obj.version)
            q.replace_links(s, obj.id, info.id, [(t.id, None) for t in items])
        obj.refresh()

    def _object_definition_of(self, obj: Object) -> ObjectDefinitionInfo:
        return obj.definition_info

    def _links(self, obj: Object, attribute: str) -> list[Object]:
        from workbench.api.objects import relation_spec

        info = relation_spec(obj, attribute, ValueType.LINK_ONE, ValueType.LINK_MANY)
        with self._tx() as s:
            rows = q.link_rows(s, [obj.id], info.id)
            return self._visible_objects([r.target_id for r in rows if r.target_id is not None])

    def _visible_objects(self, ids: Sequence[int]) -> list[Object]:
        """Handles on the objects the user may see, in the order given; the rest is left out."""
        from workbench.api.objects import Object

        with self._tx() as s:
            rows = q.object_rows(s, ids, self.principal.readable_accounts())
            return [Object(self._ws, self._info(r, self._full_names(s, r.id)[0])) for r in rows]

    def _add_link_version(self, obj: Object, attribute: str, target: Object | None,
                          valid_from: datetime) -> None:
        from workbench.api.objects import Object, relation_spec

        with self._tx() as s:
            info = relation_spec(obj, attribute, ValueType.VERSIONED_LINK_ONE,
                                 ValueType.VERSIONED_LINK_MANY)
            self._check(Action.UPDATE, obj.account_id, obj.full_name)
            if target is not None:
                if not isinstance(target, Object):
                    raise InvalidValue(f"a link target must be an object or None, got {target!r}")
                self._check_target(info, target.definition_info, obj, attribute)
                self._check(Action.READ, target.account_id, target.full_name)
                self._require(s, [target])
            rows = q.link_rows(s, [obj.id], info.id)
            entries = [(r.target_id, r.valid_from) for r in rows]
            new = None if target is None else target.id
            if info.value_type is ValueType.VERSIONED_LINK_ONE:
                entries = [e for e in entries if e[1] != valid_from]
            elif (new, valid_from) in entries:
                return  # already there
            entries.append((new, valid_from))
            entries.sort(key=lambda e: (e[1], e[0] is None, e[0] or 0))
            q.update_object(s, obj.id, obj.version)
            q.replace_links(s, obj.id, info.id, entries)
        obj.refresh()

    def _versions(self, obj: Object, attribute: str
                  ) -> tuple[AttributeInfo, list[tuple[datetime, int | None]]]:
        from workbench.api.objects import relation_spec

        info = relation_spec(obj, attribute, ValueType.VERSIONED_LINK_ONE,
                             ValueType.VERSIONED_LINK_MANY)
        with self._tx() as s:
            rows = q.link_rows(s, [obj.id], info.id)
        return info, sorted(((r.valid_from, r.target_id) for r in rows),
                            key=lambda e: (e[0], e[1] is None, e[1] or 0))

    def _link_history(self, obj: Object, attribute: str, start: Any, end: Any
                      ) -> list[tuple[datetime, Object | None]]:
        _, entries = self._versions(obj, attribute)
        t0 = None if start is None else parse_time(start)
        t1 = None if end is None else parse_time(end)
        starts = sorted({e[0] for e in entries})
        keep_from = t0
        if t0 is not None:  # the version in force at t0 counts too
            earlier = [t for t in starts if t <= t0]
            keep_from = earlier[-1] if earlier else t0
        out: list[tuple[datetime, Object | None]] = []
        for valid_from, target in entries:
            if keep_from is not None and valid_from < keep_from:
                continue
            if t1 is not None and valid_from >= t1:
                continue
            resolved = None if target is None else self._visible_objects([target])
            out.append((valid_from, resolved[0] if resolved else None))
        return out

    def _link_target_at(self, obj: Object, attribute: str, time: datetime
                        ) -> Object | list[Object] | None:
        info, entries = self._versions(obj, attribute)
        valid = [e[0] for e in entries if e[0] <= time]
        if not valid:
            return [] if info.value_type is ValueType.VERSIONED_LINK_MANY else None
        current = max(valid)
        targets = [t for v, t in entries if v == current and t is not None]
        found = self._visible_objects(targets)
        if info.value_type is ValueType.VERSIONED_LINK_MANY:
            return found
        return found[0] if found else None
