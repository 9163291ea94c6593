"""Object definitions, attribute types and attribute definitions, with name/unit propagation."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from workbench.api.base import (
    Namespace,
    TemplateCalculation,
    _box,
    _Handle,
    _name,
    _validate_expression,
    _WithMetadata,
)
from workbench.api.calc_validate import check_expression
from workbench.errors import InvalidDefinition, NotFound
from workbench.metamodel import AttributeSpec, ValueType
from workbench.store.catalog import namespace_paths, spec_of
from workbench.store.schema import (
    AttributeDefinitionRow,
    AttributeTypeRow,
    ObjectDefinitionRow,
    ObjectRow,
    TemplateCalculationRow,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["AttributeDefinition", "AttributeType", "ObjectDefinition"]

_LOCAL = ("name", "description", "unit")


def _unbox(box: Any) -> Any:
    return None if box is None else box.get("value")


def _ensure_unique(s: Session, od_id: int, name: str, except_id: int | None = None) -> None:
    q = select(AttributeDefinitionRow.id).where(
        AttributeDefinitionRow.object_definition_id == od_id, AttributeDefinitionRow.name == name
    )
    clash = [i for i in s.scalars(q) if i != except_id]
    if clash:
        od = s.get(ObjectDefinitionRow, od_id)
        raise InvalidDefinition(
            f"object definition {od.name if od else od_id!r} already has an attribute {name!r}"
        )


class AttributeType(_Handle):
    """A reusable attribute blueprint; its name and unit follow into definitions built on it."""

    _row_type = AttributeTypeRow
    _what = "attribute type"

    @property
    def value_type(self) -> ValueType:
        return ValueType(self._get("value_type"))

    @property
    def unit(self) -> str:
        return str(self._get("unit"))

    @property
    def default(self) -> Any:
        """The default that definitions built on this type inherit (None: no default)."""
        return _unbox(self._get("default"))

    @property
    def allowed(self) -> tuple[Any, ...] | None:
        """The allowed values (an enumeration), or None when any value of the type is allowed."""
        allowed = self._get("allowed")
        return None if allowed is None else tuple(allowed)

    def _followers(self, s: Session, field: str) -> list[AttributeDefinitionRow]:
        rows = s.scalars(
            select(AttributeDefinitionRow).where(
                AttributeDefinitionRow.attribute_type_id == self.id
            )
        ).all()
        return [r for r in rows if field not in (r.overrides or [])]

    def rename(self, new_name: str) -> None:
        """Rename the type and every attribute definition (and attribute) that follows it."""
        self._check_writable()
        new_name = _name(new_name, "attribute type name")
        with self.ws._tx() as s:
            row = self._row(s)
            if s.scalars(
                select(AttributeTypeRow.id).where(
                    AttributeTypeRow.definition_id == row.definition_id,
                    AttributeTypeRow.name == new_name,
                    AttributeTypeRow.id != self.id,
                )
            ).first():
                raise InvalidDefinition(f"attribute type {new_name!r} already exists")
            row.name = new_name
            for ad in self._followers(s, "name"):
                _ensure_unique(s, ad.object_definition_id, new_name, ad.id)
                ad.name = new_name
            self.ws._forget_catalogs()

    def set_unit(self, unit: str) -> None:
        """Change the unit here and in every definition that does not override it."""
        self._check_writable()
        AttributeSpec("unit", ValueType.DOUBLE, unit=unit)
        with self.ws._tx() as s:
            self._row(s).unit = unit
            for ad in self._followers(s, "unit"):
                ad.unit = unit
            self.ws._forget_catalogs()

    def set_description(self, description: str) -> None:
        """Change the type's description only (definitions keep theirs)."""
        self._check_writable()
        with self.ws._tx() as s:
            self._row(s).description = description

    def definitions(self) -> list[AttributeDefinition]:
        with self.ws._tx() as s:
            ids = s.scalars(
                select(AttributeDefinitionRow.id).where(
                    AttributeDefinitionRow.attribute_type_id == self.id
                )
            )
            return [AttributeDefinition(self.ws, i) for i in ids]


class ObjectDefinition(_WithMetadata):
    """An asset type: a set of attribute definitions."""

    _row_type = ObjectDefinitionRow
    _what = "object definition"

    @property
    def namespace(self) -> str:
        with self.ws._tx() as s:
            row = self._row(s)
            return namespace_paths(s, row.definition_id).get(row.namespace_id, "")

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(self._get("tags") or ())

    @property
    def model_definition(self) -> Any:
        from workbench.api.definitions import ModelDefinition

        return ModelDefinition(self.ws, int(self._get("definition_id")))

    def set_tags(self, tags: Iterable[str]) -> None:
        self._check_writable()
        with self.ws._tx() as s:
            row = self._row(s)
            row.tags = self.model_definition._check_tags(s, tags)
            self.ws._forget_catalogs()

    def rename(self, new_name: str) -> None:
        self._check_writable()
        new_name = _name(new_name, "object definition name")
        with self.ws._tx() as s:
            row = self._row(s)
            if s.scalars(
                select(ObjectDefinitionRow.id).where(
                    ObjectDefinitionRow.definition_id == row.definition_id,
                    ObjectDefinitionRow.name == new_name,
                )
            ).first():
                raise InvalidDefinition(f"object definition {new_name!r} already exists")
            row.name = new_name
            self.ws._forget_catalogs()

    def add_attribute(
        self,
        name: str | None = None,
        value_type: str | ValueType | None = None,
        *,
        attribute_type: AttributeType | str | None = None,
        array: bool = False,
        min_count: int = 0,
        max_count: int | None = None,
        default: Any = None,
        minimum: Any = None,
        maximum: Any = None,
        allowed: Iterable[Any] | None = None,
        unit: str | None = None,
        description: str | None = None,
        target: ObjectDefinition | str | None = None,
        template: str | None = None,
        template_calculation: TemplateCalculation | str | None = None,
        namespace: Namespace | str | None = None,
        tags: Iterable[str] = (),
        metadata: dict[str, Any] | None = None,
    ) -> AttributeDefinition:
        """Add an attribute definition; see DESIGN.md for the value types.

        Built on an ``attribute_type``, the definition inherits its name, description, unit and
        (for enumerations) default; whatever is given here overrides them locally.
        """
        from workbench.metamodel import check_metadata

        self._check_writable()
        md = self.model_definition
        with self.ws._tx() as s:
            row = self._row(s)
            at = self._resolve_type(md, attribute_type)
            vt = ValueType.parse(
                value_type if value_type is not None else (at.value_type if at else "double")
            )
            if at is not None and at.value_type != vt:
                raise InvalidDefinition(
                    f"attribute {name!r}: value type {vt.value} differs from its attribute "
                    f"type {at.name!r} ({at.value_type})"
                )
            overrides = [
                f
                for f, v in (("name", name), ("description", description), ("unit", unit))
                if v is not None or at is None
            ]
            eff_name = _name(
                name if name is not None else (at.name if at else ""), "attribute name"
            )
            if default is None and at is not None and at.default is not None:
                default = at.default["value"]
            if allowed is None and at is not None and at.allowed is not None:
                allowed = at.allowed
            target_id, target_name = self._resolve_target(s, md, target)
            calc_id, calc_text = self._resolve_calc(md, template_calculation)
            _validate_expression(template)
            spec = AttributeSpec(
                eff_name,
                vt,
                array=array,
                min_count=min_count,
                max_count=max_count,
                default=default,
                minimum=minimum,
                maximum=maximum,
                allowed=None if allowed is None else tuple(allowed),
                unit=unit if unit is not None else (at.unit if at else ""),
                target=target_name,
                template=template if template is not None else calc_text,
                description=description
                if description is not None
                else (at.description if at else ""),
            )
            if vt is ValueType.TIMESERIES:
                check_expression(
                    self.ws,
                    md.id,
                    self.id,
                    spec.template,
                    spec.unit,
                    f"template of {eff_name!r}",
                    attribute=eff_name,
                )
            _ensure_unique(s, self.id, eff_name)
            position = (
                s.scalar(
                    select(func.count()).where(
                        AttributeDefinitionRow.object_definition_id == self.id
                    )
                )
                or 0
            )
            ad = AttributeDefinitionRow(
                object_definition_id=self.id,
                attribute_type_id=None if at is None else at.id,
                namespace_id=None if namespace is None else md._namespace_id(s, namespace),
                position=position,
                name=eff_name,
                description=spec.description,
                unit=spec.unit,
                overrides=overrides,
                value_type=vt.value,
                is_array=array,
                min_count=min_count,
                max_count=max_count,
                default=_box(spec.default),
                minimum=_box(spec.minimum),
                maximum=_box(spec.maximum),
                allowed=None if spec.allowed is None else list(spec.allowed),
                target_id=target_id,
                template=template,
                template_calculation_id=calc_id,
                tags=md._check_tags(s, tags),
                ext_metadata=check_metadata(metadata),
            )
            s.add(ad)
            s.flush()
            _ = row
            self.ws._forget_catalogs()
            return AttributeDefinition(self.ws, ad.id)

    def _resolve_type(self, md: Any, at: AttributeType | str | None) -> AttributeTypeRow | None:
        if at is None:
            return None
        handle = at if isinstance(at, AttributeType) else md.attribute_type(at)
        with self.ws._tx() as s:
            return s.get(AttributeTypeRow, handle.id)

    def _resolve_target(
        self, s: Session, md: Any, target: ObjectDefinition | str | None
    ) -> tuple[int | None, str | None]:
        if target is None:
            return None, None
        handle = target if isinstance(target, ObjectDefinition) else md.object_definition(target)
        row = s.get(ObjectDefinitionRow, handle.id)
        if row is None or row.definition_id != md.id:
            raise InvalidDefinition(f"target {target!r} is not an object definition of {md.name!r}")
        return row.id, row.name

    def _resolve_calc(
        self, md: Any, calc: TemplateCalculation | str | None
    ) -> tuple[int | None, str | None]:
        if calc is None:
            return None, None
        handle = calc if isinstance(calc, TemplateCalculation) else md.template_calculation(calc)
        return handle.id, handle.expression

    def attributes(self) -> list[AttributeDefinition]:
        with self.ws._tx() as s:
            ids = s.scalars(
                select(AttributeDefinitionRow.id)
                .where(AttributeDefinitionRow.object_definition_id == self.id)
                .order_by(AttributeDefinitionRow.position, AttributeDefinitionRow.id)
            )
            return [AttributeDefinition(self.ws, i) for i in ids]

    def attribute(self, name: str) -> AttributeDefinition:
        with self.ws._tx() as s:
            found = s.scalars(
                select(AttributeDefinitionRow.id).where(
                    AttributeDefinitionRow.object_definition_id == self.id,
                    AttributeDefinitionRow.name == name,
                )
            ).first()
            if found is None:
                names = [a.name for a in self.attributes()]
                raise NotFound("attribute definition", name, f"{self.name} has: {names}")
            return AttributeDefinition(self.ws, found)


class AttributeDefinition(_WithMetadata):
    """A member of an object definition; its attributes are named after it."""

    _row_type = AttributeDefinitionRow
    _what = "attribute definition"

    def _definition_id(self, s: Session, row: Any) -> int:
        owner = s.get(ObjectDefinitionRow, row.object_definition_id)
        return -1 if owner is None else int(owner.definition_id)

    @property
    def spec(self) -> AttributeSpec:
        """The effective definition (own fields merged with the attribute type's)."""
        with self.ws._tx() as s:
            row = self._row(s)
            targets: dict[int, str] = {}
            if row.target_id is not None:
                target = s.get(ObjectDefinitionRow, row.target_id)
                targets = {} if target is None else {row.target_id: target.name}
            calcs: dict[int, str] = {}
            if row.template_calculation_id is not None:
                calc = s.get(TemplateCalculationRow, row.template_calculation_id)
                calcs = {} if calc is None else {row.template_calculation_id: calc.expression}
            return spec_of(row, targets, calcs)

    @property
    def value_type(self) -> ValueType:
        return self.spec.value_type

    @property
    def unit(self) -> str:
        return str(self._get("unit"))

    @property
    def overrides(self) -> tuple[str, ...]:
        """The fields set on this definition rather than inherited from its attribute type."""
        row_overrides = self._get("overrides") or []
        return tuple(f for f in _LOCAL if f in row_overrides)

    @property
    def attribute_type(self) -> AttributeType | None:
        type_id = self._get("attribute_type_id")
        return None if type_id is None else AttributeType(self.ws, type_id)

    @property
    def object_definition(self) -> ObjectDefinition:
        return ObjectDefinition(self.ws, int(self._get("object_definition_id")))

    @property
    def template(self) -> str | None:
        """The template expression written on this definition itself (None: none).

        ``spec.template`` is the effective one: this text, or else the expression of the shared
        :attr:`template_calculation`.
        """
        text = self._get("template")
        return None if text is None else str(text)

    @property
    def template_calculation(self) -> TemplateCalculation | None:
        """The model definition's named template calculation this definition uses, if any."""
        calc_id = self._get("template_calculation_id")
        return None if calc_id is None else TemplateCalculation(self.ws, int(calc_id))

    @property
    def namespace(self) -> str | None:
        """The dotted path of the namespace the definition was put in (None: none given)."""
        with self.ws._tx() as s:
            row = self._row(s)
            if row.namespace_id is None:
                return None
            return Namespace(self.ws, row.namespace_id).path

    def _set_local(self, field: str, value: str) -> None:
        self._check_writable()
        with self.ws._tx() as s:
            row = self._row(s)
            if field == "name":
                value = _name(value, "attribute name")
                _ensure_unique(s, row.object_definition_id, value, row.id)
            elif field == "unit":
                AttributeSpec("unit", ValueType.DOUBLE, unit=value)
            setattr(row, field, value)
            row.overrides = sorted({*(row.overrides or []), field})
            self.ws._forget_catalogs()

    def rename(self, new_name: str) -> None:
        """Rename this definition and so every attribute built on it."""
        self._set_local("name", new_name)

    def set_unit(self, unit: str) -> None:
        self._set_local("unit", unit)

    def set_description(self, description: str) -> None:
        self._set_local("description", description)

    def set_template(self, expression: str | None) -> None:
        """Set or remove the template expression of a timeseries attribute definition.

        The expression is checked against the object definition before it is stored: it must
        give a series, every attribute it looks up must exist (unless a default is given as
        the second argument) and its unit must convert to this definition's unit. A text of its
        own replaces a shared :attr:`template_calculation`.
        """
        self._set_expressions(expression, None)

    def set_template_calculation(self, calculation: TemplateCalculation | str | None) -> None:
        """Use the model definition's named template calculation (None: none) as the template,
        checked as :meth:`set_template` checks a text; it replaces a text of its own."""
        self._set_expressions(None, calculation)

    def _set_expressions(
        self, template: str | None, calculation: TemplateCalculation | str | None
    ) -> None:
        """Set both the own template text and the shared calculation (one transaction)."""
        self._check_writable()
        with self.ws._tx() as s:
            row = self._row(s)
            if row.value_type != ValueType.TIMESERIES.value:
                raise InvalidDefinition(
                    f"attribute {row.name!r} is {row.value_type}; only timeseries attributes "
                    "carry a template expression"
                )
            definition_id = self._definition_id(s, row)
            od = self.object_definition
            calc_id, calc_text = od._resolve_calc(od.model_definition, calculation)
            _validate_expression(template)
            info = self.ws.catalog(definition_id).attribute(row.id)
            check_expression(
                self.ws,
                definition_id,
                row.object_definition_id,
                template if template is not None else calc_text,
                info.spec.unit,
                f"template of {row.name!r}",
                attribute=row.name,
            )
            row.template = template
            row.template_calculation_id = calc_id
            self.ws._forget_catalogs()

    def delete(self) -> None:
        """Delete the definition; refused while objects are owned through it."""
        self._check_writable()
        with self.ws._tx() as s:
            row = self._row(s)
            owned = s.scalar(select(func.count()).where(ObjectRow.owner_attribute_id == row.id))
            if owned:
                raise InvalidDefinition(
                    f"attribute {row.name!r} owns {owned} objects; delete or move them first"
                )
            s.delete(row)
            self.ws._forget_catalogs()
