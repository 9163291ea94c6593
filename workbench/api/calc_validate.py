"""Old home of the checks of expressions on save; they live in
:mod:`workbench.api.services.calc.validate` now. Kept while importers move over."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workbench.api.services.calc import validate
from workbench.api.services.calc.validate import (
    DefinitionResolver,
    expression_in_effect,
    expressions_on_object,
)

if TYPE_CHECKING:
    from workbench.api.context import Context
    from workbench.api.workspace import Workspace

__all__ = [
    "DefinitionResolver",
    "check_expression",
    "expression_in_effect",
    "expressions_on_object",
]


def check_expression(ws: Workspace | Context, *args: Any, **kwargs: Any) -> None:
    """:func:`workbench.api.services.calc.validate.check_expression` for a workspace or a
    context."""
    validate.check_expression(ws._ctx, *args, **kwargs)
