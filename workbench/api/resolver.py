"""Old home of the store resolver; it lives in :mod:`workbench.api.services.calc.resolver` now.
Kept while importers move over (``wb.StoreResolver`` is re-exported from here)."""

from __future__ import annotations

from workbench.api.services.calc.resolver import StoreResolver

__all__ = ["StoreResolver"]
