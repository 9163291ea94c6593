"""Syntax-tree nodes of the calculation language: frozen dataclasses, each with its position.

The parser (:mod:`workbench.calc.parser`) builds these from the text; the checker and the
evaluator walk them. ``line`` and ``column`` are 1-based and point at the token that names the
node: the operator of a binary operation, the ``@`` of a function call, the ``{`` of an array,
the ``IF`` of a conditional.

Examples
--------
>>> from workbench.calc.parser import parse
>>> parse("@t('.Inflow') * 2").result
Binary(line=1, column=15, op='*', left=Call(line=1, column=1, name='t', args=(String(line=1, \
column=4, value='.Inflow'),)), right=Number(line=1, column=17, value=2.0, unit=None))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

__all__ = [
    "Array",
    "Assign",
    "Binary",
    "BinaryOp",
    "Call",
    "Compare",
    "CompareOp",
    "Effect",
    "If",
    "Logical",
    "Name",
    "Node",
    "Number",
    "Script",
    "String",
    "Unary",
    "bottom_up",
    "walk",
]

BinaryOp: TypeAlias = Literal["+", "-", "*", "/", "^"]
CompareOp: TypeAlias = Literal["=", "!=", "<", ">", "<=", ">="]


@dataclass(frozen=True)
class Node:
    """Base of every node: where it starts in the text (1-based line and column)."""

    line: int
    column: int


@dataclass(frozen=True)
class Number(Node):
    """A number literal, optionally with a unit written after it in brackets: ``100[MW]``."""

    value: float
    unit: str | None = None


@dataclass(frozen=True)
class String(Node):
    """A string literal, written between single or double quotes (doubled to escape)."""

    value: str


@dataclass(frozen=True)
class Name(Node):
    """A reference to a variable assigned on an earlier line."""

    name: str


@dataclass(frozen=True)
class Unary(Node):
    """A sign (``-x``, ``+x``) or a logical negation (``NOT x``)."""

    op: Literal["-", "+", "NOT"]
    operand: Node


@dataclass(frozen=True)
class Binary(Node):
    """An arithmetic operation: ``+ - * / ^``."""

    op: BinaryOp
    left: Node
    right: Node


@dataclass(frozen=True)
class Compare(Node):
    """A comparison; ``==`` is written ``=`` and ``<>`` is written ``!=`` here."""

    op: CompareOp
    left: Node
    right: Node


@dataclass(frozen=True)
class Logical(Node):
    """``AND`` or ``OR`` of two conditions."""

    op: Literal["AND", "OR"]
    left: Node
    right: Node


@dataclass(frozen=True)
class If(Node):
    """``IF condition THEN then ELSE otherwise ENDIF`` or ``condition ? then : otherwise``
    (``ELSEIF`` nests another ``If``); IF statements become these too."""

    condition: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True)
class Call(Node):
    """A function call ``@Name(args)``; ``name`` is as written, without the ``@``."""

    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Array(Node):
    """An array ``{a, b, ...}`` of numbers, strings or series."""

    items: tuple[Node, ...]


@dataclass(frozen=True)
class Assign(Node):
    """A script line ``Name = expr``."""

    name: str
    value: Node


@dataclass(frozen=True)
class Effect(Node):
    """A line that is a call alone (``@PDLOG(...)``), run for what it does; ``guard`` is the
    condition of the IF statements around it (None: always)."""

    call: Node
    guard: Node | None = None


@dataclass(frozen=True)
class Script:
    """A parsed script: its assignments in order (a name may be assigned again; the values
    have the names in them replaced), the result expression, and the call lines."""

    text: str
    assignments: tuple[Assign, ...]
    result: Node
    effects: tuple[Effect, ...] = ()


def walk(node: Node) -> list[Node]:
    """Return ``node`` and every node below it, each once, in depth-first preorder.

    Variables make sub-expressions shared by several parents (a script ``B = A + A`` over
    ``A = ...``): such a node is listed once, where it is first met. The walk keeps its own
    stack, so a tree of any depth is walked. :func:`bottom_up` lists every node after all the
    nodes below it.

    >>> [type(n).__name__ for n in walk(Binary(1, 2, "+", Number(1, 1, 1.0), Name(1, 3, "x")))]
    ['Binary', 'Number', 'Name']
    >>> shared = Number(1, 1, 2.0)
    >>> len(walk(Binary(1, 2, "*", shared, shared)))
    2
    """
    found: list[Node] = []
    seen: set[int] = set()
    stack = [node]
    pop, push, reversed_children = stack.pop, stack.extend, _REVERSED_CHILDREN.get
    while stack:
        current = pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        found.append(current)
        below = reversed_children(type(current))
        if below is not None:  # not a leaf
            push(below(current))
    return found


def bottom_up(node: Node) -> list[Node]:
    """Return ``node`` and every node below it, each once, every node after all below it.

    For a tree this is depth-first postorder; a node shared by several parents comes before
    all of them.

    >>> [type(n).__name__ for n in bottom_up(Binary(1, 2, "+", Number(1, 1, 1.0), Name(1, 3, "x")))]
    ['Number', 'Name', 'Binary']
    """
    finished: list[Node] = []
    seen: set[int] = set()
    stack: list[tuple[Node, bool]] = [(node, False)]
    pop, push, get = stack.pop, stack.append, _REVERSED_CHILDREN.get
    while stack:
        current, done = pop()
        if done:
            finished.append(current)
            continue
        if id(current) in seen:
            continue
        seen.add(id(current))
        push((current, True))
        below = get(type(current))
        if below is not None:  # not a leaf: its operands first, in source order
            stack.extend([(child, False) for child in below(current) if id(child) not in seen])
    return finished


def children(node: Node) -> tuple[Node, ...]:
    """Return the direct sub-expressions of ``node`` in source order."""
    get = _CHILDREN.get(type(node))
    return () if get is None else get(node)


_CHILDREN: dict[type, Callable[[Any], tuple[Node, ...]]] = {
    Unary: lambda n: (n.operand,),
    Binary: lambda n: (n.left, n.right),
    Compare: lambda n: (n.left, n.right),
    Logical: lambda n: (n.left, n.right),
    If: lambda n: (n.condition, n.then, n.otherwise),
    Call: lambda n: n.args,
    Array: lambda n: n.items,
    Assign: lambda n: (n.value,),
}


def _last_first(get: Callable[[Any], tuple[Node, ...]]) -> Callable[[Any], tuple[Node, ...]]:
    return lambda node: get(node)[::-1]


# The same, last first, for walking with a stack.
_REVERSED_CHILDREN = {kind: _last_first(get) for kind, get in _CHILDREN.items()}
