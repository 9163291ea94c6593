"""A script's statements as one script: assignments in order, IF statements, call lines.

The parser hands over the statements as written; :func:`build_script` runs through them as
Mesh runs a script, keeping the value each name (and the result ``##``) has so far, so a name
may be assigned again (``A = A + 1``). An IF statement gives every name its branches assign
the conditional of their values, ``IF c THEN A = x ELSE A = y ENDIF`` gives ``A`` the value
``IF c THEN x ELSE y ENDIF``: with a number as condition one branch is computed, as Mesh
does; with a series as condition the branches are chosen point by point (Mesh takes a number
there). A name that keeps its value in a branch without ELSE keeps the one it had before the
IF; one that has a value in some branches only and none before may not be used after it.

A line that is a call of a function (``@PDLOG(...)``, ``@PushExtPeriod(...)``), not the last, is
kept as an :class:`~workbench.calc.syntax.Effect` with the condition under which it runs;
the evaluator runs it for what it does and drops its value. The result is the value ``##`` has
at the end, or the last line when that is a bare expression (also the last bare line of each
branch of an IF statement that ends the script).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from workbench.calc.inline import substitute
from workbench.calc.syntax import Assign, Call, Effect, If, Logical, Name, Node, Script, Unary, walk
from workbench.errors import ExpressionError

__all__ = ["Branch", "Statement", "build_script"]

_LOOKUPS = frozenset({"t", "T", "d", "D", "s", "S"})
"""Lookups read data and do nothing else: a line of one alone is not a statement."""
_RESULT = "##"


@dataclass(frozen=True)
class Statement:
    """One statement as the parser read it: ``kind`` and the token that starts it (a name,
    ``##``, ``IF``; any object with ``value``, ``line`` and ``column``); ``value`` is the
    expression, or the branches of an IF statement."""

    kind: Literal["result", "assign", "bare", "if"]
    token: Any
    value: Any


@dataclass(frozen=True)
class Branch:
    """A branch of an IF statement: its keyword (IF, ELSEIF, ELSE), condition (None for
    ELSE) and statements."""

    keyword: Any
    condition: Node | None
    body: list[Statement]


def build_script(text: str, statements: list[Statement]) -> Script:
    """The :class:`Script` of the statements; :class:`ExpressionError` for a script without a
    result, a line that does nothing, or a name used where it may have no value."""
    if not statements:
        raise ExpressionError(
            "the expression is empty; write an expression such as @t('.Inflow') * 2", text, 1, 1
        )
    run = _Run(text)
    run.block(statements, None, final=True, top=True)
    last = statements[-1].token
    if _RESULT in run.partial:
        raise run.partial_error(_RESULT, last)
    result = run.env.get(_RESULT)
    if result is None:
        raise ExpressionError(
            "the script has no result; end it with a line '## = expression'",
            text,
            last.line,
            last.column,
        )
    return Script(text, tuple(run.assigns), result, tuple(run.effects))


class _Run:
    """The values of the names so far, and what the script assigned and does."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.env: dict[str, Node] = {}
        self.partial: dict[str, Any] = {}  # name -> the IF token after which it may have no value
        self.assigns: list[Assign] = []
        self.effects: list[Effect] = []

    def error(self, at: Any, message: str) -> ExpressionError:
        return ExpressionError(message, self.text, at.line, at.column)

    def partial_error(self, name: str, at: Any) -> ExpressionError:
        where = self.partial[name]
        what = "the result ##" if name == _RESULT else repr(name)
        return self.error(
            at,
            f"{what} has a value only in some branches of the IF on line {where.line}; give it "
            "a value before the IF, or in every branch (with an ELSE)",
        )

    def value(self, node: Node) -> Node:
        """``node`` with the names replaced by their values so far."""
        if not self.env and not self.partial:
            return node  # nothing to replace (one bare expression): no walk over it
        if self.partial:
            for below in walk(node):
                if isinstance(below, Name) and below.name in self.partial:
                    raise self.partial_error(below.name, below)
        # A name without a value yet is left for compiling to report (parsing checks syntax).
        return substitute(node, self.env, self.text, strict=False)

    def block(
        self, statements: list[Statement], guard: Node | None, final: bool, top: bool
    ) -> None:
        """Run ``statements``; ``final`` when the block ends the script (its last bare line is
        the result), ``top`` at the script's top level."""
        result_at = None  # a top-level '## = ...' line, which only IF statements may follow
        for index, statement in enumerate(statements):
            last = index == len(statements) - 1
            if result_at is not None and statement.kind != "if":
                raise self.error(
                    result_at, "the result line '## = ...' must be the last line of the script"
                )
            if statement.kind == "assign":
                self.assign(statement.token, statement.token.value, statement.value)
            elif statement.kind == "result":
                self.assign(statement.token, _RESULT, statement.value)
                result_at = statement.token if top and not last else None
            elif statement.kind == "if":
                self.if_statement(statement, guard, final and last)
            elif last and final:
                self.assign(statement.token, _RESULT, statement.value)
            else:
                self.effect(statement.value, guard)

    def assign(self, token: Any, name: str, node: Node) -> None:
        value = self.value(node)
        self.env[name] = value
        self.partial.pop(name, None)
        if name != _RESULT:  # the result is checked as the result
            self.assigns.append(Assign(token.line, token.column, name, value))

    def effect(self, node: Node, guard: Node | None) -> None:
        if not isinstance(node, Call) or node.name in _LOOKUPS:
            raise self.error(
                node,
                "this line is neither an assignment 'Name = expression', the result "
                "'## = expression' nor a call such as @PDLOG(...) (only the last line may be a "
                "bare expression)",
            )
        self.effects.append(Effect(node.line, node.column, self.value(node), guard))

    def if_statement(self, statement: Statement, guard: Node | None, final: bool) -> None:
        """Run each branch from the values before the IF, then give every name a branch
        assigned the conditional of its values."""
        branches: list[Branch] = statement.value
        before, partial_before = dict(self.env), dict(self.partial)
        outcomes: list[tuple[Any, Node | None, dict[str, Node]]] = []
        earlier: Node | None = None  # none of the conditions so far holds
        for branch in branches:
            condition = None if branch.condition is None else self.value(branch.condition)
            own = _both(earlier, condition)
            self.env, self.partial = dict(before), dict(partial_before)
            self.block(branch.body, _both(guard, own), final=final, top=False)
            outcomes.append((branch.keyword, condition, self.env))
            if condition is not None:
                negated = Unary(condition.line, condition.column, "NOT", condition)
                earlier = _both(earlier, negated)
        if outcomes[-1][1] is not None:  # no ELSE: the names keep their values
            outcomes.append((statement.token, None, before))
        self.env, self.partial = dict(before), dict(partial_before)
        changed = {
            name for _, _, env in outcomes for name in env if env[name] is not before.get(name)
        }
        for name in sorted(changed):
            values = [env.get(name) for _, _, env in outcomes]
            if any(v is None for v in values):
                self.env.pop(name, None)
                self.partial[name] = statement.token
                continue
            merged: Node = values[-1]  # type: ignore[assignment]
            for (keyword, condition, _), value in zip(
                outcomes[-2::-1], values[-2::-1], strict=True
            ):
                assert condition is not None and value is not None
                merged = If(keyword.line, keyword.column, condition, value, merged)
            self.env[name] = merged
            self.partial.pop(name, None)
            if name != _RESULT:
                self.assigns.append(
                    Assign(statement.token.line, statement.token.column, name, merged)
                )


def _both(a: Node | None, b: Node | None) -> Node | None:
    """``a AND b``, where None is true."""
    if a is None:
        return b
    if b is None:
        return a
    return Logical(b.line, b.column, "AND", a, b)
