"""Old home of data sources; they live in :mod:`workbench.api.handles.sources` (``wb.Source``
and the look-ups from a workspace) and :mod:`workbench.api.services.sources` now. Kept while
importers move over."""

from __future__ import annotations

from workbench.api.handles.sources import (
    SOURCE_TYPES,
    Source,
    SourceRef,
    get_or_create_source,
    get_source,
    list_sources,
)
from workbench.beliefs.sources import check_source_type

__all__ = [
    "SOURCE_TYPES",
    "Source",
    "SourceRef",
    "check_source_type",
    "get_or_create_source",
    "get_source",
    "list_sources",
]
