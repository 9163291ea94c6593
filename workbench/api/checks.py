"""Old home of checking a model against its definition; it lives in
:mod:`workbench.api.handles.checks` (on a model's handle) and
:mod:`workbench.api.services.checks` now. Kept while importers move over."""

from __future__ import annotations

from workbench.api.handles.checks import Finding, check_model

__all__ = ["Finding", "check_model"]
