"""Old home of the model definition handle and its functions; they live in
:mod:`workbench.api.handles.definitions` (the handle, and the functions the facade hands it out
with) and :mod:`workbench.api.services.definitions` now. Kept while importers move over."""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.api.handles.definitions import (
    ModelDefinition,
    create_model_definition,
    definition_name_taken,
    get_model_definition,
    list_model_definitions,
)
from workbench.api.services.definitions import refuse_misfit
from workbench.store.definitions import definition_account

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = [
    "ModelDefinition",
    "check_model_definition_fits",
    "create_model_definition",
    "definition_name_taken",
    "get_model_definition",
    "list_model_definitions",
]


def check_model_definition_fits(s: Session, md: ModelDefinition, account_id: int | None) -> None:
    """The old signature of :func:`workbench.api.services.definitions.check_model_definition_fits`
    (which takes the context and the definition's id), for the callers not yet moved over."""
    owner = definition_account(s, md.id)
    if owner is not None and owner != account_id:
        refuse_misfit(owner, account_id, md.name)
