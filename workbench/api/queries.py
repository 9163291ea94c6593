"""Old home of belief queries; they live in :mod:`workbench.api.handles.sensors` (``beliefs``
of several sensors), :mod:`workbench.api.services.beliefs` (reads) and
:mod:`workbench.beliefs.filters` (the belief filter, ``instant``) now. Kept while importers
move over."""

from __future__ import annotations

from workbench.api.handles.sensors import beliefs
from workbench.beliefs.filters import BeliefFilter, belief_filter, instant

__all__ = ["BeliefFilter", "belief_filter", "beliefs", "instant"]
