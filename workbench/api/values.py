"""Old home of attribute values; they are read and written by
:mod:`workbench.api.services.values` now (relations by the handles,
:mod:`workbench.api.handles.objects`). Kept while importers move over."""

from __future__ import annotations

from workbench.api.services.values import TimeseriesValue

__all__ = ["TimeseriesValue"]
