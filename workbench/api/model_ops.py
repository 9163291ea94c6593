"""The workspace's model operations: models and look-ups of objects by path or id.

Each public method hands what the services of :mod:`workbench.api.services.objects` and
:mod:`workbench.api.services.object_edits` return out as handles
(:mod:`workbench.api.handles.objects`). The edits of objects and their links are methods of
the handles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workbench.api.handles.definitions import ModelDefinition
from workbench.api.handles.objects import Attribute, Object
from workbench.api.services import object_edits as edits
from workbench.api.services import objects as services

if TYPE_CHECKING:
    from workbench.api.context import Context
    from workbench.api.handles.definition_attributes import ObjectDefinition
    from workbench.paths import ObjectPath

__all__ = ["ModelOperations"]


class ModelOperations:
    """Mixed into :class:`~workbench.api.workspace.Workspace`."""

    if TYPE_CHECKING:  # provided by the Workspace
        _ctx: Context

        def model_definition(self, name_or_id: str | int) -> ModelDefinition: ...

    # -- looking objects up ----------------------------------------------------------------
    def get(self, key: str | int | ObjectPath) -> Any:
        """An object or attribute by path (short or full), by id, or by attribute id ``"12:7"``.

        A short path that matches several objects raises AmbiguousPath listing the full names;
        what does not exist, or what the user may not see, is NotFound alike.
        """
        info, attribute = services.lookup(self._ctx, key)
        obj = Object(self._ctx, info)
        return obj if attribute is None else Attribute(obj, attribute)

    def object(self, key: str | int | ObjectPath) -> Object:
        """Like :meth:`get`, but the key must name an object."""
        return Object(self._ctx, services.object_by_key(self._ctx, key))

    # -- models ----------------------------------------------------------------------------
    def create_model(
        self,
        name: str,
        definition: ModelDefinition | str,
        root_type: ObjectDefinition | str,
        account: Any = None,
    ) -> Object:
        """Create a model: a root object (with no owner) of ``root_type``."""
        with self._ctx.tx():
            md = definition if isinstance(definition, ModelDefinition) else \
                self.model_definition(definition)
            return Object(self._ctx, edits.create_model(self._ctx, name, md, root_type, account))

    def models(self) -> list[Object]:
        """Every model the user may see."""
        return [Object(self._ctx, info) for info in services.models(self._ctx)]
