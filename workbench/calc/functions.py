"""How functions of the language are declared: overloads by argument kind, units, windows.

A :class:`Function` has overloads; the checker picks the first whose parameter kinds accept the
arguments' kinds (``@SUM(T)`` gives a series, ``@SUM(t)`` a number). An overload says which
arguments must be constants (option strings such as ``'DAY'``, parsed when the expression is
compiled), how the result's unit follows from the arguments' units, how far back (or ahead) its
series arguments must be read for a requested period, and which beliefs they are read from.
The function modules (:mod:`workbench.calc.fn_stats`, :mod:`workbench.calc.fn_time`,
:mod:`workbench.calc.fn_curves`) declare the functions; :mod:`workbench.calc.library` lists them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from workbench.calc.protocol import LookupInfo, Viewpoint
from workbench.calc.quantities import DIMENSIONLESS, compatible, show, unit_of
from workbench.calc.syntax import Call
from workbench.calc.values import KIND_NAMES, Kind, Value, ValueType
from workbench.errors import ExpressionError, UnitError

__all__ = [
    "AS_IN_MESH",
    "Function",
    "Invocation",
    "MeshNote",
    "Overload",
    "UnitQuery",
    "Window",
    "dimensionless",
    "keep",
    "same",
    "unit_option",
]

Window: TypeAlias = tuple[int, int]
"""A period [start, end) in nanoseconds since 1970, UTC."""

OptionParser: TypeAlias = Callable[[Any], Any]
"""Reads a constant argument; raises ValueError with a message naming what is accepted."""


@dataclass(frozen=True)
class UnitQuery:
    """What a unit rule sees: the arguments' types and options, and where the call is."""

    node: Call
    text: str
    types: Sequence[ValueType]
    options: Sequence[Any]
    curve: LookupInfo | None = None

    def error(self, message: str) -> ExpressionError:
        """An ExpressionError at the call."""
        return ExpressionError(message, self.text, self.node.line, self.node.column)


UnitRule: TypeAlias = Callable[[UnitQuery], Any]


@dataclass(frozen=True)
class Invocation:
    """What a function's implementation gets at run time.

    ``args`` holds the evaluated arguments (None in place of options, whose parsed values
    are in ``options``); ``types`` their static types, already converted to the units the
    overload asked for; ``window`` the period asked of this call; ``curve`` the XY-set or
    rating curve a curve function reads.
    """

    node: Call
    text: str
    args: Sequence[Value | None]
    types: Sequence[ValueType]
    result: ValueType
    options: Sequence[Any]
    window: Window
    curve: Any = None

    def error(self, message: str) -> ExpressionError:
        """An ExpressionError at the call, naming the function."""
        return ExpressionError(
            f"@{self.node.name}: {message}", self.text, self.node.line, self.node.column
        )


@dataclass(frozen=True)
class Overload:
    """One way to call a function.

    Attributes
    ----------
    params
        The kinds each parameter accepts, e.g. ``("t", "s")``; ``"td"`` accepts either.
    result
        The result's kind, or a function of the arguments' kinds.
    run
        The implementation.
    required
        How many parameters must be given (the rest are optional); -1 means all.
    variadic
        The last parameter may repeat.
    options
        Parameters that must be constants, with the parser of each.
    unit
        The result's unit from the arguments' (see :func:`keep`, :func:`same`).
    harmonise
        Convert every number and series argument to the first one's unit before ``run``.
    window
        The period to read the series arguments over, given the period asked of the call.
    viewpoint
        The beliefs to read the series arguments from, given the caller's viewpoint.
    step
        The result's nominal resolution (ns) from the arguments' types and options.
    curve
        ``"xy"`` or ``"rating"``: the call reads a curve named by option ``curve_path``.
    validate
        Checks the options together when the expression is compiled (raise ``query.error``).
    """

    params: tuple[str, ...]
    result: Kind | Callable[[Sequence[Kind]], Kind]
    run: Callable[[Invocation], Value]
    required: int = -1
    variadic: bool = False
    options: Mapping[int, OptionParser] = field(default_factory=dict)
    unit: UnitRule = field(default=lambda query: query.types[0].unit)
    harmonise: bool = False
    window: Callable[[Window, Sequence[ValueType], Sequence[Any]], Window] | None = None
    viewpoint: Callable[[Viewpoint, Sequence[Any]], Viewpoint] | None = None
    step: Callable[[Sequence[ValueType], Sequence[Any]], int | None] | None = None
    curve: Literal["xy", "rating"] | None = None
    curve_path: int = 1
    validate: Callable[[UnitQuery], None] | None = None

    def accepts(self, kinds: Sequence[Kind]) -> bool:
        """True when arguments of these kinds fit this overload."""
        needed = len(self.params) if self.required < 0 else self.required
        if len(kinds) < needed or (len(kinds) > len(self.params) and not self.variadic):
            return False
        return all(k in self.params[min(i, len(self.params) - 1)] for i, k in enumerate(kinds))

    def result_kind(self, kinds: Sequence[Kind]) -> Kind:
        """The result's kind for arguments of these kinds."""
        return self.result(kinds) if callable(self.result) else self.result

    def signature(self, name: str) -> str:
        """The overload as text: ``TRANSFORM(t, s, s[, s])``."""
        needed = len(self.params) if self.required < 0 else self.required
        shown = ["|".join(p) for p in self.params]
        text = ", ".join(shown[:needed])
        for extra in shown[needed:]:
            text += f"[, {extra}]" if text else f"[{extra}]"
        if self.variadic:
            text += "..."
        return f"{name}({text})"


@dataclass(frozen=True)
class MeshNote:
    """How a function compares with Volue Mesh's function of the same name.

    ``status`` is ``"as in Mesh"`` (same signatures and meaning), ``"differs"`` (``note``
    says how) or ``"not in Mesh"`` (a workbench function); ``names`` are the Mesh functions it
    stands for when they are spelled differently (``SET_UNIT`` for Mesh's ``SET_TS_VALUNIT``).
    """

    status: Literal["as in Mesh", "differs", "not in Mesh"]
    note: str = ""
    names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.status == "differs" and not self.note:
            raise ValueError("a MeshNote that differs must say how in its note")


AS_IN_MESH = MeshNote("as in Mesh")


@dataclass(frozen=True)
class Function:
    """A function of the language: its name as documented, its overloads and what it does.

    ``mesh`` says how it compares with Volue Mesh's function (None: not yet reviewed); the
    README's compatibility table is generated from it (:mod:`workbench.calc.mesh`).
    """

    name: str
    overloads: tuple[Overload, ...]
    doc: str
    mesh: MeshNote | None = None

    def select(self, kinds: Sequence[Kind]) -> Overload | None:
        """The first overload accepting arguments of ``kinds``."""
        for overload in self.overloads:
            if overload.accepts(kinds):
                return overload
        return None

    def signatures(self) -> str:
        """Every overload, for messages: ``SUM(T) or SUM(t)``."""
        return " or ".join(o.signature(self.name) for o in self.overloads)

    def mismatch(self, kinds: Sequence[Kind]) -> str:
        """The message for arguments that fit no overload."""
        given = ", ".join(KIND_NAMES[k] for k in kinds) or "no arguments"
        return (
            f"@{self.name} does not take ({given}); it takes {self.signatures()} "
            "(d number, s string, t series; D, S, T arrays of them)"
        )


def keep(index: int) -> UnitRule:
    """The result has the unit of argument ``index``."""
    return lambda query: query.types[index].unit


def dimensionless(query: UnitQuery) -> Any:
    """The result is dimensionless."""
    return DIMENSIONLESS


def same(query: UnitQuery) -> Any:
    """Every number and series argument must have a unit compatible with the first's."""
    numeric = [t for t in query.types if t.kind in "dtDT" and t.unit is not None]
    if not numeric:
        return DIMENSIONLESS
    first = numeric[0].unit
    for other in numeric[1:]:
        if not compatible(first, other.unit):
            raise query.error(
                f"unit clash in @{query.node.name}: {show(first)} and {show(other.unit)} do not "
                "fit together; convert with @CONVERT(x, 'unit') or relabel with @SET_UNIT"
            )
    return first


def unit_option(index: int) -> UnitRule:
    """The result has the unit named by option ``index``."""
    return lambda query: query.options[index]


def parse_unit_option(text: Any) -> Any:
    """Option parser for a unit text such as ``'MW'``."""
    if not isinstance(text, str):
        raise ValueError(f"expected a unit text such as 'MW', got {text!r}")
    try:
        return unit_of(text)
    except UnitError as exc:
        raise ValueError(str(exc)) from None
