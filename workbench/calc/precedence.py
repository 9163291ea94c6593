"""Operator precedence in the calculation language: the tree of an operand chain.

The grammar sees an expression as operands joined by operators (``a + b * -c ^ 2``); the
parser hands each chain to :class:`_Operators`, which builds the tree by precedence climbing
with a stack of its own, so a chain of any length (a generated sum of thousands of terms, a
hundred thousand signs) is parsed without recursion.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from workbench.calc.syntax import Binary, BinaryOp, Compare, Logical, Node, Unary

__all__: list[str] = []  # the parser's own machinery

_COMPARE_OPS = {
    "==": "=",
    "=": "=",
    "!=": "!=",
    "<>": "!=",
    "<": "<",
    ">": ">",
    "<=": "<=",
    ">=": ">=",
}


class _Token:
    """A token: its terminal, its text, and where it starts (1-based line and column).

    A third of the cost of making lark's Token (a str with eight fields), and an expression
    has about ten tokens a term.
    """

    __slots__ = ("column", "line", "type", "value")

    def __init__(self, kind: str, value: str, line: int, column: int) -> None:
        self.type = kind
        self.value = value
        self.line = line
        self.column = column


def _at(token: _Token) -> tuple[int, int]:
    return token.line, token.column


@dataclass(frozen=True)
class _Prefixed:
    """An operand with its prefix operators (signs, NOT), innermost first.

    The parser reduces ``- - - x`` from the inside out, so each reduction appends the next
    operator outwards: a chain of any length is built in linear time.
    """

    ops: list[_Token]
    operand: Node


class _Misplaced(Exception):
    """An operator where the precedence rules allow none (raised while parsing)."""

    def __init__(self, token: _Token, why: str) -> None:
        super().__init__(why)
        self.token = token
        self.why = why


# Binding power of binary operators (higher binds tighter) and of the prefix operators.
_BINARY = {"OR": 1, "AND": 2, "COMPARE": 4, "ADD": 5, "MUL": 6, "POW": 8}
_NOT, _SIGN = 3, 7


class _Operators:
    """Builds the tree of ``operand (operator operand)+`` by precedence climbing.

    The result is the one the layered grammar of precedence levels gave: ``^`` is
    right-associative and takes a signed operand (``2 ^ -1``), a sign binds looser than ``^``
    (``-a ^ 2`` is ``-(a ^ 2)``), NOT looser than comparisons, and a comparison takes no
    comparison as operand (``1 < 2 < 3`` is refused).

    The climb keeps its pending operators on a list of its own rather than on Python's call
    stack, so a chain of any length (``- - - ... x``, ``a ^ b ^ ... ^ z``) is parsed.
    """

    def __init__(self, children: list[Any]) -> None:
        self.items: list[Any] = []
        for child in children:
            if isinstance(child, _Prefixed):
                self.items.extend(reversed(child.ops))
                self.items.append(child.operand)
            else:
                self.items.append(child)
        self.at = 0

    def expression(self) -> Node:
        """The tree of the whole chain.

        Each pending frame is what a recursive climb would keep on its stack: a prefix
        operator waiting for its operand (with the binding power of the climb it started
        in), or a binary operator waiting for its right operand (with its left operand).
        """
        items, count = self.items, len(self.items)
        pending: list[tuple[int, _Token, Node | None]] = []  # (binding power, operator, left)
        least = 0
        while True:
            item = items[self.at]  # an operand, after its prefix operators
            self.at += 1
            while isinstance(item, _Token):
                if item.type == "NOT" and least > _NOT:
                    raise _Misplaced(item, "NOT applies to a comparison or a condition here")
                pending.append((least, item, None))
                least = _NOT if item.type == "NOT" else _SIGN
                item = items[self.at]
                self.at += 1
            left: Node = item
            while True:
                if self.at < count and _BINARY[items[self.at].type] >= least:
                    op: _Token = items[self.at]
                    self.at += 1
                    pending.append((least, op, left))
                    # ^ takes a signed operand and groups to the right; the others to the left
                    least = _SIGN if op.type == "POW" else _BINARY[op.type] + 1
                    break  # on to the right operand
                if not pending:
                    return left
                least, op, waiting = pending.pop()
                if waiting is None:
                    kind = "NOT" if op.type == "NOT" else op.value
                    left = Unary(*_at(op), kind, left)  # type: ignore[arg-type]
                    continue
                left = _binary(op, waiting, left)
                following = items[self.at] if self.at < count else None
                if op.type == "COMPARE" and isinstance(following, _Token):
                    self._refuse_chained(following)

    @staticmethod
    def _refuse_chained(following: _Token) -> None:
        if following.type == "COMPARE":
            raise _Misplaced(following, "a comparison cannot compare a comparison")


def _binary(op: _Token, left: Node, right: Node) -> Node:
    if op.type == "COMPARE":
        return Compare(*_at(op), _COMPARE_OPS[op.value], left, right)  # type: ignore[arg-type]
    if op.type in {"AND", "OR"}:
        return Logical(*_at(op), op.value.upper(), left, right)  # type: ignore[arg-type]
    return Binary(*_at(op), cast(BinaryOp, op.value), left, right)
