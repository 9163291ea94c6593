"""Old home of the object definition, attribute type and attribute definition handles; they
live in :mod:`workbench.api.handles.definition_attributes` now. Kept while importers move over."""

from __future__ import annotations

from workbench.api.handles.definition_attributes import (
    AttributeDefinition,
    AttributeType,
    ObjectDefinition,
)

__all__ = ["AttributeDefinition", "AttributeType", "ObjectDefinition"]
