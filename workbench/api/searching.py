"""Old home of the search over the store; the navigator and the search returning records live
in :mod:`workbench.api.services.search` now, and ``search`` (handles from a workspace or its
context) is :func:`workbench.api.handles.objects.search_handles`. Kept while importers move
over."""

from __future__ import annotations

from workbench.api.handles.objects import search_handles as search
from workbench.api.services.search import StoreNavigator, SubtreeStoreNavigator

__all__ = ["StoreNavigator", "SubtreeStoreNavigator", "search"]
