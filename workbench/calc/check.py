"""Static checking: names, kinds, function overloads, options, and units before any data is read.

:func:`inline` replaces each variable by the expression assigned to it (sub-expressions are
shared, not copied), so the result is one expression. :class:`Checker` works out the
:class:`~workbench.calc.values.ValueType` of every node. Without lookup descriptions (when an
expression is compiled) it checks names, kinds, overloads and options and leaves units unknown;
with the descriptions of one object's lookups it also checks and infers units.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, get_args

from workbench.calc import library
from workbench.calc.fn_curves import EXPECTED_FOUND, SELF_PATH
from workbench.calc.functions import Function, Overload, UnitQuery
from workbench.calc.inline import inline
from workbench.calc.protocol import ABSOLUTE_PREFIX, Lookup, LookupInfo, ObjectId
from workbench.calc.quantities import (
    DIMENSIONLESS,
    compatible,
    product,
    quotient,
    show,
    unit_of,
)
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
    bottom_up,
)
from workbench.calc.values import COLLECTION, ELEMENT, KIND_NAMES, Kind, ValueType, nominal_ns
from workbench.errors import ExpressionError, UnitError
from workbench.limits import current_deadline, quoted

__all__ = ["CallPlan", "Checker", "constant", "inline", "lookup_path"]

_FOUND = {"t": "series", "d": "number", "s": "string"}
_LETTER = {found: letter for letter, found in _FOUND.items()}
_NUMERIC = frozenset("dtDT")
# Value types met at almost every node, made once (they are frozen).
_STRING = ValueType("s")
_NUMBER = ValueType("d", DIMENSIONLESS)
_UNKNOWN_UNIT: dict[str, ValueType] = {kind: ValueType(kind) for kind in get_args(Kind)}
_NESTED_CHECKS = 50
"""How many node rules may run inside one another before the rest is checked bottom-up."""
_CHECK_EVERY = 1024
"""How many nodes are checked bottom-up between two looks at the deadline."""


@dataclass(frozen=True)
class CallPlan:
    """What the checker decided about one call: its overload, parsed options, what it reads."""

    function: Function | None
    overload: Overload | None
    options: tuple[Any, ...] = ()
    path: str | None = None
    info: LookupInfo | None = None


def constant(node: Node) -> float | str | None:
    """The value of a literal (a number, a string, or a negated number); None otherwise."""
    if isinstance(node, Number):
        return node.value
    if isinstance(node, String):
        return node.value
    if isinstance(node, Unary) and node.op in "+-" and isinstance(node.operand, Number):
        return -node.operand.value if node.op == "-" else node.operand.value
    return None


def lookup_path(call: Call) -> str | None:
    """The path of a lookup call, or of a curve function's curve (None for other calls)."""
    if call.name in library.LOOKUPS:
        return str(constant(call.args[0])) if call.args else None
    function = library.find(call.name)
    if function is None:
        return None
    for overload in function.overloads:
        if overload.curve is not None:
            index = overload.curve_path
            given = constant(call.args[index]) if len(call.args) > index else None
            return str(given) if given is not None else SELF_PATH
    return None


def _combine(kinds: list[Kind]) -> Kind:
    """The kind of an element-wise result: series if any operand is, collection if any is."""
    element: Kind = "t" if "t" in kinds or "T" in kinds else "d"
    return COLLECTION[element] if "D" in kinds or "T" in kinds else element


def _finest(types: list[ValueType]) -> int | None:
    steps = [t.step for t in types if t.kind == "t" or t.kind == "T"]
    if None in steps:
        return None
    positive = [s for s in steps if s]
    return min(positive) if positive else 0


def _typed(kind: Kind, unit: Any, step: int | None, like: ValueType) -> ValueType:
    """``ValueType(kind, unit, step)``, or ``like`` when it is that already (saves making one)."""
    if like.kind == kind and like.unit is unit and like.step == step:
        return like
    return ValueType(kind, unit, step)


class Checker:
    """Works out the type of every node, memoised by node identity.

    Parameters
    ----------
    text
        The script's text, for error positions.
    infos
        What the resolver said about the lookups, or None to leave units unknown.
    relative_to
        The object the expression is evaluated for (relative paths start there).
    """

    def __init__(
        self,
        text: str,
        infos: Mapping[Lookup, LookupInfo] | None = None,
        relative_to: ObjectId | None = None,
    ) -> None:
        self.text = text
        self.infos = infos
        self.relative_to = relative_to
        self.types: dict[int, ValueType] = {}
        self.calls: dict[int, CallPlan] = {}
        self._depth = 0  # how many rules are running, one inside the other
        self._limit = current_deadline()

    def error(self, node: Node, message: str) -> ExpressionError:
        return ExpressionError(message, self.text, node.line, node.column)

    def check(self, node: Node) -> ValueType:
        """The type of ``node`` (checking everything below it).

        Each node's rule checks its operands first, recursively. Past :data:`_NESTED_CHECKS`
        rules inside one another (a sum of a thousand terms is a thousand levels deep), the
        rest of the tree is checked bottom-up instead, each node after its operands, so that
        no rule recurses further: an expression of any depth is checked.
        """
        known = self.types.get(id(node))
        if known is not None:
            return known
        rule = _RULES.get(type(node))
        if rule is None:
            raise self.error(node, f"unexpected {type(node).__name__} here")
        if self._depth >= _NESTED_CHECKS:
            self._check_below(node)
        self._depth += 1
        try:
            known = rule(self, node)
        finally:
            self._depth -= 1
        self.types[id(node)] = known
        return known

    def _check_below(self, node: Node) -> None:
        """Check every node below ``node`` bottom-up: each node's operands are checked before
        it, so its rule recurses one level only. Looks at the deadline as it goes."""
        nested, self._depth = self._depth, 0
        try:
            for count, below in enumerate(bottom_up(node)[:-1], 1):
                if id(below) not in self.types:
                    self.check(below)
                if not count % _CHECK_EVERY and self._limit is not None:  # a huge expression
                    self._limit.check(f"checking the expression {quoted(self.text)}")
        finally:
            self._depth = nested

    def _number(self, node: Number) -> ValueType:
        if node.unit is None:
            # NaN (a missing value) fits any unit: ``x > 4 ? NaN : x`` keeps x's.
            return _UNKNOWN_UNIT["d"] if node.value != node.value else _NUMBER
        try:
            return ValueType("d", unit_of(node.unit))
        except UnitError as exc:
            raise self.error(node, str(exc)) from None

    def _string(self, node: String) -> ValueType:
        return _STRING

    def _numeric(self, node: Node, what: str) -> ValueType:
        found = self.check(node)
        if found.kind not in _NUMERIC:
            raise self.error(node, f"{what} needs numbers or series, got {found.name}")
        return found

    def _same_units(self, at: Node, what: str, left: ValueType, right: ValueType) -> None:
        if left.unit is None or right.unit is None or compatible(left.unit, right.unit):
            return
        raise self.error(
            at,
            f"unit clash in {what}: {show(left.unit)} and {show(right.unit)} do not fit "
            "together; write a number with its unit (100[MW]), convert with @CONVERT, or "
            "relabel with @SET_UNIT",
        )

    def _unary(self, node: Unary) -> ValueType:
        operand = self._numeric(node.operand, f"'{node.op}'")
        if node.op == "NOT":
            return _typed(operand.kind, DIMENSIONLESS, operand.step, operand)
        return operand

    def _binary(self, node: Binary) -> ValueType:
        op = node.op
        left = self._numeric(node.left, f"'{op}'")
        right = self._numeric(node.right, f"'{op}'")
        kind = _combine([left.kind, right.kind])
        step = _finest([left, right])
        known = left.unit is not None and right.unit is not None
        if op == "+" or op == "-":
            self._same_units(node, f"'{op}'", left, right)
            return _typed(kind, left.unit, step, left)
        if op == "*":
            unit = product(left.unit, right.unit) if known else None
        elif op == "/":
            unit = quotient(left.unit, right.unit) if known else None
        else:
            unit = self._power_unit(node, left, right)
        return _typed(kind, unit, step, left)

    def _power_unit(self, node: Binary, base: ValueType, exponent: ValueType) -> Any:
        if exponent.unit is not None and not compatible(exponent.unit, DIMENSIONLESS):
            raise self.error(node, f"'^' needs a dimensionless exponent, got {show(exponent.unit)}")
        if base.unit is None or base.unit == DIMENSIONLESS:
            return base.unit
        power = constant(node.right)
        if not isinstance(power, float):
            raise self.error(
                node,
                f"raising {show(base.unit)} to a power needs a constant "
                "exponent such as 2 or 0.5 (or a dimensionless base)",
            )
        return base.unit**power

    def _condition(self, node: Compare | Logical) -> ValueType:
        left, right = self.check(node.left), self.check(node.right)
        what = f"'{node.op}'"
        if isinstance(node, Compare) and left.kind == right.kind == "s":
            if node.op not in {"=", "!="}:
                raise self.error(node, f"strings can be compared with '=' and '!=', not {what}")
            return ValueType("d", DIMENSIONLESS)
        left, right = self._numeric(node.left, what), self._numeric(node.right, what)
        if isinstance(node, Compare):
            self._same_units(node, what, left, right)
        return ValueType(_combine([left.kind, right.kind]), DIMENSIONLESS, _finest([left, right]))

    def _if(self, node: If) -> ValueType:
        condition = self._numeric(node.condition, "IF")
        then, otherwise = self.check(node.then), self.check(node.otherwise)
        if condition.kind in "DT":
            raise self.error(
                node, f"IF needs a number or series as condition, got {condition.name}"
            )
        if then.kind == otherwise.kind == "s" and condition.kind == "d":
            return then
        if {then.kind, otherwise.kind} <= {"d", "t"}:
            self._same_units(node, "the branches of IF", then, otherwise)
            kind = _combine([condition.kind, then.kind, otherwise.kind])
            unit = then.unit if then.unit is not None else otherwise.unit
            return ValueType(kind, unit, _finest([condition, then, otherwise]))
        if then.kind == otherwise.kind and condition.kind == "d":
            if then.kind in "DT":
                self._same_units(node, "the branches of IF", then, otherwise)
            return then
        raise self.error(
            node,
            f"the branches of IF give {then.name} and {otherwise.name}; "
            f"with {condition.name} as condition they must match",
        )

    def _array(self, node: Array, empty_kind: Kind = "D") -> ValueType:
        if not node.items:
            return ValueType(empty_kind, DIMENSIONLESS if empty_kind != "S" else None, 0)
        items = [self.check(item) for item in node.items]
        elements = {ELEMENT.get(t.kind, t.kind) for t in items}
        if len(elements) > 1:
            names = " and ".join(sorted(KIND_NAMES[e] for e in elements))
            raise self.error(node, f"an array holds numbers, strings or series, not {names}")
        first = items[0]
        for item, at in zip(items[1:], node.items[1:], strict=True):
            self._same_units(at, "an array", first, item)
        (element,) = elements
        return ValueType(COLLECTION[element], first.unit, _finest(items))  # type: ignore[index]

    def _call(self, node: Call) -> ValueType:
        if node.name in library.LOOKUPS:
            return self._lookup(node)
        function = library.find(node.name)
        if function is None:
            raise self.error(
                node,
                f"unknown function @{node.name}; the functions are @"
                + ", @".join(library.names())
                + ", and the lookups @t, @T, @d, "
                "@D, @s, @S",
            )
        types = [self.check(arg) for arg in node.args]
        kinds = [t.kind for t in types]
        overload = function.select(kinds)
        if overload is None:
            raise self.error(node, function.mismatch(kinds))
        options = self._options(node, function, overload)
        if overload.validate is not None:
            overload.validate(UnitQuery(node, self.text, types, options))
        path, info = None, None
        if overload.curve is not None:
            path = str(options[overload.curve_path] or SELF_PATH) if len(options) > 1 else SELF_PATH
            info = self._curve_info(node, path, overload.curve)
        self.calls[id(node)] = CallPlan(function, overload, options, path, info)
        kind = overload.result_kind(kinds)
        unit = None
        if all(t.unit is not None for t in types if t.kind in _NUMERIC) and (
            overload.curve is None or info is not None
        ):
            unit = overload.unit(UnitQuery(node, self.text, types, options, info))
        step = overload.step(types, options) if overload.step else _finest(types)
        return ValueType(kind, unit, step if kind in "tT" else None)

    def _options(self, node: Call, function: Function, overload: Overload) -> tuple[Any, ...]:
        options: list[Any] = [None] * len(node.args)
        for index, parse in overload.options.items():
            if index >= len(node.args):
                continue
            arg = node.args[index]
            value = constant(arg)
            if value is None:
                raise self.error(
                    arg,
                    f"@{function.name}: argument {index + 1} must be written "
                    "as a constant such as 'DAY' or 2, not computed",
                )
            try:
                options[index] = parse(value)
            except ValueError as exc:
                raise self.error(arg, f"@{function.name}: {exc}") from None
        return tuple(options)

    def _where(self, path: str) -> str:
        if path.startswith(ABSOLUTE_PREFIX) or self.relative_to is None:
            return repr(path)
        return f"{path!r} relative to object {self.relative_to!r}"

    def _info(self, node: Call, path: str) -> LookupInfo | None:
        if self.infos is None:
            return None
        info = self.infos.get(Lookup.of(path, self.relative_to))
        return info if info is not None and info.count > 0 else None

    def _curve_info(self, node: Call, path: str, curve: str) -> LookupInfo | None:
        if self.infos is None:
            return None
        info = self._info(node, path)
        if info is None:
            raise self.error(node, f"@{node.name}: nothing found at {self._where(path)}")
        if info.found not in EXPECTED_FOUND[curve]:
            wanted = " or ".join(EXPECTED_FOUND[curve])
            raise self.error(
                node, f"@{node.name}: {self._where(path)} is a {info.found}, not a {wanted}"
            )
        return info

    def _lookup(self, node: Call) -> ValueType:
        kind = library.LOOKUPS[node.name]
        if not 1 <= len(node.args) <= 2:
            raise self.error(
                node,
                f"@{node.name} takes a path and optionally a default: "
                f"@{node.name}('.Attribute'[, default]), got {len(node.args)} "
                "arguments",
            )
        path = constant(node.args[0])
        self.check(node.args[0])
        if not isinstance(path, str):
            raise self.error(
                node.args[0],
                f"@{node.name} needs the path as a string constant "
                "such as '.Inflow' or 'Model/Hydro/PlantA.Inflow'",
            )
        default = self._default(node, kind)
        info = self._info(node, path)
        self.calls[id(node)] = CallPlan(None, None, (), path, info)
        if self.infos is None:
            return _UNKNOWN_UNIT[kind]
        if info is None:
            if default is None:
                raise self.error(
                    node,
                    f"@{node.name}: nothing found at {self._where(path)}; "
                    f"give a default as second argument to allow that",
                )
            step = (default.step if default.kind in "tT" else 0) if kind in "tT" else None
            return ValueType(kind, default.unit, step)
        return self._found(node, kind, path, info)

    def _default(self, node: Call, kind: Kind) -> ValueType | None:
        if len(node.args) < 2:
            return None
        arg = node.args[1]
        element = ELEMENT.get(kind, kind)
        if isinstance(arg, Array) and not arg.items:
            found = self._array(arg, COLLECTION[element])
            self.types[id(arg)] = found
        else:
            found = self.check(arg)
        allowed = {kind, element} | ({"d"} if element == "t" else set())
        if kind == "T":
            allowed.add("D")
        if found.kind not in allowed:
            raise self.error(
                arg,
                f"the default of @{node.name} must be "
                + " or ".join(sorted(KIND_NAMES[k] for k in allowed))
                + f", got {found.name}",
            )
        return found

    def _found(self, node: Call, kind: Kind, path: str, info: LookupInfo) -> ValueType:
        element = ELEMENT.get(kind, kind)
        wanted = _FOUND[element]
        if info.found != wanted:
            letter = _LETTER.get(info.found)
            hint = ""
            if letter is not None:
                hint = f"; use @{letter if kind == element else letter.upper()}(...)"
            raise self.error(
                node, f"@{node.name}: {self._where(path)} is a {info.found}, not a {wanted}{hint}"
            )
        if kind == element and info.count > 1:
            raise self.error(
                node,
                f"@{node.name}: {self._where(path)} names {info.count} "
                f"values; use @{kind.upper()}(...) to read them all",
            )
        if element == "s":
            return ValueType(kind)
        try:
            unit = unit_of(info.unit)
        except UnitError as exc:
            raise self.error(node, f"@{node.name}: {self._where(path)}: {exc}") from None
        step = nominal_ns(info.resolution) if element == "t" else None
        return ValueType(kind, unit, step)


# How the checker types each kind of node (a Name left after inlining is an error).
_RULES: dict[type, Callable[[Checker, Any], ValueType]] = {
    Number: Checker._number,
    String: Checker._string,
    Unary: Checker._unary,
    Binary: Checker._binary,
    Compare: Checker._condition,
    Logical: Checker._condition,
    If: Checker._if,
    Array: Checker._array,
    Call: Checker._call,
}
