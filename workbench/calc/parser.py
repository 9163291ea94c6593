"""Parsing of calculation scripts: the lark grammar, a transformer to syntax nodes, clear errors.

The grammar (``grammar.lark`` beside this module) is compiled once into an LALR parser whose
transformer builds :mod:`workbench.calc.syntax` nodes while parsing, so no parse tree is kept.
Syntax errors become :class:`~workbench.errors.ExpressionError` with the line, the column and a
caret under the fault.

Examples
--------
>>> script = parse("Total = @t('.A') + @t('.B')\\n## = Total * 0.5")
>>> [a.name for a in script.assignments], type(script.result).__name__
(['Total'], 'Binary')
>>> parse("1 +")
Traceback (most recent call last):
...
workbench.errors.ExpressionError: unexpected end of the text; expected ...
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, cast

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.lexer import Lexer

from workbench.calc.syntax import (
    Array,
    Assign,
    Binary,
    BinaryOp,
    Call,
    Compare,
    If,
    Logical,
    Name,
    Node,
    Number,
    Script,
    String,
    Unary,
)
from workbench.errors import ExpressionError

__all__ = ["parse"]

# After these tokens an expression cannot end, so a newline there continues the statement.
_CONTINUES = frozenset(
    {
        "ADD",
        "MUL",
        "POW",
        "COMPARE",
        "AND",
        "OR",
        "NOT",
        "IF",
        "THEN",
        "ELSE",
        "ELSEIF",
        "COMMA",
        "LPAR",
        "LBRACE",
        "EQUAL",
        "RESULT",
        "FUNC",
    }
)
_OPENS = frozenset({"LPAR", "LBRACE", "IF"})
_CLOSES = frozenset({"RPAR", "RBRACE", "ENDIF"})
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
_DESCRIBED = {
    "NAME": "a name",
    "FUNC": "a function such as @t(...)",
    "NUMBER": "a number",
    "STRING": "a string",
    "UNIT": "a unit in brackets such as [MW]",
    "RESULT": "'##'",
    "_NL": "a new line",
    "$END": "the end of the text",
    "COMPARE": "a comparison",
    "ADD": "'+' or '-'",
    "MUL": "'*' or '/'",
}


class _Lexer(Lexer):
    """A lexer of one master regular expression built from the grammar's own terminals.

    Lark's lexers try terminal by terminal; one compiled alternation is several times faster
    on expressions, and the grammar stays the only definition of the tokens. Comments and
    white space come first (so that ``//`` is not a division), then the terminals by
    priority (keywords before names). ``=`` after ``##`` is the result's ``=`` (EQUAL),
    elsewhere a comparison.
    """

    __future_interface__ = 2

    def __init__(self, conf: Any) -> None:
        ignore = frozenset(conf.ignore)
        terminals = sorted(
            (t for t in conf.terminals if t.name != "EQUAL"),
            key=lambda t: (t.name not in ignore, -t.priority),
        )
        self._pattern = re.compile(
            "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals)
        )
        self._ignore = ignore

    def lex(self, lexer_state: Any, parser_state: Any) -> Iterator[Token]:
        source = lexer_state.text
        text: str = source.text if hasattr(source, "text") else source
        match = self._pattern.match
        position, line, line_start, previous = 0, 1, 0, ""
        while position < len(text):
            found = match(text, position)
            if found is None:
                raise UnexpectedCharacters(  # type: ignore[no-untyped-call]
                    text, position, line, position - line_start + 1
                )
            kind, value = str(found.lastgroup), found.group()
            if kind not in self._ignore:
                if kind == "COMPARE" and value == "=" and previous == "RESULT":
                    kind = "EQUAL"
                yield Token(kind, value, position, line, position - line_start + 1)
                previous = kind
            breaks = value.count("\n")
            if breaks:
                line += breaks
                line_start = position + value.rindex("\n") + 1
            position = found.end()


class _Newlines:
    """Post-lexer: drop newlines inside brackets and IF ... ENDIF and after continuing tokens."""

    always_accept = ("_NL",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        depth = 0
        previous = "_NL"
        for token in stream:
            kind = token.type
            if kind == "_NL":
                if depth > 0 or previous in _CONTINUES or previous == "_NL":
                    continue
            elif kind in _OPENS:
                depth += 1
            elif kind in _CLOSES:
                depth = max(depth - 1, 0)
            previous = kind
            yield token


def _at(token: Token) -> tuple[int, int]:
    return int(token.line or 1), int(token.column or 1)


def _exprs(children: list[Any]) -> tuple[Node, ...]:
    return tuple(c for c in children if isinstance(c, Node))


@dataclass(frozen=True)
class _Prefixed:
    """An operand with its prefix operators (signs, NOT), outermost first."""

    ops: tuple[Token, ...]
    operand: Node


class _Misplaced(Exception):
    """An operator where the precedence rules allow none (raised while parsing)."""

    def __init__(self, token: Token, why: str) -> None:
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
    """

    def __init__(self, children: list[Any]) -> None:
        self.items: list[Any] = []
        for child in children:
            if isinstance(child, _Prefixed):
                self.items.extend(child.ops)
                self.items.append(child.operand)
            else:
                self.items.append(child)
        self.at = 0

    def expression(self) -> Node:
        return self._climb(0)

    def _climb(self, least: int) -> Node:
        left = self._operand(least)
        while self.at < len(self.items):
            op: Token = self.items[self.at]
            power = _BINARY[op.type]
            if power < least:
                break
            self.at += 1
            # ^ takes a signed operand and groups to the right; the others group to the left
            right = self._climb(_SIGN if op.type == "POW" else power + 1)
            left = _binary(op, left, right)
            following = self.items[self.at] if self.at < len(self.items) else None
            if op.type == "COMPARE" and isinstance(following, Token):
                self._refuse_chained(following)
        return left

    @staticmethod
    def _refuse_chained(following: Token) -> None:
        if following.type == "COMPARE":
            raise _Misplaced(following, "a comparison cannot compare a comparison")

    def _operand(self, least: int) -> Node:
        item = self.items[self.at]
        self.at += 1
        if not isinstance(item, Token):
            return cast(Node, item)
        if item.type == "NOT":
            if least > _NOT:
                raise _Misplaced(item, "NOT applies to a comparison or a condition here")
            return Unary(*_at(item), "NOT", self._climb(_NOT))
        return Unary(*_at(item), str(item), self._climb(_SIGN))  # type: ignore[arg-type]


def _binary(op: Token, left: Node, right: Node) -> Node:
    if op.type == "COMPARE":
        return Compare(*_at(op), _COMPARE_OPS[str(op)], left, right)  # type: ignore[arg-type]
    if op.type in {"AND", "OR"}:
        return Logical(*_at(op), str(op).upper(), left, right)  # type: ignore[arg-type]
    return Binary(*_at(op), cast(BinaryOp, str(op)), left, right)


class _ToSyntax(Transformer[Token, Any]):
    """Builds syntax nodes bottom-up while the LALR parser reduces."""

    def number(self, children: list[Token]) -> Number:
        unit = str(children[1])[1:-1].strip() if len(children) > 1 else None
        return Number(*_at(children[0]), float(children[0]), unit)

    def string(self, children: list[Token]) -> String:
        raw = str(children[0])
        quote = raw[0]
        return String(*_at(children[0]), raw[1:-1].replace(quote * 2, quote))

    def name(self, children: list[Token]) -> Name:
        return Name(*_at(children[0]), str(children[0]))

    def call(self, children: list[Any]) -> Call:
        return Call(*_at(children[0]), str(children[0])[1:], _exprs(children[1:]))

    def array(self, children: list[Any]) -> Array:
        return Array(*_at(children[0]), _exprs(children[1:]))

    def prefix(self, children: list[Any]) -> _Prefixed:
        op, term = children
        if isinstance(term, _Prefixed):
            return _Prefixed((op, *term.ops), term.operand)
        return _Prefixed((op,), term)

    def expr(self, children: list[Any]) -> Node:
        if len(children) == 1 and isinstance(children[0], Node):
            return children[0]
        return _Operators(children).expression()

    def if_expr(self, children: list[Any]) -> If:
        parts = _exprs(children)
        branches = [t for t in children if isinstance(t, Token) and t.type in {"IF", "ELSEIF"}]
        result = parts[-1]
        for k in range(len(branches) - 1, -1, -1):
            result = If(*_at(branches[k]), parts[2 * k], parts[2 * k + 1], result)
        return cast(If, result)

    def result(self, children: list[Any]) -> tuple[str, Token, Node]:
        return ("result", children[0], children[1])

    def bare(self, children: list[Any]) -> tuple[str, None, Node]:
        return ("bare", None, children[0])

    def start(self, children: list[Any]) -> list[tuple[str, Token | None, Node]]:
        return list(children)


@cache
def _parser() -> Lark:
    grammar = resources.files("workbench.calc").joinpath("grammar.lark").read_text("utf-8")
    return Lark(
        grammar,
        parser="lalr",
        lexer=_Lexer,
        postlex=_Newlines(),
        transformer=_ToSyntax(),
        maybe_placeholders=True,
        cache=False,
    )


def parse(text: str) -> Script:
    """Parse a script into its assignments and result expression.

    Parameters
    ----------
    text
        ``Name = expr`` lines and a last line ``## = expr``, or one bare expression.

    Raises
    ------
    ExpressionError
        On a syntax error, with the line, column and a caret under the fault.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be a string, got {text!r}")
    try:
        statements = cast(list[tuple[str, Token | None, Node]], _parser().parse(text))
    except UnexpectedInput as exc:
        raise _syntax_error(text, exc) from None
    except _Misplaced as exc:
        raise ExpressionError(
            f"unexpected {str(exc.token)!r}: {exc.why}", text, *_at(exc.token)
        ) from None
    return _script(text, statements)


def _script(text: str, statements: list[tuple[str, Token | None, Node]]) -> Script:
    """Sort statements into assignments and the result, checking the script's shape."""
    if not statements:
        raise ExpressionError(
            "the expression is empty; write an expression such as @t('.Inflow') * 2",
            text,
            1,
            1,
        )
    assignments: list[Assign] = []
    for index, (kind, token, node) in enumerate(statements):
        last = index == len(statements) - 1
        if kind == "bare" and isinstance(node, Compare) and _is_assignment(text, node):
            assert isinstance(node.left, Name)
            assignments.append(Assign(node.left.line, node.left.column, node.left.name, node.right))
            if last:
                raise ExpressionError(
                    "the script has no result; end it with a line '## = expression'",
                    text,
                    node.left.line,
                    node.left.column,
                )
        elif last:
            return Script(text, tuple(assignments), node)
        elif kind == "result" and token is not None:
            raise ExpressionError(
                "the result line '## = ...' must be the last line of the script",
                text,
                *_at(token),
            )
        else:
            raise ExpressionError(
                "this line is neither an assignment 'Name = expression' nor the result "
                "'## = expression' (only the last line may be a bare expression)",
                text,
                node.line,
                node.column,
            )
    raise AssertionError("unreachable: the loop returns or raises on the last statement")


def _is_assignment(text: str, node: Compare) -> bool:
    """A top-level ``Name = expr`` (one ``=``, not ``==``) is an assignment."""
    if node.op != "=" or not isinstance(node.left, Name):
        return False
    lines = text.splitlines()
    source = lines[node.line - 1] if node.line <= len(lines) else ""
    return source[node.column - 1 : node.column + 1] != "=="


def _syntax_error(text: str, exc: UnexpectedInput) -> ExpressionError:
    """Translate a lark error into an ExpressionError that says what was found and expected."""
    line, column = int(getattr(exc, "line", 1) or 1), int(getattr(exc, "column", 1) or 1)
    if isinstance(exc, UnexpectedCharacters):
        return ExpressionError(
            f"unexpected character {text[exc.pos_in_stream or 0]!r}; an expression is made of "
            "numbers, strings in quotes, names, @functions, ( ), { }, operators + - * / ^, "
            "comparisons and AND, OR, NOT, IF ... THEN ... ELSE ... ENDIF",
            text,
            line,
            column,
        )
    elif isinstance(exc, UnexpectedToken | UnexpectedEOF):
        token = exc.token
        expected = set(exc.expected)
        if token.type == "$END":
            found = "unexpected end of the text"
            line, column = _end_position(text)
        elif token.type == "_NL":
            found = "unexpected end of the line"
        else:
            found = f"unexpected {str(token)!r}"
            line, column = _at(token)
    else:  # pragma: no cover - lark raises only the kinds above
        found, expected = str(exc), set()
    return ExpressionError(f"{found}; expected {_describe(expected)}", text, line, column)


def _end_position(text: str) -> tuple[int, int]:
    lines = text.splitlines() or [""]
    if text.endswith(("\n", "\r")):
        return len(lines) + 1, 1
    return len(lines), len(lines[-1]) + 1


def _describe(expected: set[str]) -> str:
    """Readable names of the expected terminals, e.g. "')', ',' or a number"."""
    parser = _parser()
    names: set[str] = set()
    for terminal in expected:
        if terminal in _DESCRIBED:
            names.add(_DESCRIBED[terminal])
            continue
        try:
            pattern = parser.get_terminal(terminal).pattern
        except KeyError:
            names.add(terminal)
            continue
        names.add(repr(pattern.value) if pattern.type == "str" else terminal)
    ordered = sorted(names, key=lambda n: (not n.startswith("'"), n))
    if len(ordered) > 10:
        ordered = [*ordered[:10], "..."]
    if len(ordered) == 1:
        return ordered[0]
    return ", ".join(ordered[:-1]) + " or " + ordered[-1]
