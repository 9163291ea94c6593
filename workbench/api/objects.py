"""Old home of the object and attribute handles; they live in
:mod:`workbench.api.handles.objects` now (the services they are built on in
:mod:`workbench.api.services.objects`, ``object_edits`` and ``links``). Kept while importers
move over."""

from __future__ import annotations

from workbench.api.handles.objects import Attribute, Object

__all__ = ["Attribute", "Object"]
