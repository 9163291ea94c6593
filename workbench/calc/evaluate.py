"""Compiling and evaluating expressions: the public entry points of the calculation language.

>>> import numpy as np, pandas as pd, xarray as xr
>>> from workbench.calc.memory import MemoryResolver
>>> times = pd.date_range("2024-01-01", periods=48, freq="h")
>>> inflow = xr.DataArray(np.arange(48.0), coords={"event_start": times}, dims="event_start",
...                       attrs={"units": "m^3/s", "resolution": "PT1H"})
>>> resolver = MemoryResolver(series={"Model/Hydro/Lake.Inflow": inflow})
>>> expr = compile_expression("@TRANSFORM(@t('.Inflow'), 'DAY', 'AVG') * 2")
>>> infer_unit(expr, resolver, relative_to="Model/Hydro/Lake")
'm ** 3 / s'
>>> evaluate(expr, resolver, "2024-01-01", "2024-01-03", relative_to="Model/Hydro/Lake").values
array([23., 71.])

Evaluation is batched: :func:`evaluate_many` describes every lookup of every object in one
resolver call, reads each kind of data in one call (series: one per viewpoint), then computes.
Expressions of any depth are parsed, checked and evaluated (a generated sum of thousands of
terms is as deep as it is long), and an evaluation stops with
:class:`~workbench.errors.QueryTimeout` at its time limit (see :mod:`workbench.limits`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
import xarray as xr

from workbench.calc.check import Checker, lookup_path
from workbench.calc.inline import inline, substitute
from workbench.calc.interpret import Interpreter, Loaded, Planner, Requests
from workbench.calc.parser import parse
from workbench.calc.protocol import (
    ABSOLUTE_PREFIX,
    Lookup,
    LookupInfo,
    ObjectId,
    Resolver,
    Viewpoint,
)
from workbench.calc.quantities import converter, unit_of, unit_text
from workbench.calc.syntax import Call, Node, Script, bottom_up, children
from workbench.calc.values import (
    Kind,
    Series,
    TimesPool,
    Value,
    ValueType,
    from_dataarray,
    to_dataarray,
)
from workbench.errors import ExpressionError, UnitError
from workbench.limits import Deadline, deadline, quoted

__all__ = [
    "Expression",
    "Result",
    "compile_expression",
    "evaluate",
    "evaluate_many",
    "infer_type",
    "infer_unit",
]

_LONG_TEXT = 10_000
"""Texts longer than this are parsed and checked under a deadline (shorter ones take
milliseconds)."""
_CHECKED_PER_EXPRESSION = 64
"""How many checked variants (one per distinct set of lookup descriptions) an expression keeps."""

Result: TypeAlias = xr.DataArray | float | str | np.ndarray | tuple[str, ...] | list[xr.DataArray]
"""A series (DataArray), a number, a string, an array of numbers, of strings, or of series."""


@dataclass(frozen=True, eq=False)
class Expression:
    """A parsed and checked expression; build it with :func:`compile_expression`.

    Attributes
    ----------
    text
        The script as written.
    script
        Its syntax tree.
    root
        The result expression with every variable replaced by its expression.
    kind
        What it yields: ``d`` number, ``s`` string, ``t`` series, or ``D``/``S``/``T`` arrays.
    paths
        The paths it reads, in order of first appearance.
    effects
        The call lines (``@PDLOG(...)``) with the condition each runs under (None: always),
        run in order after the result is computed, their values dropped.
    """

    text: str
    script: Script
    root: Node
    kind: Kind
    paths: tuple[str, ...]
    effects: tuple[tuple[Node, Node | None], ...] = ()
    _checked: dict[tuple[LookupInfo | None, ...], Checker] = field(
        default_factory=dict, repr=False, compare=False
    )

    @cached_property
    def independent(self) -> frozenset[int]:
        """Ids of the nodes whose value is the same for every object (they read no path
        relative to the object)."""
        nodes = bottom_up(self.root)
        dependent: set[int] = set()
        for node in nodes:  # children before parents
            path = lookup_path(node) if isinstance(node, Call) else None
            relative = path is not None and not path.startswith(ABSOLUTE_PREFIX)
            if relative or any(id(child) in dependent for child in children(node)):
                dependent.add(id(node))
        return frozenset(id(n) for n in nodes) - dependent

    def lookups(self, relative_to: ObjectId | None = None) -> frozenset[Lookup]:
        """The lookups evaluating it for ``relative_to`` makes (absolute paths drop the object)."""
        return frozenset(Lookup.of(path, relative_to) for path in self.paths)

    def check(
        self, infos: Mapping[Lookup, LookupInfo], relative_to: ObjectId | None = None
    ) -> Checker:
        """Check it against descriptions of its lookups (units included) for one object."""
        checker = Checker(self.text, infos, relative_to)
        checker.check(self.root)
        _check_effects(checker, self.effects)
        return checker


@lru_cache(maxsize=2048)
def compile_expression(text: str) -> Expression:
    """Parse and check an expression; the result is cached by text.

    Everything that can be checked without the model is: syntax, names, function names,
    argument kinds and counts, option values ('DAY', 'AVG', timezones, durations) and the
    units of literals.

    Raises
    ------
    ExpressionError
        With the line, column and a caret under the fault.
    QueryTimeout
        When parsing and checking a huge text runs past the time limit (see
        :mod:`workbench.limits`).
    """
    with deadline() if len(text) > _LONG_TEXT else nullcontext():
        script = parse(text)
        root, assigned = inline(script)
        checker = Checker(text)
        for value in assigned:
            checker.check(value)
        kind = checker.check(root).kind
        effects = tuple(
            (
                substitute(e.call, {}, text),
                None if e.guard is None else substitute(e.guard, {}, text),
            )
            for e in script.effects
        )  # every name has its value by now: one left has none
        _check_effects(checker, effects)
    paths: dict[str, None] = {}
    for plan in checker.calls.values():
        if plan.path is not None:
            paths.setdefault(plan.path)
    return Expression(text, script, root, kind, tuple(paths), effects)


def _check_effects(checker: Checker, effects: tuple[tuple[Node, Node | None], ...]) -> None:
    for call, guard in effects:
        checker.check(call)
        if guard is not None and checker.check(guard).kind not in "dt":
            raise checker.error(
                guard, "the condition of an IF statement must be a number or a series"
            )


def _compiled(expression: Expression | str) -> Expression:
    return compile_expression(expression) if isinstance(expression, str) else expression


def infer_type(
    expression: Expression | str, resolver: Resolver, relative_to: ObjectId | None = None
) -> ValueType:
    """The kind and unit of the result for ``relative_to``, reading no data (one describe call)."""
    expr = _compiled(expression)
    lookups = expr.lookups(relative_to)
    infos = resolver.describe(lookups) if lookups else {}
    return expr.check(infos, relative_to).types[id(expr.root)]


def infer_unit(
    expression: Expression | str, resolver: Resolver, relative_to: ObjectId | None = None
) -> str:
    """The unit of the result as pint text ("" for dimensionless and for strings)."""
    return unit_text(infer_type(expression, resolver, relative_to).unit)


def evaluate(
    expression: Expression | str,
    resolver: Resolver,
    start: Any,
    end: Any,
    *,
    relative_to: ObjectId | None = None,
    as_of: Any = None,
    seconds: float | None = None,
) -> Result:
    """Evaluate for one object over [start, end) (naive times are UTC).

    ``as_of`` reads every series as known at that belief time; ``seconds`` limits the time the
    evaluation may take (see :func:`evaluate_many`).
    """
    return evaluate_many(
        expression, resolver, [relative_to], start, end, as_of=as_of, seconds=seconds
    )[relative_to]


def evaluate_many(
    expression: Expression | str,
    resolver: Resolver,
    objects: Iterable[ObjectId | None],
    start: Any,
    end: Any,
    *,
    as_of: Any = None,
    viewpoint: Viewpoint | None = None,
    raw: bool = False,
    seconds: float | None = None,
) -> dict[ObjectId | None, Result]:
    """Evaluate for each object, loading all their data in a bounded number of resolver calls.

    One ``describe`` call, then one call per kind of data (series: one per viewpoint the
    expression uses), whatever the number of objects and lookups. ``viewpoint`` reads the
    series from another viewpoint than the most recent beliefs (a resolver evaluating a
    calculation nested in another passes its own on); ``as_of`` is the short form of
    ``Viewpoint(as_of=...)``. With ``raw`` a series result is handed back as the evaluator's
    :class:`~workbench.calc.values.Series` (cropped to the period, in the inferred unit) rather
    than a DataArray: the fast path for resolvers that evaluate calculations nested in others.

    The evaluation stops with :class:`~workbench.errors.QueryTimeout` once it runs past
    ``seconds`` (default: the enclosing call's limit, else ``WORKBENCH_QUERY_SECONDS`` or
    30 s), checked between nodes and objects.
    """
    with deadline(seconds) as limit:
        return _evaluate_many(
            _compiled(expression), resolver, objects, start, end, as_of, viewpoint, raw, limit
        )


def _evaluate_many(
    expr: Expression,
    resolver: Resolver,
    objects: Iterable[ObjectId | None],
    start: Any,
    end: Any,
    as_of: Any,
    viewpoint: Viewpoint | None,
    raw: bool,
    limit: Deadline,
) -> dict[ObjectId | None, Result]:
    what = f"the calculation {quoted(expr.text)}"
    owners = list(dict.fromkeys(objects))
    window = (_ns(start, "start"), _ns(end, "end"))
    if window[0] >= window[1]:
        raise ExpressionError(f"the period must end after it starts: start={start!r}, end={end!r}")
    base = viewpoint or Viewpoint()
    if as_of is not None:
        base = replace(base, as_of=_timestamp(as_of, "as_of"))
    _check_owners(expr, owners)
    lookups = frozenset().union(*(expr.lookups(o) for o in owners)) if expr.paths else frozenset()
    infos = resolver.describe(lookups) if lookups else {}
    checkers = _checkers(expr, infos, owners)
    requests = Requests()
    for owner in owners:
        planner = Planner(checkers[owner], owner, requests)
        for node in (expr.root, *(n for effect in expr.effects for n in effect if n is not None)):
            planner.visit(node, window, base)
    loaded = _load(resolver, requests, infos)
    results: dict[ObjectId | None, Result] = {}
    shared: dict[tuple[int, tuple[int, int], Viewpoint], Value] = {}
    for owner in owners:
        limit.check(what)
        checker = checkers[owner]
        try:
            interpreter = Interpreter(
                checker, loaded, owner, shared, expr.independent, lambda: limit.check(what)
            )
            value = interpreter.value(expr.root, window, base)
            for call, guard in expr.effects:
                if guard is None or _holds(interpreter.value(guard, window, base)):
                    interpreter.value(call, window, base)  # run for what it does
        except ExpressionError as exc:
            raise _for_object(exc, owner, len(owners)) from None
        if raw and isinstance(value, Series):
            results[owner] = value.crop(*window)  # type: ignore[assignment]
        else:
            results[owner] = _result(value, checker.types[id(expr.root)], window)
    return results


def _holds(condition: Value) -> bool:
    """Whether an IF statement's condition holds: a number that is neither 0 nor missing, or
    a series with such a value somewhere."""
    values = condition.values if isinstance(condition, Series) else condition
    array = np.asarray(values, dtype=np.float64)
    return bool(np.any((array != 0) & ~np.isnan(array)))


def _check_owners(expr: Expression, owners: list[ObjectId | None]) -> None:
    relative = [p for p in expr.paths if not p.startswith(ABSOLUTE_PREFIX)]
    if relative and None in owners:
        raise ExpressionError(
            f"the path {relative[0]!r} is relative, so the expression needs the object it "
            "belongs to: pass relative_to (or write the path from 'Model/' or 'Catalog/')"
        )


def _checkers(
    expr: Expression, infos: Mapping[Lookup, LookupInfo], owners: list[ObjectId | None]
) -> dict[ObjectId | None, Checker]:
    """Check once per distinct set of descriptions (a template over many alike objects: once)."""
    shared = expr._checked
    if len(shared) > _CHECKED_PER_EXPRESSION:
        shared.clear()
    checkers: dict[ObjectId | None, Checker] = {}
    for owner in owners:
        signature = tuple(infos.get(Lookup.of(p, owner)) for p in expr.paths)
        if signature not in shared:
            try:
                shared[signature] = expr.check(infos, owner)
            except ExpressionError as exc:
                raise _for_object(exc, owner, len(owners)) from None
        checkers[owner] = shared[signature]
    return checkers


def _for_object(exc: ExpressionError, owner: ObjectId | None, count: int) -> ExpressionError:
    if owner is None or count == 1:
        return exc
    return ExpressionError(
        f"{exc.message} (evaluating for object {owner!r})", exc.text, exc.line, exc.column
    )


def _load(resolver: Resolver, requests: Requests, infos: Mapping[Lookup, LookupInfo]) -> Loaded:
    """Read everything requested: one resolver call per kind (series: per viewpoint)."""
    loaded = Loaded()
    pool = TimesPool()  # DataArrays sharing one index come out sharing one times array
    for viewpoint, wanted in requests.series.items():
        start = min(w[0] for w in wanted.values())
        end = max(w[1] for w in wanted.values())
        found = resolver.series(list(wanted), _stamp(start), _stamp(end), viewpoint)
        loaded.series[viewpoint] = {
            lookup: tuple(
                data if isinstance(data, Series) else _series(lookup, data, infos[lookup], pool)
                for data in members
            )
            for lookup in wanted
            if (members := found.get(lookup)) is not None
        }
    if requests.numbers:
        numbers = resolver.numbers(list(requests.numbers))
        loaded.numbers = {k: tuple(float(v) for v in vs) for k, vs in numbers.items()}
    if requests.strings:
        strings = resolver.strings(list(requests.strings))
        loaded.strings = {k: tuple(str(v) for v in vs) for k, vs in strings.items()}
    if requests.xy_sets:
        loaded.curves.update(resolver.xy_sets(list(requests.xy_sets)))
    if requests.rating_curves:
        loaded.curves.update(resolver.rating_curves(list(requests.rating_curves)))
    return loaded


def _series(lookup: Lookup, data: xr.DataArray, info: LookupInfo, pool: TimesPool) -> Series:
    """One loaded DataArray as a Series in the unit its lookup was described with (a Series
    handed over by the resolver is in that unit already, and is taken as it is)."""
    try:
        series = from_dataarray(data, pool)
        convert = _converter(str(data.attrs.get("units", info.unit)), info.unit)
    except (ValueError, UnitError) as exc:
        raise ExpressionError(f"the series read for {lookup.path!r} is not usable: {exc}") from None
    if info.curve_type is not None and "curve_type" not in data.attrs:
        series = replace(series, curve_type=info.curve_type)
    return (
        series if convert is None else series.with_values(convert(series.values), keep_flags=True)
    )


@lru_cache(maxsize=256)
def _converter(source: str, target: str) -> Any:
    """The conversion between two unit texts (cached by text: hashing pint units costs more)."""
    return converter(unit_of(source), unit_of(target))


def _result(value: Value, own: ValueType, window: tuple[int, int]) -> Result:
    units = unit_text(own.unit)
    if isinstance(value, Series):
        return to_dataarray(value.crop(*window), units)
    if own.kind == "T":
        assert isinstance(value, tuple)
        return [to_dataarray(s.crop(*window), units) for s in value]  # type: ignore[union-attr]
    if own.kind == "D":
        return np.asarray(value, dtype=np.float64)
    return value  # type: ignore[return-value]


def _timestamp(value: Any, what: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        stamp = None
    if stamp is None or pd.isna(stamp):
        raise ExpressionError(
            f"{what} must be a time such as '2024-01-01' or a datetime, got {value!r}"
        )
    return stamp.tz_convert(None) if stamp.tzinfo is not None else stamp


def _ns(value: Any, what: str) -> int:
    return int(_timestamp(value, what).as_unit("ns").value)


def _stamp(ns: int) -> pd.Timestamp:
    return pd.Timestamp(ns, unit="ns")
