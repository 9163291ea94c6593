"""Data sources as users hold them: ``wb.Source`` records, found or made from a workspace.

A source is never edited in place, so what a user holds of one is its record
(:class:`~workbench.beliefs.sources.Source`): there is nothing to refresh. The functions here
take a workspace (or its context) and call :mod:`workbench.api.services.sources`.

>>> import workbench as wb
>>> ws = wb.connect("sqlite://")
>>> get_or_create_source(ws, "meter", "meter") == get_or_create_source(ws, "meter", "meter")
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.api.services import sources as services
from workbench.beliefs.sources import SOURCE_TYPES, Source, SourceRef

if TYPE_CHECKING:
    from workbench.api.context import Context
    from workbench.api.workspace import Workspace

__all__ = [
    "SOURCE_TYPES",
    "Source",
    "SourceRef",
    "get_or_create_source",
    "get_source",
    "list_sources",
]


def get_or_create_source(
    ws: Workspace | Context,
    name: str,
    type: str = "user",
    model: str = "",
    version: str = "",
    user: str | int | None = None,
) -> Source:
    """Return the source (name, type, model, version) of ``user``'s account (or the public one
    without ``user``), creating it when it does not exist; see
    :func:`workbench.api.services.sources.get_or_create_source`."""
    return services.get_or_create_source(ws._ctx, name, type, model, version, user)


def get_source(ws: Workspace | Context, key: int | str, type: str | None = None) -> Source:
    """Return a source the user may see by id, or by name (and type, when several sources share
    the name); another tenant's source is not found, as one that does not exist."""
    return services.get_source(ws._ctx, key, type)


def list_sources(ws: Workspace | Context, type: str | None = None) -> list[Source]:
    """The sources of the user's accounts and those of no account, by name, type, model."""
    return services.list_sources(ws._ctx, type)
