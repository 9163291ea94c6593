"""Calculations from the workspace: ``ws.evaluate``, ``ws.infer_unit``, virtual series.

The work is done by the calculation services (:mod:`workbench.api.services.calc`); each method
here only hands the workspace's context to one of them. The old names of this module stay
importable from here while importers move over: ``attribute_beliefs`` (taking an attribute
handle), ``calculated_dataset``, ``naive_utc``, ``object_id`` and ``CALCULATION_SOURCE``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workbench.api.handles.virtual import VirtualSeries
from workbench.api.services.calc import evaluate as calc
from workbench.api.services.calc import virtual
from workbench.api.services.calc.evaluate import (
    CALCULATION_SOURCE,
    calculated_dataset,
    naive_utc,
)

if TYPE_CHECKING:
    import xarray as xr

    from workbench.api.context import Context
    from workbench.api.handles.objects import Attribute, Object
    from workbench.beliefs.filters import TimeLike
    from workbench.calc import Result

__all__ = [
    "CALCULATION_SOURCE",
    "CalcOperations",
    "attribute_beliefs",
    "calculated_dataset",
    "naive_utc",
    "object_id",
]


class CalcOperations:
    """Mixed into :class:`~workbench.api.workspace.Workspace`."""

    if TYPE_CHECKING:  # provided by the Workspace
        _ctx: Context

    def evaluate(
        self,
        expression: str,
        start: TimeLike,
        end: TimeLike,
        *,
        relative_to: Object | int | str | None = None,
        as_of: TimeLike | None = None,
    ) -> Result:
        """Evaluate an expression over [start, end), reading the store as this user.

        Parameters
        ----------
        expression
            A script of the calculation language (``@t('.Inflow') * 0.9``).
        start, end
            Timezone-aware times (naive ones are refused).
        relative_to
            The object relative paths start from (an Object, its id or its path).
        as_of
            Read every series as known at this belief time (capped by :meth:`pin`).

        Returns
        -------
        xr.DataArray, float, str, np.ndarray, tuple or list
            A series is a DataArray over ``event_start`` (naive UTC) with attrs ``units``,
            ``timezone``, ``resolution`` and ``curve_type``; a number is a float in the unit
            :meth:`infer_unit` gives; a string a str; arrays of numbers an ndarray, of strings
            a tuple, of series a list of DataArrays.

        Examples
        --------
        >>> ws.evaluate("@SUM(@T('.To_Plants/*.Production'))", "2025-01-01T00:00Z",
        ...             "2025-01-02T00:00Z", relative_to="Model/Demo/East")  # doctest: +SKIP
        """
        return calc.evaluate(
            self._ctx,
            expression,
            start,
            end,
            relative_to=relative_to,
            as_of=as_of,
        )

    def infer_unit(self, expression: str, *, relative_to: Object | int | str | None = None) -> str:
        """The unit of an expression's result, reading no data ("" for dimensionless)."""
        return calc.infer_unit(self._ctx, expression, relative_to=relative_to)

    # -- virtual series ---------------------------------------------------------------------

    def create_virtual_series(
        self,
        name: str,
        expression: str,
        *,
        catalog_path: str = "",
        unit: str | None = None,
        relative_to: Object | int | str | None = None,
        account: Any = None,
        timezone: str = "UTC",
    ) -> VirtualSeries:
        """Store an expression in the resource catalog as a virtual series; see
        :func:`workbench.api.services.calc.virtual.create_virtual_series`."""
        info = virtual.create_virtual_series(
            self._ctx,
            name,
            expression,
            catalog_path=catalog_path,
            unit=unit,
            relative_to=relative_to,
            account=account,
            timezone=timezone,
        )
        return VirtualSeries(self._ctx, info)

    def virtual_series(self, key: str | int) -> VirtualSeries:
        """A virtual series by id or by catalog path (``"Catalog/Folder/name"`` or
        ``"Folder/name"``)."""
        return VirtualSeries(self._ctx, virtual.find_virtual_series(self._ctx, key))

    def virtual_series_list(self, catalog_path: str | None = None) -> list[VirtualSeries]:
        """The virtual series the user may read, all or those in a catalog folder and below."""
        found = virtual.list_virtual_series(self._ctx, catalog_path)
        return [VirtualSeries(self._ctx, info) for info in found]


# -- the old names, for importers that have not moved over ----------------------------------


def object_id(ws: Any, relative_to: Any) -> int | None:
    """The id of the object an expression is relative to (an Object, an id, or a path)."""
    return calc.owner_id(ws._ctx, relative_to)


def attribute_beliefs(
    attribute: Attribute, start: TimeLike | None, end: TimeLike | None, as_of: TimeLike | None
) -> xr.Dataset:
    """What :meth:`Attribute.beliefs` returns; see
    :func:`workbench.api.services.calc.evaluate.attribute_beliefs`."""
    obj = attribute.object
    return calc.attribute_beliefs(
        obj.ws._ctx, obj.id, obj.full_name, attribute.info, start, end, as_of
    )
