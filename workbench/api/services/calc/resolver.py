"""The calculation language over the store: a :class:`~workbench.calc.protocol.Resolver` for a user.

:class:`StoreResolver` answers an evaluation's lookups from the store, with the workspace's
access rights: what the user may not read is not found, exactly like what does not exist. Paths
are walked with :mod:`~workbench.api.services.calc.walker` and ended with
:mod:`~workbench.api.services.calc.sources`; series are read with
:mod:`~workbench.api.services.calc.series`.

Batching: :meth:`StoreResolver.describe` walks every path of a batch level by level (a few
queries per level, whatever the number of objects) and reads the sensors named at the ends in
one query; :meth:`StoreResolver.series` reads every sensor of a batch in one statement per
viewpoint. A timeseries attribute whose value is a calculation (its local expression, else its
definition's template) and a virtual series are evaluated with the same resolver, once per
distinct expression for all the objects that use it, so nesting adds a bounded number of
queries per level of nesting. A calculation that reaches itself is refused with an
:class:`~workbench.errors.ExpressionError` naming the cycle.

Every belief read is capped by the context's pinned belief time and recorded for provenance.

Examples
--------
>>> resolver = StoreResolver(ws)  # a workspace, or its context      # doctest: +SKIP
>>> evaluate("@t('.Inflow') * 0.9", resolver, start, end, relative_to=lake.id)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from workbench.api.services.calc.members import (
    curve_of,
    latest,
    member_series,
    object_id,
    usable,
)
from workbench.api.services.calc.paths import LookupPath, parse_lookup_path
from workbench.api.services.calc.series import read_sensors
from workbench.api.services.calc.sources import (
    CalcSource,
    Finder,
    Member,
    ValueSource,
    found_of,
    numbers_of,
    sensor_ids,
)
from workbench.api.services.calc.walker import Walker
from workbench.api.services.objects import full_names
from workbench.calc import compile_expression, evaluate_many
from workbench.calc.check import Checker
from workbench.calc.protocol import CurveType, Found, Lookup, LookupInfo, Viewpoint
from workbench.calc.quantities import compatible, converter, show, unit_of, unit_text
from workbench.calc.values import Series, TimesPool, ValueType
from workbench.curves import RatingCurve, VersionedXYSet, XYSet
from workbench.errors import ExpressionError, UnitError

if TYPE_CHECKING:
    from workbench.api.context import Context
    from workbench.api.workspace import Workspace

__all__ = ["StoreResolver"]

MAX_DEPTH = 32
"""How deeply calculations may nest (a guard; cycles are found before)."""

Chain = tuple[tuple[tuple[str, int, int], CalcSource], ...]


class StoreResolver:
    """Implements :class:`~workbench.calc.protocol.Resolver` over a workspace's store.

    Objects are identified by their ids (``relative_to`` of a lookup is an object id). One
    resolver serves one evaluation (it caches what it read); it joins the caller's transaction
    or opens one that only reads per call.

    Parameters
    ----------
    ctx
        The context of the user it reads for: a :class:`~workbench.api.context.Context`, or a
        workspace (its context is taken).

    Attributes
    ----------
    calls
        ``(method, number of lookups)`` of every call, as :class:`MemoryResolver` keeps them.
    """

    def __init__(self, ctx: Context | Workspace) -> None:
        self.ctx: Context = ctx._ctx
        self.calls: list[tuple[str, int]] = []
        self._members: dict[Lookup, list[Member]] = {}
        self._found: dict[Lookup, Found | None] = {}
        self._infos: dict[Lookup, LookupInfo | None] = {}
        self._types: dict[tuple[str, int, int], LookupInfo] = {}
        self._inferred: dict[tuple[str, int, int], str] = {}
        self._checked: dict[tuple[str, tuple[LookupInfo | None, ...]], ValueType] = {}
        self._finder: Finder | None = None
        self._pool = TimesPool()

    # -- resolving paths --------------------------------------------------------------------

    def _finder_for(self) -> Finder:
        session = self.ctx.session
        assert session is not None
        if self._finder is None or self._finder.session is not session:
            self._finder = Finder(Walker(self.ctx, session))
        return self._finder

    def _resolve(self, lookups: Collection[Lookup]) -> None:
        """Find the members of every lookup not resolved yet (batched)."""
        todo = [lk for lk in lookups if lk not in self._members]
        if not todo:
            return
        finder = self._finder_for()
        paths = {lk: parse_lookup_path(lk.path) for lk in todo}
        catalog = [lk for lk in todo if paths[lk].final == "catalog"]
        if catalog:
            entries = finder.catalog([paths[lk].catalog or "" for lk in catalog])
            for lk in catalog:
                self._members[lk] = entries[paths[lk].catalog or ""]
        starts: dict[tuple[LookupPath, int | None], list[int]] = {}
        for lk in todo:
            if paths[lk].final != "catalog":
                owner = object_id(lk.relative_to)
                starts[(paths[lk], owner)] = [] if owner is None else [owner]
        reached = finder.walker.walk(starts)
        finder.load_object_sensors(
            r.object_id for (p, _), rs in reached.items() if p.final == "sensor" for r in rs
        )
        for lk in todo:
            if paths[lk].final != "catalog":
                key = (paths[lk], object_id(lk.relative_to))
                self._members[lk] = finder.members(paths[lk], reached[key])
        finder.load_sensors(sensor_ids({lk: self._members[lk] for lk in todo}))
        for lk in todo:
            self._members[lk] = [m for m in self._members[lk] if usable(finder, m)]
            self._found[lk] = found_of(lk.path, self._members[lk])

    # -- describe -----------------------------------------------------------------------------

    def describe(self, lookups: Collection[Lookup]) -> dict[Lookup, LookupInfo]:
        """Say what each lookup names; calculations met on the way are described (and their
        units inferred) recursively, cycles refused."""
        self.calls.append(("describe", len(lookups)))
        with self.ctx.tx(read=True):
            self._describe({lk: () for lk in lookups}, 0)
        return {lk: info for lk in lookups if (info := self._infos.get(lk)) is not None}

    def _describe(self, chains: Mapping[Lookup, Chain], depth: int) -> None:
        todo = [lk for lk in chains if lk not in self._infos]
        self._resolve(todo)
        pending: dict[tuple[str, int, int], tuple[CalcSource, Chain]] = {}
        for lk in todo:
            for source in self._calcs(lk):
                if source.key in self._types or source.key in pending:
                    continue
                chain = chains[lk]
                if any(key == source.key for key, _ in chain):
                    raise self._cycle([*(s for _, s in chain), source], source)
                pending[source.key] = (source, (*chain, (source.key, source)))
        if pending:
            if depth >= MAX_DEPTH:
                raise ExpressionError(f"calculations nest more than {MAX_DEPTH} levels deep")
            inner: dict[Lookup, Chain] = {}
            for source, chain in pending.values():
                for lookup in self._compiled(source).lookups(source.owner):
                    inner.setdefault(lookup, chain)
            self._describe(inner, depth + 1)
            for source, _ in pending.values():
                self._types[source.key] = self._calc_info(source)
        for lk in todo:
            self._infos[lk] = self._info(lk)

    def _calcs(self, lookup: Lookup) -> list[CalcSource]:
        return [
            p.source
            for m in self._members.get(lookup, [])
            for p in m
            if isinstance(p.source, CalcSource)
        ]

    def _compiled(self, source: CalcSource) -> Any:
        try:
            return compile_expression(source.text)
        except ExpressionError as exc:
            raise self._within(exc, source) from None

    def _name(self, source: CalcSource) -> str:
        if source.key[0] == "virtual":
            return source.attribute
        return f"{full_names(self.ctx, source.key[1])[0]}.{source.attribute}"

    def _within(self, exc: ExpressionError, source: CalcSource) -> ExpressionError:
        where = f"{source.origin} expression of {self._name(source)}"
        if source.origin == "virtual":
            where = f"virtual series {self._name(source)}"
        return ExpressionError(f"{exc.message} (in the {where})", exc.text, exc.line, exc.column)

    def _cycle(self, chain: Sequence[CalcSource], source: CalcSource) -> ExpressionError:
        start = next(i for i, s in enumerate(chain) if s.key == source.key)
        names = " -> ".join(self._name(s) for s in chain[start:])
        return ExpressionError(f"the calculation refers to itself: {names}")

    def _calc_info(self, source: CalcSource) -> LookupInfo:
        """What a calculation gives: checked against its own lookups' descriptions."""
        expr = self._compiled(source)
        infos = {lk: i for lk in expr.lookups(source.owner) if (i := self._infos.get(lk))}
        signature = (source.text, tuple(infos.get(Lookup.of(p, source.owner)) for p in expr.paths))
        if signature not in self._checked:
            try:
                checker: Checker = expr.check(infos, source.owner)
            except ExpressionError as exc:
                raise self._within(exc, source) from None
            self._checked[signature] = checker.types[id(expr.root)]
        own = self._checked[signature]
        if own.kind != "t":
            raise ExpressionError(
                f"the {source.origin} expression of {self._name(source)} gives {own.name}; "
                "a time series needs an expression that gives a series"
            )
        unit = self._inferred[source.key] = unit_text(own.unit)
        if source.unit and own.unit is not None:
            declared = unit_of(source.unit)
            if not compatible(declared, own.unit):
                raise UnitError(
                    f"the {source.origin} expression of {self._name(source)} gives "
                    f"{show(own.unit)}, which does not convert to its unit {show(declared)}"
                )
            unit = source.unit
        resolution = "PT0S" if not own.step else pd.Timedelta(own.step, unit="ns").isoformat()
        return LookupInfo("series", 1, unit, "step", resolution)

    def _info(self, lookup: Lookup) -> LookupInfo | None:
        found, members = self._found.get(lookup), self._members.get(lookup, [])
        if found is None or not members:
            return None
        first = latest(members[0])
        if found == "series":
            return self._series_info(first, len(members))
        assert isinstance(first, ValueSource)
        spec = first.attribute.spec
        if found == "number":
            count = sum(
                len(numbers_of(source))
                for m in members
                if isinstance(source := latest(m), ValueSource)
            )
            return LookupInfo("number", count, spec.unit)
        if found == "string":
            return LookupInfo("string", len(members))
        if found == "rating_curve":
            return LookupInfo("rating_curve", len(members), spec.unit)
        xy = curve_of(first)
        sample = xy if isinstance(xy, XYSet) else xy.versions[0].xy_set  # type: ignore[union-attr]
        return LookupInfo(found, len(members), sample.y_unit, x_unit=sample.x_unit)

    def _series_info(self, source: Any, count: int) -> LookupInfo:
        if isinstance(source, CalcSource):
            info = self._types[source.key]
            return LookupInfo("series", count, info.unit, "step", info.resolution)
        meta = self._finder_for().sensors[source.sensor_id]
        assert meta is not None
        curve: CurveType = "linear" if meta.curve_type == "linear" else "step"
        return LookupInfo("series", count, meta.unit, curve, meta.iso_resolution)

    # -- reading ------------------------------------------------------------------------------

    def series(
        self,
        lookups: Collection[Lookup],
        start: pd.Timestamp,
        end: pd.Timestamp,
        viewpoint: Viewpoint,
    ) -> dict[Lookup, list[Series]]:
        """Each lookup's series over [start, end) seen from ``viewpoint``, in the unit
        :meth:`describe` gave: the sensors of all lookups in one read, each distinct calculation
        evaluated once for all its objects."""
        self.calls.append(("series", len(lookups)))
        window = (int(start.as_unit("ns").value), int(end.as_unit("ns").value))
        with self.ctx.tx(read=True) as s:
            self._describe({lk: () for lk in lookups}, 0)
            members = {lk: self._members[lk] for lk in lookups if self._found.get(lk) == "series"}
            finder = self._finder_for()
            metas = {i: m for i in sensor_ids(members) if (m := finder.sensors[i]) is not None}
            read = read_sensors(self.ctx, s, metas, *window, viewpoint, self._pool)
            found: dict[Any, tuple[Series, str]] = {
                i: (series, metas[i].unit) for i, series in read.items()
            }
            found.update(self._calculate(members, start, end, viewpoint))
        out: dict[Lookup, list[Series]] = {}
        for lk, ms in members.items():
            unit = self._infos[lk].unit  # type: ignore[union-attr]
            out[lk] = [member_series(m, found, unit) for m in ms]
        return out

    def _calculate(
        self,
        members: Mapping[Lookup, list[Member]],
        start: pd.Timestamp,
        end: pd.Timestamp,
        viewpoint: Viewpoint,
    ) -> dict[Any, tuple[Series, str]]:
        """Evaluate every calculation among the members: once per expression text, for all
        the objects that use it; each result in the unit it was inferred in."""
        groups: dict[str, dict[tuple[str, int, int], CalcSource]] = {}
        for ms in members.values():
            for m in ms:
                for piece in m:
                    if isinstance(piece.source, CalcSource):
                        groups.setdefault(piece.source.text, {})[piece.source.key] = piece.source
        results: dict[Any, tuple[Series, str]] = {}
        for text, sources in groups.items():
            owners = list(dict.fromkeys(s.owner for s in sources.values()))
            try:
                values = evaluate_many(
                    text, self, owners, start, end, viewpoint=viewpoint, raw=True
                )
            except ExpressionError as exc:
                raise self._within(exc, next(iter(sources.values()))) from None
            for key, source in sources.items():
                series = values[source.owner]
                assert isinstance(series, Series)
                results[key] = (series, self._inferred[key])
        return results

    def _values(
        self, lookups: Collection[Lookup], method: str, found: Collection[str]
    ) -> dict[Lookup, list[Member]]:
        self.calls.append((method, len(lookups)))
        with self.ctx.tx(read=True):
            self._describe({lk: () for lk in lookups}, 0)
        return {lk: self._members[lk] for lk in lookups if self._found.get(lk) in found}

    def numbers(self, lookups: Collection[Lookup]) -> dict[Lookup, list[float]]:
        """Number attributes (arrays give each element), in the unit :meth:`describe` gave."""
        out: dict[Lookup, list[float]] = {}
        for lk, members in self._values(lookups, "numbers", ("number",)).items():
            target = unit_of(self._infos[lk].unit)  # type: ignore[union-attr]
            values: list[float] = []
            for m in members:
                source = latest(m)
                assert isinstance(source, ValueSource)
                convert = converter(unit_of(source.attribute.spec.unit), target)
                found = numbers_of(source)
                values.extend(found if convert is None else [float(convert(v)) for v in found])
            out[lk] = values
        return out

    def strings(self, lookups: Collection[Lookup]) -> dict[Lookup, list[str]]:
        """String attributes."""
        found = self._values(lookups, "strings", ("string",))
        return {lk: [str(latest(m).value) for m in ms] for lk, ms in found.items()}  # type: ignore[union-attr]

    def xy_sets(self, lookups: Collection[Lookup]) -> dict[Lookup, XYSet | VersionedXYSet]:
        """XY-sets and versioned XY-sets (the first, where a path names several)."""
        found = self._values(lookups, "xy_sets", ("xy_set", "versioned_xy_set"))
        return {lk: curve_of(latest(ms[0])) for lk, ms in found.items()}

    def rating_curves(self, lookups: Collection[Lookup]) -> dict[Lookup, RatingCurve]:
        """Rating curves; ``@`` (or a path ending at an object) is the object's one curve."""
        found = self._values(lookups, "rating_curves", ("rating_curve",))
        return {lk: curve_of(latest(ms[0])) for lk, ms in found.items()}

    def count(self, method: str | None = None) -> int:
        """How many calls were made (to ``method``, or in all)."""
        return sum(1 for name, _ in self.calls if method is None or name == method)

