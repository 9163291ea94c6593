"""Virtual series handles: an expression of the resource catalog as read, and its values.

A virtual series is usable by path inside other expressions, like a sensor listed in the
catalog (see :mod:`workbench.api.services.calc.virtual` for the rules of names and access).

>>> vs = ws.create_virtual_series("Total", "@SUM(@T('.To_Plants/*.Production'))",
...                               catalog_path="Hydro", relative_to=area)  # doctest: +SKIP
>>> vs.beliefs("2025-01-01T00:00Z", "2025-01-02T00:00Z")                   # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from workbench.api.services.calc import virtual as services

if TYPE_CHECKING:
    import xarray as xr

    from workbench.api.context import Context
    from workbench.api.handles.objects import Object
    from workbench.api.services.calc.virtual import VirtualSeriesInfo
    from workbench.api.workspace import Workspace
    from workbench.beliefs.filters import TimeLike

__all__ = ["VirtualSeries"]


class VirtualSeries:
    """A handle on one virtual series (what it is, as read; ``refresh()`` reads again).

    Made from the workspace (or its context) it is read through and the series' record.
    """

    def __init__(self, ws: Workspace | Context, info: VirtualSeriesInfo) -> None:
        self._ctx: Context = ws._ctx
        self._info = info

    @property
    def ws(self) -> Workspace:
        """The workspace the series was read through."""
        return cast("Workspace", self._ctx.workspace)

    @property
    def info(self) -> VirtualSeriesInfo:
        """The series' record, as read."""
        return self._info

    id = property(lambda self: self._info.id)
    name = property(lambda self: self._info.name)
    catalog_path = property(lambda self: self._info.catalog_path)
    expression = property(lambda self: self._info.expression)
    unit = property(lambda self: self._info.unit)
    timezone = property(lambda self: self._info.timezone)
    account_id = property(lambda self: self._info.account_id)
    relative_to_id = property(lambda self: self._info.relative_to_id)

    @property
    def path(self) -> str:
        """``Catalog/<folder>/<name>``: how expressions name it."""
        return self._info.path

    @property
    def relative_to(self) -> Object | None:
        """The object its relative paths start from, if any."""
        return None if self.relative_to_id is None else self.ws.object(self.relative_to_id)

    def refresh(self) -> VirtualSeries:
        """Read the series again."""
        self._info = services.load_virtual_series(self._ctx, self.id)
        return self

    def beliefs(
        self, start: TimeLike, end: TimeLike, *, as_of: TimeLike | None = None
    ) -> xr.Dataset:
        """Its values over [start, end) in the layout of a sensor's most recent beliefs
        (``event_start`` x ``source``, the source ``"calculation"``), in its unit."""
        self._info, ds = services.virtual_beliefs(self._ctx, self.id, start, end, as_of)
        return ds

    def set_expression(self, expression: str, unit: str | None = None) -> None:
        """Replace the expression (and the unit, when given), validated like a new one."""
        self._info = services.set_virtual_expression(self._ctx, self.id, expression, unit)

    def delete(self) -> None:
        """Delete the virtual series."""
        services.delete_virtual_series(self._ctx, self.id)

    def __repr__(self) -> str:
        return f"<VirtualSeries {self.path} [{self.unit or 'dimensionless'}] id={self.id}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VirtualSeries) and other.id == self.id

    def __hash__(self) -> int:
        return hash(("VirtualSeries", self.id))
