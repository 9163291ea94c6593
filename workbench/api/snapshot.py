"""Old home of reading a whole model at once; it lives in :mod:`workbench.api.services.snapshot`
now (``read_model(ctx, model_info)``). ``read_model`` here keeps the old signature (a
workspace, its open session and the model's handle) while importers move over."""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.api.services import snapshot
from workbench.api.services.snapshot import ModelSnapshot, ObjectRecord

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from workbench.api.context import Context
    from workbench.api.handles.objects import Object
    from workbench.api.workspace import Workspace

__all__ = ["ModelSnapshot", "ObjectRecord", "read_model"]


def read_model(ws: Workspace | Context, s: Session, model: Object) -> ModelSnapshot:
    """:func:`workbench.api.services.snapshot.read_model` in the open transaction ``s``."""
    return snapshot.read_model(ws._ctx, model.info)
