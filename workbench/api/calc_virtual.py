"""Old home of virtual series; the handle lives in :mod:`workbench.api.handles.virtual` and the
services in :mod:`workbench.api.services.calc.virtual` now. Kept while importers move over."""

from __future__ import annotations

from workbench.api.handles.virtual import VirtualSeries

__all__ = ["VirtualSeries"]
