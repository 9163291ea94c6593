"""Model definitions: the top-level namespace with attribute types, object definitions and tags."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from workbench.api.attributes import AttributeType, ObjectDefinition
from workbench.api.base import (
    Namespace,
    Tag,
    TemplateCalculation,
    _box,
    _name,
    _validate_expression,
)
from workbench.errors import InvalidDefinition, NotFound
from workbench.metamodel import AttributeSpec, ValueType, check_metadata
from workbench.store.schema import (
    AttributeDefinitionRow,
    AttributeTypeRow,
    NamespaceRow,
    ObjectDefinitionRow,
    ObjectRow,
    TagRow,
    TemplateCalculationRow,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from workbench.api.workspace import Workspace

__all__ = [
    "ModelDefinition",
    "create_model_definition",
    "get_model_definition",
    "list_model_definitions",
]


class ModelDefinition(Namespace):
    """A model definition: the top-level namespace holding the blueprint of models."""

    _what = "model definition"

    def _namespace_id(self, s: Session, namespace: Namespace | str | None) -> int:
        if namespace is None or namespace == "":
            return self.id
        if isinstance(namespace, Namespace):
            return namespace.id
        current = self.id
        for part in str(namespace).split("."):
            found = s.scalars(select(NamespaceRow.id).where(
                NamespaceRow.parent_id == current, NamespaceRow.name == part)).first()
            if found is None:
                found = self._auto_namespace(s, current, part)
            current = found
        return current

    def _auto_namespace(self, s: Session, parent: int, name: str) -> int:
        row = NamespaceRow(definition_id=self.id, parent_id=parent,
                           name=_name(name, "namespace name"))
        s.add(row)
        s.flush()
        return row.id

    # attribute types
    def create_attribute_type(self, name: str, value_type: str | ValueType = "double", *,
                              unit: str = "", description: str = "", default: Any = None,
                              allowed: Iterable[Any] | None = None) -> AttributeType:
        """Create a reusable attribute blueprint (name, description, unit, value type)."""
        self.ws._check_definitions_writable()
        vt = ValueType.parse(value_type)
        name = _name(name, "attribute type name")
        allowed_t = None if allowed is None else tuple(allowed)
        # validates unit, default and allowed values together
        spec = AttributeSpec(name, vt, unit=unit, default=default, allowed=allowed_t,
                             target="-" if vt.is_relation else None)
        with self.ws._tx() as s:
            self._row(s)
            if s.scalars(select(AttributeTypeRow.id).where(
                    AttributeTypeRow.definition_id == self.id,
                    AttributeTypeRow.name == name)).first():
                raise InvalidDefinition(f"attribute type {name!r} already exists")
            row = AttributeTypeRow(definition_id=self.id, name=name, value_type=vt.value,
                                   unit=unit, description=description,
                                   default=_box(spec.default),
                                   allowed=None if spec.allowed is None else list(spec.allowed))
            s.add(row)
            s.flush()
            return AttributeType(self.ws, row.id)

    def attribute_types(self) -> list[AttributeType]:
        return self._children(AttributeTypeRow, AttributeType)

    def attribute_type(self, name: str) -> AttributeType:
        found: AttributeType = self._child(AttributeTypeRow, AttributeType, name,
                                           "attribute type")
        return found

    # object definitions
    def create_object_definition(self, name: str, namespace: Namespace | str | None = None, *,
                                 description: str = "", tags: Iterable[str] = (),
                                 metadata: dict[str, Any] | None = None) -> ObjectDefinition:
        """Create an object definition (an asset type) in a namespace (created if missing)."""
        self.ws._check_definitions_writable()
        name = _name(name, "object definition name")
        with self.ws._tx() as s:
            self._row(s)
            if s.scalars(select(ObjectDefinitionRow.id).where(
                    ObjectDefinitionRow.definition_id == self.id,
                    ObjectDefinitionRow.name == name)).first():
                raise InvalidDefinition(f"object definition {name!r} already exists")
            row = ObjectDefinitionRow(
                definition_id=self.id, namespace_id=self._namespace_id(s, namespace), name=name,
                description=description, tags=self._check_tags(s, tags),
                ext_metadata=check_metadata(metadata))
            s.add(row)
            s.flush()
            self.ws._forget_catalogs()
            return ObjectDefinition(self.ws, row.id)

    def object_definitions(self) -> list[ObjectDefinition]:
        return self._children(ObjectDefinitionRow, ObjectDefinition)

    def object_definition(self, name: str) -> ObjectDefinition:
        found: ObjectDefinition = self._child(ObjectDefinitionRow, ObjectDefinition, name,
                                              "object definition")
        return found

    # tags and template calculations
    def create_tag(self, name: str, description: str = "") -> Tag:
        self.ws._check_definitions_writable()
        name = _name(name, "tag name")
        with self.ws._tx() as s:
            if s.scalars(select(TagRow.id).where(TagRow.definition_id == self.id,
                                                 TagRow.name == name)).first():
                raise InvalidDefinition(f"tag {name!r} already exists")
            row = TagRow(definition_id=self.id, name=name, description=description)
            s.add(row)
            s.flush()
            return Tag(self.ws, row.id)

    def tags(self) -> list[Tag]:
        return self._children(TagRow, Tag)

    def _check_tags(self, s: Session, tags: Iterable[str]) -> list[str]:
        wanted = list(dict.fromkeys(tags))
        known = set(s.scalars(select(TagRow.name).where(TagRow.definition_id == self.id)))
        unknown = [t for t in wanted if t not in known]
        if unknown:
            raise InvalidDefinition(
                f"tags {unknown} are not defined; defined tags: {sorted(known)} "
                "(create them with create_tag)")
        return wanted

    def create_template_calculation(self, name: str, expression: str,
                                    description: str = "") -> TemplateCalculation:
        """A named expression that several timeseries attribute definitions can share."""
        self.ws._check_definitions_writable()
        name = _name(name, "template calculation name")
        _validate_expression(expression)
        with self.ws._tx() as s:
            if s.scalars(select(TemplateCalculationRow.id).where(
                    TemplateCalculationRow.definition_id == self.id,
                    TemplateCalculationRow.name == name)).first():
                raise InvalidDefinition(f"template calculation {name!r} already exists")
            row = TemplateCalculationRow(definition_id=self.id, name=name,
                                         expression=expression, description=description)
            s.add(row)
            s.flush()
            return TemplateCalculation(self.ws, row.id)

    def template_calculations(self) -> list[TemplateCalculation]:
        return self._children(TemplateCalculationRow, TemplateCalculation)

    def template_calculation(self, name: str) -> TemplateCalculation:
        found: TemplateCalculation = self._child(TemplateCalculationRow, TemplateCalculation,
                                                 name, "template calculation")
        return found

    def rename(self, new_name: str) -> None:
        self.ws._check_definitions_writable()
        new_name = _name(new_name, "model definition name")
        with self.ws._tx() as s:
            if s.scalars(select(NamespaceRow.id).where(NamespaceRow.parent_id.is_(None),
                                                       NamespaceRow.name == new_name)).first():
                raise InvalidDefinition(f"model definition {new_name!r} already exists")
            self._row(s).name = new_name

    def delete(self) -> None:
        """Delete the definition; refused while models are built on it."""
        self.ws._check_definitions_writable()
        with self.ws._tx() as s:
            row = self._row(s)
            used = s.scalars(select(ObjectRow.name).join(
                ObjectDefinitionRow, ObjectDefinitionRow.id == ObjectRow.definition_id).where(
                ObjectDefinitionRow.definition_id == self.id, ObjectRow.parent_id.is_(None))).all()
            if used:
                raise InvalidDefinition(
                    f"model definition {row.name!r} is used by the models {list(used)}; "
                    "delete them first")
            for ad in s.scalars(select(AttributeDefinitionRow).join(
                    ObjectDefinitionRow, ObjectDefinitionRow.id
                    == AttributeDefinitionRow.object_definition_id).where(
                    ObjectDefinitionRow.definition_id == self.id)):
                s.delete(ad)
            s.flush()
            for t in (ObjectDefinitionRow, AttributeTypeRow, TemplateCalculationRow, TagRow):
                for r in s.scalars(select(t).where(t.definition_id == self.id)):
                    s.delete(r)
            s.flush()
            s.delete(row)

    def _children(self, table: Any, handle: Any) -> list[Any]:
        with self.ws._tx() as s:
            self._row(s)
            ids = s.scalars(select(table.id).where(table.definition_id == self.id)
                            .order_by(table.id))
            return [handle(self.ws, i) for i in ids]

    def _child(self, table: Any, handle: Any, name: str, what: str) -> Any:
        with self.ws._tx() as s:
            found = s.scalars(select(table.id).where(table.definition_id == self.id,
                                                     table.name == name)).first()
            if found is None:
                names = sorted(s.scalars(select(table.name).where(
                    table.definition_id == self.id)))
                raise NotFound(what, name, f"defined: {names}")
            return handle(self.ws, found)



def create_model_definition(ws: Workspace, name: str, description: str,
                            metadata: dict[str, Any] | None) -> ModelDefinition:
    ws._check_definitions_writable()
    name = _name(name, "model definition name")
    with ws._tx() as s:
        if s.scalars(select(NamespaceRow.id).where(NamespaceRow.parent_id.is_(None),
                                                   NamespaceRow.name == name)).first():
            raise InvalidDefinition(f"model definition {name!r} already exists")
        row = NamespaceRow(definition_id=None, parent_id=None, name=name, description=description,
                           ext_metadata=check_metadata(metadata))
        s.add(row)
        s.flush()
        return ModelDefinition(ws, row.id)


def list_model_definitions(ws: Workspace) -> list[ModelDefinition]:
    with ws._tx() as s:
        ids = s.scalars(select(NamespaceRow.id).where(NamespaceRow.parent_id.is_(None))
                        .order_by(NamespaceRow.id))
        return [ModelDefinition(ws, i) for i in ids]


def get_model_definition(ws: Workspace, name_or_id: str | int) -> ModelDefinition:
    with ws._tx() as s:
        q = select(NamespaceRow.id).where(NamespaceRow.parent_id.is_(None))
        if isinstance(name_or_id, int):
            found = s.scalars(q.where(NamespaceRow.id == name_or_id)).first()
        else:
            found = s.scalars(q.where(NamespaceRow.name == name_or_id)).first()
        if found is None:
            names = sorted(s.scalars(select(NamespaceRow.name).where(
                NamespaceRow.parent_id.is_(None))))
            raise NotFound("model definition", name_or_id, f"defined: {names}")
        return ModelDefinition(ws, found)
