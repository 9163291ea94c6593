"""Variables replaced by their expressions: a script becomes one expression.

:func:`inline` substitutes each assigned expression wherever its name is used, sharing the
sub-expression rather than copying it (``B = A + A`` refers to ``A``'s tree twice). It works
bottom-up on a list of its own, so a script of any depth is inlined.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from workbench.calc.syntax import (
    Array,
    Binary,
    Call,
    Compare,
    If,
    Logical,
    Name,
    Node,
    Script,
    Unary,
    bottom_up,
    children,
    walk,
)
from workbench.errors import ExpressionError

__all__ = ["inline", "substitute"]


def inline(script: Script) -> tuple[Node, tuple[Node, ...]]:
    """Replace variables by their expressions; return the result and every assigned value."""
    env: dict[str, Node] = {}
    values: list[Node] = []
    for assignment in script.assignments:
        value = substitute(assignment.value, env, script.text)
        values.append(value)
        env[assignment.name] = value
    return substitute(script.result, env, script.text), tuple(values)


def substitute(node: Node, env: Mapping[str, Node], text: str, strict: bool = True) -> Node:
    """``node`` with every variable replaced by its value in ``env`` (bottom-up, any depth);
    :class:`ExpressionError` naming a variable that has none (with ``strict``; else it is
    left as it is)."""
    nodes = walk(node)
    names = [n for n in nodes if isinstance(n, Name)]  # in the order they are written
    if not names:
        return node  # no variables: nothing to replace
    for name in names:
        if strict and name.name not in env:
            known = ", ".join(sorted(env)) or "none yet"
            raise ExpressionError(
                f"unknown name {name.name!r}; assign it on an earlier line ({name.name} = ...); "
                f"names assigned so far: {known}",
                text,
                name.line,
                name.column,
            )
    done: dict[int, Node] = {}
    for current in bottom_up(node):
        if isinstance(current, Name):
            done[id(current)] = env.get(current.name, current)
            continue
        kids = children(current)
        new = tuple(done[id(k)] for k in kids)
        same = all(a is b for a, b in zip(kids, new, strict=True))
        done[id(current)] = current if same else _rebuilt(current, new)
    return done[id(node)]


def _rebuilt(node: Node, new: tuple[Node, ...]) -> Node:
    """``node`` with its sub-expressions replaced by ``new`` (in :func:`children` order)."""
    if isinstance(node, Unary):
        return replace(node, operand=new[0])
    if isinstance(node, Binary | Compare | Logical):
        return replace(node, left=new[0], right=new[1])
    if isinstance(node, If):
        return replace(node, condition=new[0], then=new[1], otherwise=new[2])
    if isinstance(node, Call):
        return replace(node, args=new)
    assert isinstance(node, Array)
    return replace(node, items=new)
