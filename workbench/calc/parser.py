"""Parsing of calculation scripts: the lark grammar, a transformer to syntax nodes, clear errors.

The grammar (``grammar.lark`` beside this module) is compiled once by lark into LALR tables and
tree-building callbacks; :class:`_Machine` runs them, lexing as it goes, and the transformer
builds :mod:`workbench.calc.syntax` nodes while parsing, so no parse tree is kept. Syntax
errors become :class:`~workbench.errors.ExpressionError` with the line, the column and a caret
under the fault.

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
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from typing import Any, cast

from lark import Lark, Transformer
from lark.grammar import Rule
from lark.parse_tree_builder import ExpandSingleChild
from lark.parsers.lalr_analysis import Shift

from workbench.calc.precedence import _at, _Misplaced, _Operators, _Prefixed, _Token
from workbench.calc.statements import Branch, Statement, build_script
from workbench.calc.syntax import Array, Call, If, Name, Node, Number, Script, String
from workbench.errors import ExpressionError
from workbench.limits import current_deadline, quoted

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
        "ASSIGN",
        "QMARK",
        "COLON",
        "SIF",
        "SELSEIF",
    }
)
_CHECK_EVERY = 4096
"""How many tokens are parsed between two looks at the deadline."""
_OPENS = frozenset({"LPAR", "LBRACE"})
_CLOSES = frozenset({"RPAR", "RBRACE"})
_KEYWORDS = frozenset({"IF", "THEN", "ELSEIF", "ELSE", "ENDIF"})
_WATCHED = _OPENS | _CLOSES | _KEYWORDS | {"_NL", "COMPARE"}  # the tokens the lexer does more about
_GIVEN = frozenset({"ASSIGN", "SIF", "STHEN", "SELSEIF", "SELSE", "SENDIF"})
"""Terminals the lexer gives in place of others; never matched from the text."""
_DESCRIBED = {
    "NAME": "a name",
    "FUNC": "a function such as @t(...)",
    "NUMBER": "a number",
    "STRING": "a string",
    "UNIT": "a unit in brackets such as [MW]",
    "RESULT": "'##'",
    "ASSIGN": "'='",
    "SIF": "IF",
    "STHEN": "THEN",
    "SELSEIF": "ELSEIF",
    "SELSE": "ELSE",
    "SENDIF": "ENDIF",
    "QMARK": "'?'",
    "COLON": "':'",
    "_NL": "a new line",
    "$END": "the end of the text",
    "COMPARE": "a comparison",
    "ADD": "'+' or '-'",
    "MUL": "'*' or '/'",
}


class _Machine:
    """The LALR tables that lark builds from the grammar, run by one loop that also lexes.

    Lark's own loop hands every token from its lexer through a post-lexer to a parser state
    object, and that was most of the time spent on a short expression. Here one regular
    expression built from the grammar's own terminals finds each token after any comments and
    white space (a comment's ``//`` is not a division; keywords come before names, by
    priority); newlines inside brackets and IF ... ENDIF, or after a token that cannot end an
    expression, are dropped; ``=`` right after ``##`` is the result's ``=`` (EQUAL), elsewhere
    a comparison. Each token is then shifted and reduced with lark's table and tree-building
    callbacks (which call :class:`_ToSyntax`), as lark's own loop would. The grammar stays the
    only definition of the language.
    """

    def __init__(self, lark: Lark) -> None:
        self.lark = lark
        ignore = frozenset(lark.ignore_tokens)
        by_priority = sorted(lark.terminals, key=lambda t: -t.priority)
        ignored = "|".join(t.pattern.to_regexp() for t in by_priority if t.name in ignore)
        terminals = [
            t for t in by_priority if t.name not in ignore and t.name not in _GIVEN | {"EQUAL"}
        ]
        # Comments and white space, then a token; the possessive *+ never gives back what the
        # ignored terminals took (a comment's '//' is not two divisions).
        self.skip = re.compile(f"(?:{ignored})*+")
        self.pattern = re.compile(
            self.skip.pattern
            + "(?:"
            + "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals)
            + ")"
        )
        conf = lark.parse_interactive("").parser_state.parse_conf
        self.start: int = conf.start_state
        self.end: int = conf.end_state
        # Per state, what each symbol does: shift to (or, for a rule, go to) a state, or reduce
        # a rule of that many symbols with its callback.
        self.actions: list[dict[str, Any]] = [
            {
                str(symbol): target if action is Shift else self._reduction(target, conf.callbacks)
                for symbol, (action, target) in conf.states[state].items()
            }
            for state in range(len(conf.states))
        ]

    @staticmethod
    def _reduction(rule: Rule, callbacks: Mapping[Any, Any]) -> tuple[int, str, Any]:
        """How to reduce ``rule``: its length, its name, and the callback building its value
        (None for a ``?rule`` of one symbol, whose value is that symbol's)."""
        size, callback = len(rule.expansion), callbacks[rule]
        if size == 1 and isinstance(callback, ExpandSingleChild):
            callback = None
        return size, str(rule.origin.name), callback

    def tokens(self, text: str) -> Iterator[_Token]:
        """The tokens of ``text`` the grammar sees (comments, white space and newlines that
        continue a statement left out), then ``$END``.

        An IF that starts a statement and whose THEN ends its line is an IF statement: its
        keywords are given as SIF, STHEN, SELSEIF, SELSE, SENDIF, and the newlines inside it
        end statements; inside an IF expression they continue it. ``=`` after a name that
        starts a statement is ASSIGN.
        """
        match = self.pattern.match
        lines = "\n" in text  # most expressions are one line: no lines to count then
        position, line, line_start, depth = 0, 1, 0, 0
        previous = before = "_NL"  # the last two tokens kept
        ifs: list[tuple[bool, int]] = []  # open IFs: (a statement?, the depth outside it)
        while found := match(text, position):
            kind: str = found.lastgroup  # type: ignore[assignment]
            start, end = found.span(kind)
            if lines and start != position and text.find("\n", position, start) >= 0:
                line += text.count("\n", position, start)  # a comment over several lines
                line_start = text.rindex("\n", position, start) + 1
            value = text[start:end]
            keep = True
            if kind in _WATCHED:
                if kind == "_NL":
                    keep = not depth and previous != "_NL" and previous not in _CONTINUES
                elif kind in _OPENS:
                    depth += 1
                elif kind in _CLOSES:
                    depth = max(depth - 1, 0)
                elif kind == "COMPARE":
                    if value == "=" and previous == "RESULT":  # a newline between continues
                        kind = "EQUAL"
                    elif value == "=" and previous == "NAME" and before == "_NL":
                        kind = "ASSIGN"
                else:
                    kind, depth = self._keyword(text, kind, end, previous, depth, ifs)
            if keep:
                yield _Token(kind, value, line, start - line_start + 1)
                before, previous = previous, kind
            if lines and "\n" in value:
                line += value.count("\n")
                line_start = start + value.rindex("\n") + 1
            position = end
        # No token from here on: only comments and white space may be left.
        end = self.skip.match(text, position).end()  # type: ignore[union-attr]  # always matches
        if lines and text.find("\n", position, end) >= 0:
            line += text.count("\n", position, end)
            line_start = text.rindex("\n", position, end) + 1
        if end < len(text):
            raise _unexpected_character(text, end, line, end - line_start + 1)
        yield _Token("$END", "", line, end - line_start + 1)

    def _keyword(
        self, text: str, kind: str, end: int, previous: str, depth: int, ifs: list[tuple[bool, int]]
    ) -> tuple[str, int]:
        """The terminal for an IF keyword, and the bracket depth after it (an IF expression
        opens a level, inside which newlines continue it)."""
        if kind == "IF":
            statement = previous == "_NL" and not depth and self._then_ends_line(text, end)
            ifs.append((statement, depth))
            return ("SIF", depth) if statement else ("IF", depth + 1)
        if not ifs:
            return kind, depth  # out of place: the parser says so
        statement, outside = ifs[-1]
        if kind == "ENDIF":
            ifs.pop()
            return ("SENDIF", depth) if statement else ("ENDIF", outside)
        return ("S" + kind, depth) if statement else (kind, depth)

    def _then_ends_line(self, text: str, position: int) -> bool:
        """Whether the THEN matching an IF that ends at ``position`` is last on its line."""
        match, nested, depth = self.pattern.match, 0, 0
        while found := match(text, position):
            kind = found.lastgroup
            position = found.end()
            if kind in _OPENS:
                depth += 1
            elif kind in _CLOSES:
                depth -= 1
            elif kind == "IF":
                nested += 1
            elif kind == "ENDIF":
                nested -= 1
            elif kind == "THEN" and nested <= 0 and depth <= 0:
                after = self.skip.match(text, position).end()  # type: ignore[union-attr]
                return after < len(text) and text[after] in "\r\n;"
        return False

    def run(self, text: str) -> Any:
        """Parse ``text``: the value of the start rule (what :meth:`_ToSyntax.start` gives).

        An operator out of place (:class:`_Misplaced`) is reported once the whole text is
        known to parse, so that a syntax error later in the text comes first, as with lark's
        own loop, which builds the whole tree before transforming it.
        """
        actions, end = self.actions, self.end
        state = self.start
        states: list[int] = [state]
        values: list[Any] = []
        misplaced: _Misplaced | None = None
        limit = current_deadline()
        for counted, token in enumerate(self.tokens(text), 1):
            if not counted % _CHECK_EVERY and limit is not None:  # a huge text
                limit.check(f"parsing the expression {quoted(text)}")
            kind = token.type
            while True:
                action = actions[state].get(kind)
                if type(action) is int:  # shift
                    state = action
                    states.append(state)
                    values.append(token)
                    break
                if action is None:
                    raise _unexpected_token(text, token, actions[state])
                size, rule, callback = action
                if callback is None:  # a rule that passes its one symbol on as it is
                    del states[-1]
                else:
                    children = values[-size:] if size else []
                    if size:
                        del states[-size:]
                        del values[-size:]
                    try:
                        values.append(callback(children))
                    except _Misplaced as exc:
                        misplaced = misplaced or exc
                        values.append(Number(*_at(exc.token), 0.0))  # parsing goes on
                state = actions[states[-1]][rule]  # where the rule's value goes
                if state == end:
                    if misplaced is not None:
                        raise misplaced
                    return values[-1]
                states.append(state)
        raise AssertionError("unreachable: the end of the text reduces to the start rule")


def _exprs(children: list[Any]) -> tuple[Node, ...]:
    return tuple([c for c in children if isinstance(c, Node)])


class _ToSyntax(Transformer[_Token, Any]):
    """Builds syntax nodes bottom-up while the LALR parser reduces."""

    def number(self, children: list[_Token]) -> Number:
        token = children[0]
        unit = children[1].value[1:-1].strip() if len(children) > 1 else None
        return Number(token.line, token.column, float(token.value), unit)

    def string(self, children: list[_Token]) -> String:
        token = children[0]
        raw = token.value
        quote = raw[0]
        return String(token.line, token.column, raw[1:-1].replace(quote * 2, quote))

    def name(self, children: list[_Token]) -> Name | Number:
        token = children[0]
        if token.value.upper() == "NAN":  # Mesh's literal for a missing value
            return Number(token.line, token.column, float("nan"))
        return Name(token.line, token.column, token.value)

    def call(self, children: list[Any]) -> Call:
        token = children[0]
        return Call(token.line, token.column, token.value[1:], _exprs(children))

    def array(self, children: list[Any]) -> Array:
        token = children[0]
        return Array(token.line, token.column, _exprs(children))

    def prefix(self, children: list[Any]) -> _Prefixed:
        op, term = children
        if isinstance(term, _Prefixed):
            term.ops.append(op)  # made by the reduction just before, and only used here
            return term
        return _Prefixed([op], term)

    def operations(self, children: list[Any]) -> list[Any]:
        """The operators and operands after an expression's first operand, as one list that
        grows as the parser reduces (the rule is left-recursive)."""
        if len(children) == 2:  # the first operator and its operand
            return children
        chain: list[Any] = children[0]
        chain += children[1:]
        return chain

    def chain(self, children: list[Any]) -> Node:
        first = children[0]
        if len(children) == 1:
            return first if isinstance(first, Node) else _Operators([first]).expression()
        return _Operators([first, *children[1]]).expression()

    def if_expr(self, children: list[Any]) -> If:
        parts = _exprs(children)
        branches = [t for t in children if isinstance(t, _Token) and t.type in {"IF", "ELSEIF"}]
        result = parts[-1]
        for k in range(len(branches) - 1, -1, -1):
            result = If(*_at(branches[k]), parts[2 * k], parts[2 * k + 1], result)
        return cast(If, result)

    def ternary(self, children: list[Any]) -> If:
        condition, mark, then, _, otherwise = children
        return If(*_at(mark), condition, then, otherwise)

    def result(self, children: list[Any]) -> Statement:
        return Statement("result", children[0], children[1])

    def assign(self, children: list[Any]) -> Statement:
        return Statement("assign", children[0], children[2])

    def bare(self, children: list[Any]) -> Statement:
        node = children[0]
        return Statement("bare", _Token("", "", node.line, node.column), node)

    def body(self, children: list[Any]) -> list[Statement]:
        return [c for c in children if isinstance(c, Statement)]

    def if_statement(self, children: list[Any]) -> Statement:
        branches: list[Branch] = []
        keyword: _Token | None = None
        condition: Node | None = None
        for child in children:
            if isinstance(child, _Token) and child.type in {"SIF", "SELSEIF", "SELSE"}:
                keyword, condition = child, None
            elif isinstance(child, Node):
                condition = child
            elif isinstance(child, list):
                assert keyword is not None
                branches.append(Branch(keyword, condition, child))
        return Statement("if", children[0], branches)

    def start(self, children: list[Any]) -> list[Statement]:
        return [c for c in children if isinstance(c, Statement)]


@cache
def _parser() -> _Machine:
    grammar = resources.files("workbench.calc").joinpath("grammar.lark").read_text("utf-8")
    return _Machine(
        Lark(
            grammar,
            parser="lalr",
            lexer="basic",  # lark's lexer is never run: _Machine lexes
            transformer=_ToSyntax(),
            maybe_placeholders=True,
            # Building the tables takes about 25 ms, once a process; lark's cache would keep
            # them as a pickle in the shared temporary folder, to be loaded from there.
            cache=False,
        )
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
        statements = cast(list[Statement], _parser().run(text))
    except _Misplaced as exc:
        raise ExpressionError(
            f"unexpected {exc.token.value!r}: {exc.why}", text, *_at(exc.token)
        ) from None
    return build_script(text, statements)


def _unexpected_character(text: str, position: int, line: int, column: int) -> ExpressionError:
    return ExpressionError(
        f"unexpected character {text[position]!r}; an expression is made of "
        "numbers, strings in quotes, names, @functions, ( ), { }, operators + - * / ^, "
        "comparisons and AND, OR, NOT, c ? a : b, IF ... THEN ... ELSE ... ENDIF",
        text,
        line,
        column,
    )


def _unexpected_token(text: str, token: _Token, actions: Mapping[str, object]) -> ExpressionError:
    """The error for a token the grammar does not allow where it is: what was found there and
    which terminals could have been (those the parser state has an action for)."""
    expected = {symbol for symbol in actions if symbol.isupper()}
    if token.type == "$END":
        found = "unexpected end of the text"
        line, column = _end_position(text)
    else:
        found = (
            "unexpected end of the line" if token.type == "_NL" else f"unexpected {token.value!r}"
        )
        line, column = _at(token)
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
            pattern = parser.lark.get_terminal(terminal).pattern
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
