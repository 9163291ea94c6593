"""Parsing search-language text into syntax nodes (lark grammar ``search.lark``), with errors that
point at the fault."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Final

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError

from workbench.errors import SearchError
from workbench.search.patterns import compile_pattern
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
    LinkWalk,
    Logical,
    NameStep,
    Not,
    ParentStep,
    Query,
    Repeat,
    SelfStep,
    Traversal,
    Walk,
)

__all__ = ["MAX_SEARCH_DEPTH", "MAX_SEARCH_LENGTH", "parse_search"]

MAX_SEARCH_LENGTH: Final = 200_000
"""The longest search text, in characters (parsing one takes about a second)."""

MAX_SEARCH_DEPTH: Final = 100
"""How deeply a search may nest: parentheses, ``!``, and ``&&``/``||``/``/``/``&``/``|`` inside
one another (a long flat chain such as ``a && b && ... && z`` is one level)."""

# --- parsing -------------------------------------------------------------------------------------

_TOKEN_NAMES: Final = {
    "ATTR": "an attribute such as .Name",
    "VALUE": "a value",
    "STRING": "a quoted text",
    "OPERATOR": "an operator (= != < > <= >= ~ #)",
    "UP_WALK": "a parent walk (..* ..+ ..{*} ..{+})",
    "NAME": "a name or relation such as To_Areas",
    "MODEL": "'Model:'",
    "LINK": "'~'",
    "LINK_BACK": "'~~'",
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


def _error(message: str, text: str, token: Token) -> SearchError:
    return SearchError(message, text, token.line, token.column)


@v_args(inline=True)
class _ToSyntax(Transformer[Token, Query]):
    """Turns lark's parse tree into the frozen syntax nodes above."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def query(self, *parts: Token | Traversal) -> Query:
        root = isinstance(parts[0], Token) and parts[0].type == "MODEL"
        traversal, *rest = parts[1:] if root else parts
        assert not isinstance(traversal, Token)
        attribute = rest[0][1:] if rest and isinstance(rest[0], Token) else None
        return Query(_from_root(traversal) if root else traversal, attribute, self.text)

    def model_root(self, _model: Token) -> Query:
        return Query(_from_root(SelfStep()), None, self.text)

    def self_attribute(self, *parts: Token) -> Query:
        step = _from_root(SelfStep()) if len(parts) == 2 else SelfStep()
        return Query(step, parts[-1][1:], self.text)

    def combine(self, first: Traversal, *rest: Token | Traversal) -> Combine:
        return Combine(str(rest[0]), (first, *rest[1::2]))  # type: ignore[arg-type]

    def repeat(self, traversal: Traversal, symbol: Token) -> Repeat:
        return Repeat(traversal, every_level="{" in symbol, include_start="*" in symbol)

    def name_step(self, name: Token, criteria: Criteria | None = None) -> NameStep:
        return NameStep(str(name), criteria)

    def link_walk(self, symbol: Token, criteria: Criteria | None = None) -> LinkWalk:
        return LinkWalk(symbol == "~~", criteria)

    def up(self) -> str:
        return ".."

    def attr_path(self, *parts: str) -> tuple[tuple[str, ...], Token]:
        *path, last = parts
        assert isinstance(last, Token)
        return tuple(p if p == ".." else p[1:] for p in path), last

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

    def exists(self, target: tuple[tuple[str, ...], Token]) -> Exists:
        return Exists(target[1][1:], target[0])

    def comparison(
        self, target: tuple[tuple[str, ...], Token], op: Token, value: Token
    ) -> Comparison:
        path, attribute = target
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
                compile_pattern(constant.text)
            except SearchError as exc:
                raise _error(exc.message, self.text, value) from None
        return Comparison(name, str(op), constant, attribute.line or 1, attribute.column or 1, path)  # type: ignore[arg-type]

    def _constant(self, token: Token) -> Constant:
        if token.type == "STRING":
            return Constant(_unescape(token), _unescape(token), quoted=True)
        text = str(token)
        if _NUMBER.fullmatch(text):
            return Constant(text, int(text) if text.lstrip("+-").isdigit() else float(text))
        if _TIME.fullmatch(text):
            return Constant(text, _parse_time(token, self.text))
        return Constant(text, text)


def _from_root(traversal: Traversal) -> Traversal:
    """``Model:S``: ``S`` from the root of the start object's model (a walk up to the top)."""
    return Combine("/", (Walk(upward=True), traversal))


def _syntax_error(exc: UnexpectedInput, text: str) -> SearchError:
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
    return SearchError(f"unexpected {found}; expected {wanted}", text, line, column)


@lru_cache(maxsize=512)
def parse_search(text: str) -> Query:
    """Parse a search text into a :class:`Query` (cached per text).

    Raises :class:`~workbench.errors.SearchError` (an ``ExpressionError``) with the line,
    column and a caret under the fault when the text is not a valid search, nests deeper than
    :data:`MAX_SEARCH_DEPTH` or holds a regular expression that cannot be used (see
    :mod:`workbench.search.patterns`), and without when it is longer than
    :data:`MAX_SEARCH_LENGTH`.

    >>> parse_search("*[.Name=Lake].Level").attribute
    'Level'
    """
    if not isinstance(text, str) or not text.strip():
        raise SearchError(
            f"empty search {text!r}; write a traversal such as {{*}}[.Type=Reservoir]", "", 1, 1
        )
    if len(text) > MAX_SEARCH_LENGTH:
        raise SearchError(
            f"the search is {len(text):,} characters long; a search may have at most "
            f"{MAX_SEARCH_LENGTH:,}"
        )
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text) from None
    _check_depth(tree, text)
    try:
        result: Query = _ToSyntax(text).transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, SearchError):
            raise exc.orig_exc from None
        raise
    return result


def _check_depth(tree: Tree[Token], text: str) -> None:
    """Refuse a parse tree deeper than :data:`MAX_SEARCH_DEPTH` (before anything recurses
    into it), pointing at the first token of the level that is too deep."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_SEARCH_DEPTH:
            first: Tree[Token] | Token = node
            while isinstance(first, Tree) and first.children:
                first = first.children[0]
            line, column = (first.line, first.column) if isinstance(first, Token) else (1, 1)
            raise SearchError(
                f"the search nests more than {MAX_SEARCH_DEPTH} levels deep (parentheses, '!' "
                "and operators inside one another); write it flatter, e.g. a && b && c rather "
                "than nested pairs, and no repeated '!'",
                text, line or 1, column or 1,
            )  # fmt: skip
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))
