"""Planning what an expression reads, and computing it once the data is loaded.

Both walk the checked expression top-down with the period each node is asked for and the
viewpoint its series are read from: a look-back function widens the period of its series
arguments, GetTsAsOfTime and GetForecast change their viewpoint. :class:`Planner` records what
every lookup needs (no data is read); :class:`Interpreter` computes values from
:class:`Loaded` data. Both memoise by (node, period, viewpoint), since variables make shared
sub-expressions.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast

import numpy as np

from workbench.calc.align import apply, map_values
from workbench.calc.check import CallPlan, Checker
from workbench.calc.functions import Invocation, Window
from workbench.calc.protocol import Lookup, ObjectId, Viewpoint
from workbench.calc.quantities import converter
from workbench.calc.syntax import (
    Array,
    Binary,
    Call,
    Compare,
    If,
    Logical,
    Node,
    Number,
    String,
    Unary,
    children,
)
from workbench.calc.values import ELEMENT, IntArray, Series, Value, ValueType, constant_series
from workbench.errors import ExpressionError, InvalidValue

__all__ = ["Interpreter", "Loaded", "Planner", "Requests", "window_view", "window_views"]

Context = tuple[Window, Viewpoint]
_Asked = tuple[Node, Window, Viewpoint]
"""An operand a rule asks for: the node, the period and the viewpoint."""
_Rule = Generator[_Asked, Any, Any]
"""A node's rule: yields the operands it needs, is sent their values, returns its own value."""
_CHECK_EVERY = 64
"""How many nodes are computed between two looks at the deadline."""

_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.true_divide,
    "^": np.power,
}
_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}


def _missing_or(test: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """A comparison giving 1.0/0.0, and NaN where either side is missing."""

    def compare(a: Any, b: Any) -> Any:
        result = np.asarray(test(a, b), dtype=np.float64)
        return np.where(np.isnan(a) | np.isnan(b), np.nan, result)

    return compare


_LOGICAL: dict[str, Callable[[Any, Any], Any]] = {
    "AND": _missing_or(lambda a, b: (a != 0) & (b != 0)),
    "OR": _missing_or(lambda a, b: (a != 0) | (b != 0)),
}


def _choose(condition: Any, then: Any, otherwise: Any) -> Any:
    return np.where(np.isnan(condition), np.nan, np.where(condition != 0, then, otherwise))


def _cut(times: IntArray, window: Window, held: bool) -> tuple[int, int, IntArray] | None:
    """Where ``window`` is in ``times``: (first, end, the times there); None when all of them
    are in it. With ``held`` the last point before the window's start, if there is no point
    at it, is kept and moved to the start."""
    start, end = window
    size = times.size
    if size == 0 or (times[0] >= start and times[-1] < end):
        return None
    lo, hi = (int(i) for i in np.searchsorted(times, [start, end]))
    if held and lo > 0 and (lo == size or times[lo] != start):
        moved = times[lo - 1 : hi].copy()
        moved[0] = start
        return lo - 1, hi, moved
    if lo == 0 and hi == size:
        return None
    return lo, hi, times[lo:hi]


def _apply_cut(series: Series, cut: tuple[int, int, IntArray] | None) -> Series:
    if cut is None:
        return series
    lo, hi, times = cut
    flags = None if series.flags is None else series.flags[lo:hi]
    return replace(series, times=times, values=series.values[lo:hi], flags=flags)


def _held(series: Series) -> bool:
    """An irregular step series holds its last value before a window into it."""
    return series.step == 0 and series.curve_type == "step"


def window_view(series: Series, window: Window) -> Series:
    """The points of ``series`` in the window; an irregular step series also keeps its value at
    the window's start (the last point before it, moved to the start)."""
    return _apply_cut(series, _cut(series.times, window, _held(series)))


def window_views(members: Sequence[Series], window: Window) -> tuple[Series, ...]:
    """:func:`window_view` of each member; members on one times array are cut once and share
    the cut times, so that lining them up stays an identity test."""
    if not members:
        return ()
    times = members[0].times
    if _cut(times, window, False) is None and all(m.times is times for m in members):
        return tuple(members)  # one times array, all of it in the window
    cuts: dict[tuple[int, bool], tuple[int, int, IntArray] | None] = {}
    views = []
    for member in members:
        key = (id(member.times), False)
        if key not in cuts:
            cuts[key] = _cut(member.times, window, False)
        cut = cuts[key]
        if cut is not None and _held(member):
            key = (key[0], True)
            if key not in cuts:
                cuts[key] = _cut(member.times, window, True)
            cut = cuts[key]
        views.append(_apply_cut(member, cut))
    return tuple(views)


def arg_contexts(
    plan: CallPlan, types: Sequence[ValueType], window: Window, viewpoint: Viewpoint
) -> list[Context | None]:
    """The (period, viewpoint) each argument of a call is evaluated with; None for options."""
    overload = plan.overload
    if overload is None:  # a lookup: its default is evaluated like the call itself
        return [None] + [(window, viewpoint)] * (len(types) - 1)
    inner = overload.viewpoint(viewpoint, plan.options) if overload.viewpoint else viewpoint
    wider = overload.window(window, types, plan.options) if overload.window else window
    return [
        None if i in overload.options else ((wider if t.kind in "tT" else window), inner)
        for i, t in enumerate(types)
    ]


@dataclass
class Requests:
    """What a set of evaluations reads, gathered before any of it is read."""

    series: dict[Viewpoint, dict[Lookup, Window]] = field(default_factory=dict)
    numbers: set[Lookup] = field(default_factory=set)
    strings: set[Lookup] = field(default_factory=set)
    xy_sets: set[Lookup] = field(default_factory=set)
    rating_curves: set[Lookup] = field(default_factory=set)

    def add_series(self, lookup: Lookup, window: Window, viewpoint: Viewpoint) -> None:
        wanted = self.series.setdefault(viewpoint, {})
        known = wanted.get(lookup)
        wanted[lookup] = (
            window if known is None else (min(known[0], window[0]), max(known[1], window[1]))
        )


class Planner:
    """Records into ``requests`` what evaluating a checked expression for one object reads."""

    def __init__(self, checker: Checker, relative_to: ObjectId | None, requests: Requests) -> None:
        self.checker = checker
        self.relative_to = relative_to
        self.requests = requests
        self._seen: set[tuple[int, Window, Viewpoint]] = set()

    def visit(self, node: Node, window: Window, viewpoint: Viewpoint) -> None:
        """Record what ``node`` reads for ``window`` from ``viewpoint``, and all below it
        (depth first, on a stack of its own: an expression of any depth)."""
        stack: list[tuple[Node, Window, Viewpoint]] = [(node, window, viewpoint)]
        while stack:
            node, window, viewpoint = stack.pop()
            key = (id(node), window, viewpoint)
            if key in self._seen:
                continue
            self._seen.add(key)
            if not isinstance(node, Call):
                stack.extend([(child, window, viewpoint) for child in reversed(children(node))])
                continue
            plan = self.checker.calls[id(node)]
            types = [self.checker.types[id(arg)] for arg in node.args]
            self._record(node, plan, window, viewpoint)
            if plan.overload is None and plan.info is not None:
                continue  # a lookup that finds its path: its default is never needed
            contexts = arg_contexts(plan, types, window, viewpoint)
            stack.extend(
                [(arg, *context) for arg, context in zip(node.args, contexts, strict=True)
                 if context is not None][::-1]
            )  # fmt: skip

    def _record(self, node: Call, plan: CallPlan, window: Window, viewpoint: Viewpoint) -> None:
        if plan.path is None or plan.info is None:
            return
        lookup = Lookup.of(plan.path, self.relative_to)
        if plan.overload is not None:
            curves = (
                self.requests.xy_sets
                if plan.overload.curve == "xy"
                else (self.requests.rating_curves)
            )
            curves.add(lookup)
        elif plan.info.found == "series":
            self.requests.add_series(lookup, window, viewpoint)
        elif plan.info.found == "number":
            self.requests.numbers.add(lookup)
        else:
            self.requests.strings.add(lookup)


@dataclass
class Loaded:
    """Data read for a set of evaluations: series by viewpoint, numbers, strings and curves."""

    series: dict[Viewpoint, dict[Lookup, tuple[Series, ...]]] = field(default_factory=dict)
    numbers: dict[Lookup, tuple[float, ...]] = field(default_factory=dict)
    strings: dict[Lookup, tuple[str, ...]] = field(default_factory=dict)
    curves: dict[Lookup, Any] = field(default_factory=dict)


class Interpreter:
    """Computes a checked expression for one object from loaded data.

    Each kind of node has a rule, written as a generator: it yields the operands it needs,
    as (node, period, viewpoint), gets their values back, and returns its own. :meth:`value`
    runs the rules on a stack of its own rather than Python's, so an expression of any depth
    (a generated sum of thousands of terms) is evaluated; only the operands a rule asks for
    are computed (IF computes one branch when its condition is a number). Every
    :data:`_CHECK_EVERY` nodes it calls ``check``, which raises to stop it (at a deadline).
    """

    def __init__(
        self,
        checker: Checker,
        loaded: Loaded,
        relative_to: ObjectId | None,
        shared: dict[tuple[int, Window, Viewpoint], Value] | None = None,
        independent: frozenset[int] = frozenset(),
        check: Callable[[], None] | None = None,
    ) -> None:
        self.checker = checker
        self.loaded = loaded
        self.relative_to = relative_to
        self._memo: dict[tuple[int, Window, Viewpoint], Value] = {}
        # Values of sub-expressions that read only absolute paths are the same for every
        # object: they are computed once and shared between the objects' interpreters.
        self._shared = self._memo if shared is None else shared
        self._independent = independent
        self._check = check
        self._until_check = _CHECK_EVERY

    def error(self, node: Node, message: str) -> ExpressionError:
        return ExpressionError(message, self.checker.text, node.line, node.column)

    def value(self, node: Node, window: Window, viewpoint: Viewpoint) -> Value:
        """The value of ``node`` for the period ``window`` seen from ``viewpoint``."""
        frames: list[tuple[tuple[int, Window, Viewpoint], dict[Any, Value], _Rule]] = []
        asked: _Asked | None = (node, window, viewpoint)
        result: Any = None
        while True:
            if asked is not None:
                node, window, viewpoint = asked
                key = (id(node), window, viewpoint)
                memo = self._shared if key[0] in self._independent else self._memo
                if key in memo:
                    result = memo[key]
                else:
                    self._tick()
                    frames.append((key, memo, self._rule(node, window, viewpoint)))
                    result = None  # starts the rule
            if not frames:
                return cast(Value, result)
            key, memo, rule = frames[-1]
            try:
                asked = rule.send(result)
            except StopIteration as done:
                frames.pop()
                memo[key] = result = done.value
                asked = None

    def _tick(self) -> None:
        self._until_check -= 1
        if self._until_check <= 0:
            self._until_check = _CHECK_EVERY
            if self._check is not None:
                self._check()

    def _type(self, node: Node) -> ValueType:
        return self.checker.types[id(node)]

    def _rule(self, node: Node, window: Window, viewpoint: Viewpoint) -> _Rule:
        if isinstance(node, Number):
            return float(node.value)
        if isinstance(node, String):
            return node.value
        if isinstance(node, Call):
            return (yield from self._call(node, window, viewpoint))
        if isinstance(node, Array):
            return (yield from self._array(node, window, viewpoint))
        if isinstance(node, If):
            return (yield from self._if(node, window, viewpoint))
        if isinstance(node, Unary):
            operand = yield node.operand, window, viewpoint
            kind = self._type(node.operand).kind
            if node.op == "+":
                return operand
            if node.op == "-":
                return map_values(operand, kind, np.negative)
            return apply(_missing_or(lambda a, b: a == 0), [operand, 0.0], [kind, "d"])
        assert isinstance(node, Binary | Compare | Logical)
        return (yield from self._operation(node, window, viewpoint))

    def _converted(
        self, node: Node, target: ValueType, window: Window, viewpoint: Viewpoint
    ) -> _Rule:
        """The value of ``node`` converted to the unit of ``target``."""
        value = yield node, window, viewpoint
        own = self._type(node)
        if own.unit is None or target.unit is None or own.kind not in "dtDT":
            return value
        convert = converter(own.unit, target.unit)
        return value if convert is None else map_values(value, own.kind, convert)

    def _operation(
        self, node: Binary | Compare | Logical, window: Window, viewpoint: Viewpoint
    ) -> _Rule:
        left_type, right_type = self._type(node.left), self._type(node.right)
        left = yield node.left, window, viewpoint
        if isinstance(node, Compare) and left_type.kind == "s":
            right_text = yield node.right, window, viewpoint
            return float((left == right_text) == (node.op == "="))
        if isinstance(node, Logical):
            function = _LOGICAL[node.op]
            right = yield node.right, window, viewpoint
        elif isinstance(node, Compare):
            function = _missing_or(_COMPARE[node.op])
            right = yield from self._converted(node.right, left_type, window, viewpoint)
        else:
            function = _ARITHMETIC[node.op]
            if node.op in "+-":
                right = yield from self._converted(node.right, left_type, window, viewpoint)
            else:
                right = yield node.right, window, viewpoint
        try:
            with np.errstate(all="ignore"):
                return apply(function, [left, right], [left_type.kind, right_type.kind])
        except ValueError as exc:
            raise self.error(node, f"'{node.op}': {exc}") from None

    def _if(self, node: If, window: Window, viewpoint: Viewpoint) -> _Rule:
        condition = yield node.condition, window, viewpoint
        own = self._type(node)
        if self._type(node.condition).kind == "d" and own.kind != "t":
            assert isinstance(condition, float)
            if np.isnan(condition) and own.kind == "d":
                return float("nan")
            branch = node.then if condition and not np.isnan(condition) else node.otherwise
            return (yield from self._converted(branch, own, window, viewpoint))
        then = yield from self._converted(node.then, own, window, viewpoint)
        otherwise = yield from self._converted(node.otherwise, own, window, viewpoint)
        kinds = [self._type(n).kind for n in (node.condition, node.then, node.otherwise)]
        return apply(_choose, [condition, then, otherwise], kinds)

    def _array(self, node: Array, window: Window, viewpoint: Viewpoint) -> _Rule:
        own = self._type(node)
        items = []
        for item in node.items:
            items.append((yield from self._converted(item, own, window, viewpoint)))
        if own.kind == "S":
            return tuple(str(i) for i in items)
        if own.kind == "T":
            flat: list[Series] = []
            for item in items:
                flat.extend(
                    cast(tuple[Series, ...], item)
                    if isinstance(item, tuple)
                    else [cast(Series, item)]
                )
            return tuple(flat)
        numbers = [np.atleast_1d(np.asarray(i, dtype=np.float64)) for i in items]
        return np.concatenate(numbers) if numbers else np.zeros(0)

    def _call(self, node: Call, window: Window, viewpoint: Viewpoint) -> _Rule:
        plan = self.checker.calls[id(node)]
        if plan.overload is None:
            if plan.info is None:
                return (yield from self._default(node, window, viewpoint))
            return self._lookup(node, plan, window, viewpoint)
        types = [self._type(arg) for arg in node.args]
        contexts = arg_contexts(plan, types, window, viewpoint)
        args: list[Value | None] = []
        for arg, context in zip(node.args, contexts, strict=True):
            args.append(None if context is None else (yield (arg, *context)))
        if plan.overload.harmonise:
            args, types = self._harmonised(args, types)
        curve = None
        if plan.overload.curve is not None and plan.path is not None:
            lookup = Lookup.of(plan.path, self.relative_to)
            curve = (self.loaded.curves.get(lookup), plan.info)
            if curve[0] is None:
                raise self.error(
                    node, f"@{node.name}: the curve at {plan.path!r} could not be read"
                )
        call = Invocation(
            node, self.checker.text, args, types, self._type(node), plan.options, window, curve
        )
        try:
            return plan.overload.run(call)
        except (ValueError, InvalidValue) as exc:
            if isinstance(exc, ExpressionError):
                raise
            raise call.error(str(exc)) from None

    def _harmonised(
        self, args: list[Value | None], types: list[ValueType]
    ) -> tuple[list[Value | None], list[ValueType]]:
        numeric = [t for t in types if t.kind in "dtDT" and t.unit is not None]
        if not numeric:
            return args, types
        target = numeric[0].unit
        out_args, out_types = [], []
        for arg, own in zip(args, types, strict=True):
            convert = (
                converter(own.unit, target) if own.kind in "dtDT" and own.unit is not None else None
            )
            out_args.append(arg if convert is None else map_values(arg, own.kind, convert))
            out_types.append(replace(own, unit=target) if own.kind in "dtDT" else own)
        return out_args, out_types

    def _lookup(self, node: Call, plan: CallPlan, window: Window, viewpoint: Viewpoint) -> Value:
        """What a lookup found (described by the resolver, so loaded)."""
        kind = self._type(node).kind
        assert plan.path is not None
        lookup = Lookup.of(plan.path, self.relative_to)
        element = ELEMENT.get(kind, kind)
        if element == "t":
            members = self.loaded.series.get(viewpoint, {}).get(lookup)
            found: tuple[Any, ...] | None = (
                None if members is None else window_views(members, window)
            )
        elif element == "d":
            found = self.loaded.numbers.get(lookup)
        else:
            found = self.loaded.strings.get(lookup)
        if found is None or (kind == element and len(found) != 1):
            count = "nothing" if not found else f"{len(found)} values"
            raise self.error(
                node,
                f"@{node.name}: the resolver described {plan.path!r} but returned {count} for it",
            )
        if kind == element:
            return found[0]  # type: ignore[no-any-return]
        return np.asarray(found, dtype=np.float64) if kind == "D" else tuple(found)

    def _default(self, node: Call, window: Window, viewpoint: Viewpoint) -> _Rule:
        """The default of a lookup that found nothing, as the lookup's kind."""
        kind = self._type(node).kind
        default = yield node.args[1], window, viewpoint
        given = self._type(node.args[1]).kind
        if kind == given:
            return default
        if kind == "t":
            return constant_series(float(default), window[0])
        if kind == "T":
            if given == "t":
                return (default,)
            numbers = np.atleast_1d(np.asarray(default, dtype=np.float64))
            return tuple(constant_series(float(v), window[0]) for v in numbers)
        if kind == "D":
            return np.atleast_1d(np.asarray(default, dtype=np.float64))
        return (str(default),)
