"""Old home of the definition handles' base, namespaces, tags and template calculations; they
live in :mod:`workbench.api.handles.definition_base` (handles) and
:mod:`workbench.api.services.definition_access` (who may read and change a definition) now.
Kept while importers move over.

``check_definition_change`` now takes ``(ctx, account_id, what)`` (no session).
"""

from __future__ import annotations

from workbench.api.handles.definition_base import Namespace, Tag, TemplateCalculation
from workbench.api.services.definition_access import (
    check_definition_change,
    may_read_definition,
)
from workbench.api.services.definition_access import (
    validate_expression as _validate_expression,
)
from workbench.store.definitions import definition_account

__all__ = [
    "Namespace",
    "Tag",
    "TemplateCalculation",
    "_validate_expression",
    "check_definition_change",
    "definition_account",
    "may_read_definition",
]
