"""Virtual series as services: expressions stored in the resource catalog, evaluated on read.

A virtual series has a name, a catalog folder, an expression, a unit and an account; it may be
relative to an object (its relative paths start there). It is usable by path inside other
expressions, like a sensor listed in the catalog: ``@t('Catalog/Hydro/Totals/Inflow')``.
Access follows its account like a sensor's follows its object's: members read it, creating it
takes "create children or post data" in the account, deleting it "delete". It is validated when
saved: the expression compiles, gives a series, reaches no cycle, and its unit converts to the
unit given (which is then the unit of its values); without a unit, the inferred one is kept.

Names are unique in a folder within an account, and a public series (no account) takes its name
from every account: two accounts may each hold ``Hydro/Total``, and creating one never tells
whether another tenant holds that name. Who reads several accounts may meet several series at
one path: an expression then reads them all (as a pattern would), a look-up by path asks for
the id.

Every function takes the context and returns :class:`VirtualSeriesInfo` records (the handle is
:class:`~workbench.api.handles.virtual.VirtualSeries`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import xarray as xr

from workbench.access import Action
from workbench.api.services.accounts import account_id as find_account
from workbench.api.services.calc.evaluate import (
    calculated_dataset,
    naive_utc,
    owner_id,
    period,
)
from workbench.api.services.calc.resolver import StoreResolver
from workbench.api.services.calc.series import converted
from workbench.api.services.sensors import check_catalog_path
from workbench.beliefs import check_timezone
from workbench.calc import compile_expression, evaluate_many, infer_type
from workbench.calc.protocol import Lookup, Viewpoint
from workbench.calc.quantities import unit_text
from workbench.calc.values import Series
from workbench.errors import ExpressionError, InvalidValue, NotFound
from workbench.paths import check_name
from workbench.store import objects as q
from workbench.store import virtual as store
from workbench.store.timeseries import VirtualSeriesRow
from workbench.units import parse_signed_unit

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from workbench.api.context import Context
    from workbench.beliefs.filters import TimeLike

__all__ = [
    "PREFIX",
    "VirtualSeriesInfo",
    "create_virtual_series",
    "delete_virtual_series",
    "find_virtual_series",
    "list_virtual_series",
    "load_virtual_series",
    "set_virtual_expression",
    "virtual_beliefs",
]

PREFIX = "Catalog/"


@dataclass(frozen=True)
class VirtualSeriesInfo:
    """A virtual series as stored: what the handle shows."""

    id: int
    name: str
    catalog_path: str
    expression: str
    unit: str
    timezone: str
    account_id: int | None
    relative_to_id: int | None

    @property
    def path(self) -> str:
        """``Catalog/<folder>/<name>``: how expressions name it."""
        folder = f"{self.catalog_path}/" if self.catalog_path else ""
        return f"{PREFIX}{folder}{self.name}"


def _info(row: VirtualSeriesRow) -> VirtualSeriesInfo:
    return VirtualSeriesInfo(
        int(row.id),
        str(row.name),
        str(row.catalog_path),
        str(row.expression),
        str(row.unit),
        str(row.timezone),
        row.account_id,
        row.relative_to_id,
    )


def _visible(ctx: Context, account_id: int | None) -> bool:
    readable = ctx.principal.readable_accounts()
    return readable is None or account_id is None or account_id in readable


def _load(ctx: Context, s: Session, vs_id: int) -> VirtualSeriesRow:
    row = s.get(VirtualSeriesRow, vs_id)
    if row is None or not _visible(ctx, row.account_id):
        raise NotFound("virtual series", vs_id)
    return row


def _unit(unit: object) -> str:
    parse_signed_unit(unit)  # UnitError naming the unit
    return str(unit).strip()


def _validate(ctx: Context, row: VirtualSeriesRow, unit_given: bool) -> None:
    """Check a stored (flushed) virtual series as its reader would meet it: the expression
    compiles, gives a series and reaches no cycle; its unit converts to the declared one."""
    expr = compile_expression(row.expression)
    if expr.kind != "t":
        raise ExpressionError(
            f"the expression of a virtual series must give a series, "
            f"not {'a number' if expr.kind == 'd' else 'a ' + expr.kind + ' value'}: "
            f"{row.expression!r}"
        )
    if not unit_given:
        row.unit = ""  # describe infers it for an empty unit
    folder = f"{row.catalog_path}/" if row.catalog_path else ""
    lookup = Lookup(f"{PREFIX}{folder}{row.name}", None)
    resolver = StoreResolver(ctx)
    # by its path, as readers meet it: compiles, gives a series, no cycle, its unit converts
    if lookup not in resolver.describe([lookup]):
        raise NotFound("virtual series", lookup.path)
    own = infer_type(row.expression, resolver, row.relative_to_id)  # the path may name others
    if not unit_given:
        row.unit = unit_text(own.unit)
    row.resolution_us = (own.step or 0) // 1000


def load_virtual_series(ctx: Context, vs_id: int) -> VirtualSeriesInfo:
    """A virtual series by id; one the user may not read is NotFound."""
    with ctx.tx(read=True) as s:
        return _info(_load(ctx, s, vs_id))


def _account(ctx: Context, s: Session, account: Any, owner: int | None) -> int | None:
    """The account a new series belongs to: the one given, else its object's, else the user's."""
    if account is not None:
        return find_account(ctx, account)
    if owner is not None:
        rows = q.object_rows(s, [owner], ctx.principal.readable_accounts())
        if not rows:
            raise NotFound("object", owner)
        found: int | None = rows[0].account_id
        return found
    return ctx.principal.account_id


def create_virtual_series(
    ctx: Context,
    name: str,
    expression: str,
    *,
    catalog_path: str = "",
    unit: str | None = None,
    relative_to: Any = None,
    account: Any = None,
    timezone: str = "UTC",
) -> VirtualSeriesInfo:
    """Store a virtual series in the catalog folder ``catalog_path``.

    Parameters
    ----------
    name
        Unique in its folder.
    expression
        An expression giving a series.
    unit
        The unit of its values: the inferred unit must convert to it. Default: the inferred.
    relative_to
        The object its relative paths start from (an Object, its id or its path).
    account
        The account that owns it (name, id or handle); default: the object's account, else
        the user's. Without an account (admins only) it is public.
    timezone
        The zone its values are shown in (the ``timezone`` attr of what it returns).
    """
    name = check_name(name, "virtual series name")
    folder = check_catalog_path(catalog_path)
    zone = check_timezone(timezone)
    declared = None if unit is None else _unit(unit)
    compile_expression(expression)
    with ctx.tx() as s:
        owner = owner_id(ctx, relative_to)
        account_id = _account(ctx, s, account, owner)
        ctx.check(Action.CREATE, account_id, f"virtual series in {PREFIX}{folder}")
        if store.virtual_name_taken(s, folder, name, account_id):
            raise InvalidValue(f"the catalog folder {folder!r} already holds {name!r}")
        row = VirtualSeriesRow(
            account_id=account_id,
            relative_to_id=owner,
            name=name,
            catalog_path=folder,
            expression=expression,
            unit=declared or "",
            timezone=zone,
            resolution_us=0,
        )
        s.add(row)
        s.flush()
        _validate(ctx, row, declared is not None)
        return _info(row)


def find_virtual_series(ctx: Context, key: str | int) -> VirtualSeriesInfo:
    """A virtual series by id or catalog path; one the user may not read is NotFound.

    A user who reads several accounts may find series of several accounts at one path: the
    path is then refused as ambiguous, naming their ids.
    """
    with ctx.tx(read=True) as s:
        if isinstance(key, int) and not isinstance(key, bool):
            return _info(_load(ctx, s, key))
        if not isinstance(key, str):
            raise InvalidValue(f"look up a virtual series by id or catalog path, got {key!r}")
        text = key[len(PREFIX) :] if key.startswith(PREFIX) else key
        folder, _, name = text.strip("/").rpartition("/")
        rows = [r for r in store.virtual_rows_at(s, folder, name) if _visible(ctx, r.account_id)]
        if not rows:
            raise NotFound("virtual series", key)
        if len(rows) > 1:
            owners = store.account_names(s, {r.account_id for r in rows if r.account_id})
            listed = ", ".join(
                f"id {r.id} ({owners.get(r.account_id, '?') if r.account_id else 'public'})"
                for r in rows
            )
            raise InvalidValue(
                f"virtual series path {key!r} is used by several accounts you may read: "
                f"{listed}; give the id"
            )
        return _info(rows[0])


def list_virtual_series(ctx: Context, catalog_path: str | None = None) -> list[VirtualSeriesInfo]:
    """The virtual series the user may read, in ``catalog_path`` and below (all when None)."""
    folder = None if catalog_path is None else check_catalog_path(catalog_path) or None
    with ctx.tx(read=True) as s:
        rows = [r for r in store.virtual_rows_under(s, folder) if _visible(ctx, r.account_id)]
    return [_info(r) for r in sorted(rows, key=lambda r: (r.catalog_path, r.name))]


def virtual_beliefs(
    ctx: Context, vs_id: int, start: TimeLike, end: TimeLike, as_of: TimeLike | None = None
) -> tuple[VirtualSeriesInfo, xr.Dataset]:
    """A virtual series as read now, and its values over [start, end) in the layout of a
    sensor's most recent beliefs (``event_start`` x ``source``, the source ``"calculation"``),
    in its unit."""
    t0, t1 = period(start, end)
    viewpoint = Viewpoint(as_of=None if as_of is None else naive_utc(as_of, "as_of"))
    with ctx.tx(read=True) as s:
        info = _info(_load(ctx, s, vs_id))
        # its own expression, not its path: a reader of several accounts may find several
        # series at the path
        resolver, owner = StoreResolver(ctx), info.relative_to_id
        inferred = unit_text(infer_type(info.expression, resolver, owner).unit)
        found = evaluate_many(
            info.expression, resolver, [owner], t0, t1, viewpoint=viewpoint, raw=True
        )[owner]
    if not isinstance(found, Series):
        raise ExpressionError(
            f"the expression of virtual series {info.path} no longer gives a series: "
            f"{info.expression!r}"
        )
    unit = info.unit or inferred  # dimensionless when saved: whatever it gives now
    series = converted(found, inferred, unit).crop(int(t0.value), int(t1.value))
    return info, calculated_dataset(
        series, unit, info.path, "virtual", info.expression, info.timezone
    )


def set_virtual_expression(
    ctx: Context, vs_id: int, expression: str, unit: str | None = None
) -> VirtualSeriesInfo:
    """Replace the expression (and the unit, when given), validated like a new one."""
    with ctx.tx() as s:
        row = _load(ctx, s, vs_id)
        ctx.check(Action.UPDATE, row.account_id, f"virtual series {_info(row).path}")
        row.expression = expression
        if unit is not None:
            row.unit = _unit(unit)
        s.flush()
        _validate(ctx, row, unit is not None or bool(row.unit))
        return _info(row)


def delete_virtual_series(ctx: Context, vs_id: int) -> None:
    """Delete a virtual series (takes "delete" in its account)."""
    with ctx.tx() as s:
        row = _load(ctx, s, vs_id)
        ctx.check(Action.DELETE, row.account_id, f"virtual series {_info(row).path}")
        s.delete(row)
