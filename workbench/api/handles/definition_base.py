"""Handles on model definition elements: what they share, and namespaces, tags and template
calculations.

A handle is a snapshot: it keeps the element's record as read (``handle.record``) and its
properties read that record; :meth:`refresh` reads it again. The handle's own changes
(``rename``, ``set_metadata``, ...) keep its record up to date; changes made through another
handle, or by another user, show after ``refresh()``. Lists (``md.object_definitions()``,
``od.attributes()``, ...) read the store when called. A handle made from an id alone
(``wb.ModelDefinition(ws, id)``) reads its record when first used. Handles are equal when
they are of one kind and id.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar, cast

from workbench.api.services import definition_attributes as attribute_services
from workbench.api.services import definitions as services
from workbench.api.services.definition_records import (
    NAMESPACE,
    TAG,
    TEMPLATE_CALCULATION,
    Element,
    NamespaceRecord,
    TagRecord,
    TemplateCalculationRecord,
)

if TYPE_CHECKING:
    from typing import Self

    from workbench.api.context import Context
    from workbench.api.workspace import Workspace

__all__ = ["Namespace", "Tag", "TemplateCalculation"]


class _Named(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def description(self) -> str: ...


class _WithMetadataRecord(_Named, Protocol):
    @property
    def metadata(self) -> Mapping[str, Any]: ...


R = TypeVar("R", bound=_Named)
M = TypeVar("M", bound=_WithMetadataRecord)


class DefinitionHandle(Generic[R]):
    """A stored element of a model definition, as read; ``refresh()`` reads it again."""

    _element: ClassVar[Element[Any, Any]]

    def __init__(self, ws: Workspace | Context, id: int, record: R | None = None) -> None:
        self._ctx: Context = ws._ctx
        self.id = id
        self._record = record

    @property
    def ws(self) -> Workspace:
        """The workspace the element was read through."""
        return cast("Workspace", self._ctx.workspace)

    @property
    def record(self) -> R:
        """What the element was when it was read (read now if the handle has no record)."""
        if self._record is None:
            self._record = self._read()
        return self._record

    def _read(self) -> R:
        return cast(R, services.read(self._ctx, self._element, self.id))

    def refresh(self) -> Self:
        """Read the element again; NotFound when it is gone or may no longer be read."""
        self._record = self._read()
        return self

    @property
    def name(self) -> str:
        return self.record.name

    @property
    def description(self) -> str:
        return self.record.description

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and cast(DefinitionHandle[Any], other).id == self.id

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.id))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} id={self.id}>"


class WithMetadata(DefinitionHandle[M]):
    """An element with extended metadata: category name -> JSON object."""

    @property
    def metadata(self) -> dict[str, Any]:
        """Extended metadata: category name -> JSON object."""
        return copy.deepcopy(dict(self.record.metadata))

    def set_metadata(self, category: str, content: Mapping[str, Any]) -> None:
        """Set (or replace) one metadata category."""
        record = services.set_metadata(self._ctx, self._element, self.id, category, content)
        self._record = cast(M, record)

    def remove_metadata(self, category: str) -> None:
        record = services.remove_metadata(self._ctx, self._element, self.id, category)
        self._record = cast(M, record)


class Namespace(WithMetadata[NamespaceRecord]):
    """A namespace of a model definition, which groups object definitions."""

    _element: ClassVar[Element[Any, Any]] = NAMESPACE

    def create_namespace(
        self, name: str, description: str = "", metadata: dict[str, Any] | None = None
    ) -> Namespace:
        record = services.create_namespace(
            self._ctx, self._element, self.id, name, description, metadata
        )
        return Namespace(self._ctx, record.id, record)

    def namespaces(self) -> list[Namespace]:
        found = services.namespaces(self._ctx, self._element, self.id)
        return [Namespace(self._ctx, r.id, r) for r in found]

    @property
    def path(self) -> str:
        """The dotted path below the model definition."""
        return self.record.path


class Tag(DefinitionHandle[TagRecord]):
    _element = TAG


class TemplateCalculation(DefinitionHandle[TemplateCalculationRecord]):
    _element = TEMPLATE_CALCULATION

    @property
    def expression(self) -> str:
        return self.record.expression

    def set_expression(self, expression: str) -> None:
        """Change the shared expression; it is checked against every attribute definition
        that uses it (without a template of its own), as a template of each."""
        self._record = attribute_services.set_calculation_expression(
            self._ctx, self.id, expression
        )
