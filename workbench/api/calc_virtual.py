"""Virtual series: expressions stored in the resource catalog, evaluated on read.

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

>>> vs = ws.create_virtual_series("Total", "@SUM(@T('.To_Plants/*.Production'))",
...                               catalog_path="Hydro", relative_to=area)  # doctest: +SKIP
>>> vs.beliefs("2025-01-01T00:00Z", "2025-01-02T00:00Z")                   # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import xarray as xr
from sqlalchemy import select

from workbench.access import Action
from workbench.api.calc_ops import calculated_dataset, naive_utc, object_id
from workbench.api.calc_series import converted
from workbench.api.sensors import check_catalog_path
from workbench.beliefs import check_timezone
from workbench.calc import compile_expression, evaluate_many, infer_type
from workbench.calc.protocol import Lookup, Viewpoint
from workbench.calc.quantities import unit_text
from workbench.calc.values import Series
from workbench.errors import ExpressionError, InvalidValue, NotFound
from workbench.paths import check_name
from workbench.store.schema import Account
from workbench.store.timeseries import VirtualSeriesRow
from workbench.units import parse_signed_unit

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from workbench.api.objects import Object
    from workbench.api.sensors import TimeLike
    from workbench.api.workspace import Workspace

__all__ = [
    "VirtualSeries",
    "create_virtual_series",
    "get_virtual_series",
    "list_virtual_series",
]

PREFIX = "Catalog/"


class VirtualSeries:
    """A handle on one virtual series (what it is, as read; ``refresh()`` reads again)."""

    def __init__(self, ws: Workspace, row: VirtualSeriesRow) -> None:
        self.ws = ws
        self._row = row

    id = property(lambda self: int(self._row.id))
    name = property(lambda self: str(self._row.name))
    catalog_path = property(lambda self: str(self._row.catalog_path))
    expression = property(lambda self: str(self._row.expression))
    unit = property(lambda self: str(self._row.unit))
    timezone = property(lambda self: str(self._row.timezone))
    account_id = property(lambda self: self._row.account_id)
    relative_to_id = property(lambda self: self._row.relative_to_id)

    @property
    def path(self) -> str:
        """``Catalog/<folder>/<name>``: how expressions name it."""
        folder = f"{self.catalog_path}/" if self.catalog_path else ""
        return f"{PREFIX}{folder}{self.name}"

    @property
    def relative_to(self) -> Object | None:
        """The object its relative paths start from, if any."""
        return None if self.relative_to_id is None else self.ws.object(self.relative_to_id)

    def refresh(self) -> VirtualSeries:
        with self.ws._tx() as s:
            self._row = _load(self.ws, s, self.id)
        return self

    def beliefs(
        self, start: TimeLike, end: TimeLike, *, as_of: TimeLike | None = None
    ) -> xr.Dataset:
        """Its values over [start, end) in the layout of a sensor's most recent beliefs
        (``event_start`` x ``source``, the source ``"calculation"``), in its unit."""
        from workbench.api.resolver import StoreResolver

        t0, t1 = naive_utc(start, "start"), naive_utc(end, "end")
        if t1 <= t0:
            raise InvalidValue(f"end {end!r} must come after start {start!r}")
        viewpoint = Viewpoint(as_of=None if as_of is None else naive_utc(as_of, "as_of"))
        with self.ws._tx() as s:
            row = self._row = _load(self.ws, s, self.id)
            # its own expression, not its path: a reader of several accounts may find several
            # series at the path
            resolver, owner = StoreResolver(self.ws), row.relative_to_id
            inferred = unit_text(infer_type(row.expression, resolver, owner).unit)
            found = evaluate_many(
                row.expression, resolver, [owner], t0, t1, viewpoint=viewpoint, raw=True
            )[owner]
        if not isinstance(found, Series):
            raise ExpressionError(
                f"the expression of virtual series {self.path} no longer gives a series: "
                f"{row.expression!r}"
            )
        unit = row.unit or inferred  # dimensionless when saved: whatever it gives now
        series = converted(found, inferred, unit).crop(int(t0.value), int(t1.value))
        return calculated_dataset(
            series, unit, self.path, "virtual", self.expression, self.timezone
        )

    def set_expression(self, expression: str, unit: str | None = None) -> None:
        """Replace the expression (and the unit, when given), validated like a new one."""
        with self.ws._tx() as s:
            row = _load(self.ws, s, self.id)
            self.ws._check(Action.UPDATE, row.account_id, f"virtual series {self.path}")
            row.expression = expression
            if unit is not None:
                row.unit = _unit(unit)
            s.flush()
            _validate(self.ws, row, unit is not None or bool(row.unit))
            self._row = row

    def delete(self) -> None:
        """Delete the virtual series."""
        with self.ws._tx() as s:
            row = _load(self.ws, s, self.id)
            self.ws._check(Action.DELETE, row.account_id, f"virtual series {self.path}")
            s.delete(row)

    def __repr__(self) -> str:
        return f"<VirtualSeries {self.path} [{self.unit or 'dimensionless'}] id={self.id}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VirtualSeries) and other.id == self.id

    def __hash__(self) -> int:
        return hash(("VirtualSeries", self.id))


def _visible(ws: Workspace, account_id: int | None) -> bool:
    readable = ws.principal.readable_accounts()
    return readable is None or account_id is None or account_id in readable


def _load(ws: Workspace, s: Session, vs_id: int) -> VirtualSeriesRow:
    row = s.get(VirtualSeriesRow, vs_id)
    if row is None or not _visible(ws, row.account_id):
        raise NotFound("virtual series", vs_id)
    return row


def _unit(unit: object) -> str:
    parse_signed_unit(unit)  # UnitError naming the unit
    return str(unit).strip()


def _validate(ws: Workspace, row: VirtualSeriesRow, unit_given: bool) -> None:
    """Check a stored (flushed) virtual series as its reader would meet it: the expression
    compiles, gives a series and reaches no cycle; its unit converts to the declared one."""
    from workbench.api.resolver import StoreResolver

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
    resolver = StoreResolver(ws)
    # by its path, as readers meet it: compiles, gives a series, no cycle, its unit converts
    if lookup not in resolver.describe([lookup]):
        raise NotFound("virtual series", lookup.path)
    own = infer_type(row.expression, resolver, row.relative_to_id)  # the path may name others
    if not unit_given:
        row.unit = unit_text(own.unit)
    row.resolution_us = (own.step or 0) // 1000


def create_virtual_series(
    ws: Workspace,
    name: str,
    expression: str,
    *,
    catalog_path: str = "",
    unit: str | None = None,
    relative_to: Any = None,
    account: Any = None,
    timezone: str = "UTC",
) -> VirtualSeries:
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
    with ws._tx() as s:
        owner = object_id(ws, relative_to)
        account_id = _account(ws, account, owner)
        ws._check(Action.CREATE, account_id, f"virtual series in {PREFIX}{folder}")
        if _taken(s, folder, name, account_id):
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
        _validate(ws, row, declared is not None)
        return VirtualSeries(ws, row)


def _taken(s: Session, folder: str, name: str, account_id: int | None) -> bool:
    """Whether ``name`` is taken in ``folder`` for a new series of ``account_id``: by a series of
    that account or a public one; a public series (admins only) takes it from every account.
    Another account's series of that name is none of a member's business."""
    query = select(VirtualSeriesRow.id).where(
        VirtualSeriesRow.catalog_path == folder, VirtualSeriesRow.name == name
    )
    if account_id is not None:
        query = query.where(
            VirtualSeriesRow.account_id.is_(None) | (VirtualSeriesRow.account_id == account_id)
        )
    return s.scalar(query.limit(1)) is not None


def _account(ws: Workspace, account: Any, owner: int | None) -> int | None:
    from workbench.api.accounts import account_id

    if account is not None:
        return account_id(ws, account)
    if owner is not None:
        return ws.object(owner).account_id  # type: ignore[no-any-return]
    return ws.principal.account_id


def get_virtual_series(ws: Workspace, key: str | int) -> VirtualSeries:
    """A virtual series by id or catalog path; one the user may not read is NotFound.

    A user who reads several accounts may find series of several accounts at one path: the
    path is then refused as ambiguous, naming their ids.
    """
    with ws._tx() as s:
        if isinstance(key, int) and not isinstance(key, bool):
            return VirtualSeries(ws, _load(ws, s, key))
        if not isinstance(key, str):
            raise InvalidValue(f"look up a virtual series by id or catalog path, got {key!r}")
        text = key[len(PREFIX) :] if key.startswith(PREFIX) else key
        folder, _, name = text.strip("/").rpartition("/")
        query = select(VirtualSeriesRow).where(
            VirtualSeriesRow.catalog_path == folder, VirtualSeriesRow.name == name
        )
        rows = [
            r for r in s.scalars(query.order_by(VirtualSeriesRow.id)) if _visible(ws, r.account_id)
        ]
        if not rows:
            raise NotFound("virtual series", key)
        if len(rows) > 1:
            held = {r.account_id for r in rows if r.account_id is not None}
            names = select(Account.id, Account.name).where(Account.id.in_(held))
            owners: dict[int, str] = {i: n for i, n in s.execute(names)}
            listed = ", ".join(
                f"id {r.id} ({owners.get(r.account_id, '?') if r.account_id else 'public'})"
                for r in rows
            )
            raise InvalidValue(
                f"virtual series path {key!r} is used by several accounts you may read: "
                f"{listed}; give the id"
            )
        return VirtualSeries(ws, rows[0])


def list_virtual_series(ws: Workspace, catalog_path: str | None = None) -> list[VirtualSeries]:
    """The virtual series the user may read, in ``catalog_path`` and below (all when None)."""
    with ws._tx() as s:
        query = select(VirtualSeriesRow)
        if catalog_path is not None and check_catalog_path(catalog_path):
            folder = check_catalog_path(catalog_path)
            query = query.where(
                (VirtualSeriesRow.catalog_path == folder)
                | VirtualSeriesRow.catalog_path.startswith(folder + "/", autoescape=True)
            )
        rows = [r for r in s.scalars(query) if _visible(ws, r.account_id)]
    return [VirtualSeries(ws, r) for r in sorted(rows, key=lambda r: (r.catalog_path, r.name))]
