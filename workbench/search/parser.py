"""Parsing search-language text into syntax nodes (lark grammar ``search.lark``), with errors that
point at the fault."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Final

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError

from workbench.errors import ExpressionError
from workbench.search.syntax import (
    _NODE_FIELDS,
    _NUMBER,
    _TIME,
    ChildStep,
    Combine,
    Comparison,
    Condition,
    Constant,
    Criteria,
    Exists,
    Logical,
    Not,
    ParentStep,
    Query,
    Repeat,
    SelfStep,
    Traversal,
    Walk,
)

__all__ = ["parse_search"]

# --- parsing -------------------------------------------------------------------------------------

_TOKEN_NAMES: Final = {
    "ATTR": "an attribute such as .Name",
    "VALUE": "a value",
    "STRING": "a quoted text",
    "OPERATOR": "an operator (= != < > <= >= ~ #)",
    "UP_WALK": "a parent walk (..* ..+ ..{*} ..{+})",
    "$END": "the end of the search",
}


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark.open("search.lark", rel_to=__file__, parser="lalr", maybe_placeholders=False)


def _describe(name: str) -> str:
    if name in _TOKEN_NAMES:
        return _TOKEN_NAMES[name]
    terminal = next((t for t in _parser().terminals if t.name == name), None)
    return f"'{terminal.pattern.value}'" if terminal is not None else name


def _unescape(quoted: str) -> str:
    return re.sub(r"\\(.)", lambda m: m[1] if m[1] in "\"'\\" else m[0], quoted[1:-1])


def _parse_time(token: Token, text: str) -> datetime:
    match = _TIME.fullmatch(token)
    assert match is not None
    year, month, day, hour, minute, second, fraction = match.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                          int(second or 0), tzinfo=UTC)  # fmt: skip
    except ValueError as exc:
        raise _error(
            f"time literal {str(token)!r} is not a valid time: {exc}", text, token
        ) from None
    return moment + timedelta(seconds=float(f"0.{fraction or 0}"))


def _error(message: str, text: str, token: Token) -> ExpressionError:
    return ExpressionError(message, text, token.line, token.column)


@v_args(inline=True)
class _ToSyntax(Transformer[Token, Query]):
    """Turns lark's parse tree into the frozen syntax nodes above."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def query(self, traversal: Traversal, attribute: Token | None = None) -> Query:
        return Query(traversal, attribute[1:] if attribute else None, self.text)

    def self_attribute(self, attribute: Token) -> Query:
        return Query(SelfStep(), attribute[1:], self.text)

    def combine(self, first: Traversal, *rest: Token | Traversal) -> Combine:
        return Combine(str(rest[0]), (first, *rest[1::2]))  # type: ignore[arg-type]

    def repeat(self, traversal: Traversal, symbol: Token) -> Repeat:
        return Repeat(traversal, every_level=symbol == "{+}")

    def self_step(self, criteria: Criteria | None = None) -> SelfStep:
        return SelfStep(criteria)

    def child_step(self, criteria: Criteria) -> ChildStep:
        return ChildStep(criteria)

    def parent_step(self) -> ParentStep:
        return ParentStep()

    def walk(self, symbol: Token, criteria: Criteria | None = None) -> Walk:
        return Walk(symbol.startswith(".."), "+" in symbol, "{" in symbol, criteria)

    def criteria(self, condition: Condition, ignore_case: Token | None = None) -> Criteria:
        return Criteria(condition, ignore_case is not None)

    def logical(self, first: Condition, *rest: Token | Condition) -> Logical:
        return Logical(str(rest[0]), (first, *rest[1::2]))  # type: ignore[arg-type]

    def negate(self, condition: Condition) -> Not:
        return Not(condition)

    def exists(self, attribute: Token) -> Exists:
        return Exists(attribute[1:])

    def comparison(self, attribute: Token, op: Token, value: Token) -> Comparison:
        constant = self._constant(value)
        name = attribute[1:]
        ordered = op in ("<", ">", "<=", ">=")
        if ordered and (isinstance(constant.value, str) or name in _NODE_FIELDS):
            raise _error(
                f"operator {str(op)!r} compares numbers and times, not {name!r} with text "
                f"{constant.text!r}; use = != ~ # for text",
                self.text, op,
            )  # fmt: skip
        if op == "#":
            try:
                re.compile(constant.text)
            except re.error as exc:
                message = f"invalid regular expression {constant.text!r}: {exc}"
                raise _error(message, self.text, value) from None
        return Comparison(name, str(op), constant, attribute.line or 1, attribute.column or 1)  # type: ignore[arg-type]

    def _constant(self, token: Token) -> Constant:
        if token.type == "STRING":
            return Constant(_unescape(token), _unescape(token), quoted=True)
        text = str(token)
        if _NUMBER.fullmatch(text):
            return Constant(text, int(text) if text.lstrip("+-").isdigit() else float(text))
        if _TIME.fullmatch(text):
            return Constant(text, _parse_time(token, self.text))
        return Constant(text, text)


def _syntax_error(exc: UnexpectedInput, text: str) -> ExpressionError:
    line, column = exc.line if exc.line > 0 else 1, exc.column if exc.column > 0 else 1
    if isinstance(exc, UnexpectedCharacters):
        found = f"character {exc.char!r}"
        expected = exc.allowed
    elif isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        expected = exc.accepts or exc.expected
        # outside brackets a lone value is never expected: name its first character only
        bare = exc.token.type == "VALUE" and exc.token[0] in "[{" and "VALUE" not in expected
        found = repr(exc.token[0] if bare else str(exc.token))
    else:
        lines = text.splitlines() or [""]
        found, line, column = "end of search", len(lines), len(lines[-1]) + 1
        expected = getattr(exc, "expected", None) or set()
    wanted = ", ".join(sorted(_describe(name) for name in expected))
    return ExpressionError(f"unexpected {found}; expected {wanted}", text, line, column)


@lru_cache(maxsize=512)
def parse_search(text: str) -> Query:
    """Parse a search text into a :class:`Query` (cached per text).

    Raises :class:`~workbench.errors.ExpressionError` with the line, column and a caret under
    the fault when the text is not a valid search.

    >>> parse_search("*[.Name=Lake].Level").attribute
    'Level'
    """
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError(
            f"empty search {text!r}; write a traversal such as {{*}}[.Type=Reservoir]", "", 1, 1
        )
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text) from None
    try:
        result: Query = _ToSyntax(text).transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, ExpressionError):
            raise exc.orig_exc from None
        raise
    return result
