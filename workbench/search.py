"""The search language: find objects (or their attributes) relative to a start object.

A search such as ``{*}[.Type=PowerPlant && .Capacity>5]`` is parsed once (cached) into frozen
syntax nodes and evaluated over a :class:`Navigator`, which the API layer implements over the
store. The evaluator asks the navigator in batches: one call per tree level for a whole frontier
of objects (plus one per attribute a criterion reads), never one call per object. The language
itself is described in the README (section "Searching a model").
"""

from __future__ import annotations

import numbers
import operator
import re
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from functools import lru_cache
from typing import Any, Final, Literal, NoReturn, Protocol, TypeAlias

import numpy as np
from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError

from workbench.errors import ExpressionError, NotFound

__all__ = [
    "MISSING",
    "AttributeMatch",
    "ChildStep",
    "Combine",
    "Comparison",
    "Condition",
    "Constant",
    "Criteria",
    "Exists",
    "Logical",
    "Navigator",
    "Node",
    "Not",
    "ObjectId",
    "Operator",
    "ParentStep",
    "Query",
    "Repeat",
    "SearchResult",
    "SelfStep",
    "Traversal",
    "Walk",
    "parse_search",
    "run_search",
]

ObjectId: TypeAlias = Hashable
"""The id of an object, whatever hashable value the store uses."""

Operator = Literal["=", "!=", "<", ">", "<=", ">=", "~", "#"]
_ORDERING: Final[Mapping[str, Callable[[Any, Any], bool]]] = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt,
    ">": operator.gt, "<=": operator.le, ">=": operator.ge,
}  # fmt: skip
_NODE_FIELDS: Final = {"Type": "type_name", "Name": "name"}
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_TIME = re.compile(r"UTC(\d{4})(\d{2})(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(\d{1,6})?)?)?)?")


class _Missing(Enum):
    MISSING = "MISSING"

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing.MISSING
"""What :meth:`Navigator.attribute_values` gives for an object without that attribute."""


# --- the objects searched and the navigator that finds them ------------------------------------


@dataclass(frozen=True, slots=True)
class Node:
    """An object as the search sees it: its id, name and object definition name."""

    id: ObjectId
    name: str
    type_name: str


class Navigator(Protocol):
    """What the search needs from a store; every method answers for a whole batch of ids.

    Ids missing from an answer count as "no children", "no parent" and "no such attribute".
    Children are listed in the order the store keeps them; results follow that order.
    """

    def nodes(self, ids: Sequence[ObjectId]) -> Mapping[ObjectId, Node]:
        """Return the objects with these ids (unknown ids are left out)."""
        ...

    def children(self, ids: Sequence[ObjectId]) -> Mapping[ObjectId, Sequence[Node]]:
        """Return the children of each object, in their stored order."""
        ...

    def parents(self, ids: Sequence[ObjectId]) -> Mapping[ObjectId, Node | None]:
        """Return the parent (owner) of each object, ``None`` for a model's root."""
        ...

    def attribute_values(self, ids: Sequence[ObjectId], name: str) -> Mapping[ObjectId, object]:
        """Return each object's value of attribute ``name``, or :data:`MISSING` if it has none.

        Values are plain Python or numpy values: numbers (in the definition's unit), ``bool``,
        ``str``, ``datetime`` (naive means UTC), ``None`` for an empty value, and lists or arrays
        of these for array attributes.
        """
        ...


@dataclass(frozen=True, slots=True)
class AttributeMatch:
    """One attribute found by a search that ends in ``.Attr``: its object, name and value."""

    node: Node
    name: str
    value: object = field(compare=False)


@dataclass(frozen=True, slots=True)
class SearchResult:
    """What a search found, in order, without duplicates.

    ``objects`` are the objects the traversal reached. For a search ending in ``.Attr``,
    ``attribute`` is that name and ``attributes`` holds one match per object that has it.
    """

    objects: tuple[Node, ...]
    attribute: str | None = None
    attributes: tuple[AttributeMatch, ...] = ()


# --- syntax nodes ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Constant:
    """A value written in a criterion: ``text`` as written, ``value`` as interpreted."""

    text: str
    value: int | float | str | datetime
    quoted: bool = False

    def __str__(self) -> str:
        if not self.quoted:
            return self.text
        return '"' + self.text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True, slots=True)
class Comparison:
    """``.Attr <operator> value``; ``line``/``column`` locate it in the search text."""

    attribute: str
    operator: Operator
    value: Constant
    line: int = field(default=1, compare=False)
    column: int = field(default=1, compare=False)

    def __str__(self) -> str:
        return f".{self.attribute}{self.operator}{self.value}"


@dataclass(frozen=True, slots=True)
class Exists:
    """``.Attr``: the object has this attribute."""

    attribute: str

    def __str__(self) -> str:
        return f".{self.attribute}"


@dataclass(frozen=True, slots=True)
class Not:
    """``!condition``."""

    condition: Condition

    def __str__(self) -> str:
        return f"!({self.condition})"


@dataclass(frozen=True, slots=True)
class Logical:
    """``a && b && ...`` (all of them) or ``a || b || ...`` (any of them)."""

    operator: Literal["&&", "||"]
    conditions: tuple[Condition, ...]

    def __str__(self) -> str:
        return "(" + f" {self.operator} ".join(map(str, self.conditions)) + ")"


Condition: TypeAlias = Comparison | Exists | Not | Logical


@dataclass(frozen=True, slots=True)
class Criteria:
    """``[condition]``, with ``{i}`` after it for case-insensitive text comparisons."""

    condition: Condition
    ignore_case: bool = False

    def __str__(self) -> str:
        return f"[{self.condition}]" + ("{i}" if self.ignore_case else "")


@dataclass(frozen=True, slots=True)
class SelfStep:
    """``@`` (the input itself) or ``@[criteria]`` (the input, if it matches)."""

    criteria: Criteria | None = None

    def __str__(self) -> str:
        return "@" + str(self.criteria or "")


@dataclass(frozen=True, slots=True)
class ChildStep:
    """``[criteria]``: the children that match."""

    criteria: Criteria

    def __str__(self) -> str:
        return str(self.criteria)


@dataclass(frozen=True, slots=True)
class ParentStep:
    """``..``: the parent."""

    def __str__(self) -> str:
        return ".."


@dataclass(frozen=True, slots=True)
class Walk:
    """A walk down (``*``, ``+``, ``{*}``, ``{+}``) or up (``..*`` and so on) the tree.

    ``strict`` (``+``) leaves the start object out; ``every_level`` (braces) keeps every
    match instead of stopping at the first one on each branch. Without criteria, a walk
    ends at the leaves (down) or the root (up), and a braced walk keeps every object passed.
    """

    upward: bool = False
    strict: bool = False
    every_level: bool = False
    criteria: Criteria | None = None

    def __str__(self) -> str:
        symbol = "+" if self.strict else "*"
        symbol = "{" + symbol + "}" if self.every_level else symbol
        return (".." if self.upward else "") + symbol + str(self.criteria or "")


@dataclass(frozen=True, slots=True)
class Repeat:
    """``S+`` (the most nested results of repeating ``S``) or ``S{+}`` (all of them)."""

    traversal: Traversal
    every_level: bool = False

    def __str__(self) -> str:
        return f"({self.traversal})" + ("{+}" if self.every_level else "+")


@dataclass(frozen=True, slots=True)
class Combine:
    """``S1/S2`` (composition), ``S1&S2`` (intersection) or ``S1|S2`` (union)."""

    operator: Literal["/", "&", "|"]
    traversals: tuple[Traversal, ...]

    def __str__(self) -> str:
        return "(" + self.operator.join(map(str, self.traversals)) + ")"


Traversal: TypeAlias = SelfStep | ChildStep | ParentStep | Walk | Repeat | Combine


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed search: a traversal and, for an attribute search, the attribute's name.

    >>> str(parse_search("{*}[.Type=PowerPlant&&.Capacity>5].Level"))
    '{*}[(.Type=PowerPlant && .Capacity>5)].Level'
    """

    traversal: Traversal
    attribute: str | None = None
    text: str = field(default="", compare=False)

    def __str__(self) -> str:
        return str(self.traversal) + (f".{self.attribute}" if self.attribute else "")


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


# --- evaluation ----------------------------------------------------------------------------------

_Results: TypeAlias = dict[ObjectId, list[Node]]
"""For each input object (by id), the objects a traversal reached from it, in order."""


def _unique(nodes: Iterable[Node]) -> list[Node]:
    """The nodes in order of first appearance, each id once."""
    first: dict[ObjectId, Node] = {}
    for node in nodes:
        first.setdefault(node.id, node)
    return list(first.values())


def run_search(query: Query | str, navigator: Navigator, start_id: ObjectId) -> SearchResult:
    """Run a search from the object ``start_id`` and return what it found.

    Results are in document order for a single walk (depth-first preorder, children in the
    navigator's order) and in order of first appearance for combined traversals; each object
    (or attribute) appears once. Raises :class:`~workbench.errors.NotFound` for an unknown
    start and :class:`~workbench.errors.ExpressionError` for a comparison the values do not
    allow (an operator that does not fit the attribute's type).
    """
    parsed = parse_search(query) if isinstance(query, str) else query
    start = navigator.nodes([start_id]).get(start_id)
    if start is None:
        raise NotFound("object", start_id, "the search starts from an existing object's id")
    evaluator = _Evaluator(navigator, parsed.text or str(parsed))
    objects = tuple(evaluator.traverse(parsed.traversal, [start])[start.id])
    if parsed.attribute is None:
        return SearchResult(objects)
    values = navigator.attribute_values([node.id for node in objects], parsed.attribute)
    found = (AttributeMatch(n, parsed.attribute, values.get(n.id, MISSING)) for n in objects)
    matches = tuple(match for match in found if match.value is not MISSING)
    return SearchResult(objects, parsed.attribute, matches)


class _Evaluator:
    """Evaluates syntax nodes over a navigator, a frontier of objects at a time."""

    def __init__(self, navigator: Navigator, text: str) -> None:
        self.navigator = navigator
        self.text = text

    def traverse(self, traversal: Traversal, inputs: list[Node]) -> _Results:
        match traversal:
            case SelfStep(criteria):
                keep = (
                    {n.id for n in inputs} if criteria is None else self.matching(criteria, inputs)
                )
                return {node.id: [node] if node.id in keep else [] for node in inputs}
            case ChildStep(criteria):
                kids = self.navigator.children([node.id for node in inputs]) if inputs else {}
                keep = self.matching(criteria, _unique(k for ks in kids.values() for k in ks))
                return {n.id: [k for k in kids.get(n.id, ()) if k.id in keep] for n in inputs}
            case ParentStep():
                parents = self.navigator.parents([node.id for node in inputs]) if inputs else {}
                return {n.id: [p] if (p := parents.get(n.id)) else [] for n in inputs}
            case Walk():
                return self.walk(traversal, inputs)
            case Repeat():
                return self.repeat(traversal, inputs)
            case Combine("/", parts):
                return self.compose(parts, inputs)
            case Combine("|", parts):
                each = [self.traverse(part, inputs) for part in parts]
                return {n.id: _unique(o for r in each for o in r[n.id]) for n in inputs}
            case Combine("&", parts):
                first, *rest = [self.traverse(part, inputs) for part in parts]
                common = {n.id: {o.id for o in first[n.id]} for n in inputs}
                for other in rest:
                    for n in inputs:
                        common[n.id] &= {o.id for o in other[n.id]}
                return {n.id: [o for o in first[n.id] if o.id in common[n.id]] for n in inputs}
        raise TypeError(f"not a traversal: {traversal!r}")  # pragma: no cover

    def compose(self, parts: Sequence[Traversal], inputs: list[Node]) -> _Results:
        """Each part starts from all results of the part before, in one batch."""
        results = self.traverse(parts[0], inputs)
        for part in parts[1:]:
            step = self.traverse(part, _unique(n for ns in results.values() for n in ns))
            results = {k: _unique(o for m in ms for o in step[m.id]) for k, ms in results.items()}
        return results

    def walk(self, walk: Walk, inputs: list[Node]) -> _Results:
        """Fetch the walked part of the tree level by level, then collect each input's results."""
        links: dict[ObjectId, Sequence[Node]] = {}  # children (down) or parent (up), if expanded
        matched: set[ObjectId] = set()
        if walk.criteria is not None and not walk.strict:
            matched = self.matching(walk.criteria, inputs)
        stops = walk.criteria is not None and not walk.every_level  # the walk stops at a match
        level = [n for n in _unique(inputs) if walk.strict or not (stops and n.id in matched)]
        while level:
            ids = [node.id for node in level]
            found: Mapping[ObjectId, Sequence[Node]]
            if walk.upward:
                parents = self.navigator.parents(ids)
                found = {i: (p,) if (p := parents.get(i)) else () for i in ids}
            else:
                found = self.navigator.children(ids)
            fresh: list[Node] = []
            for node_id in ids:
                links[node_id] = found.get(node_id, ())
                fresh.extend(n for n in links[node_id] if n.id not in links)
            fresh = _unique(fresh)
            if walk.criteria is not None:
                matched |= self.matching(walk.criteria, fresh)
            level = [n for n in fresh if n.id not in links and not (stops and n.id in matched)]
        return {node.id: _collect(walk, node, links, matched) for node in inputs}

    def repeat(self, repeat: Repeat, inputs: list[Node]) -> _Results:
        """Apply the traversal to its own results until nothing new turns up."""
        outputs: _Results = {}
        frontier = _unique(inputs)
        while frontier:
            outputs.update(self.traverse(repeat.traversal, frontier))
            frontier = _unique(o for n in frontier for o in outputs[n.id] if o.id not in outputs)
        results: _Results = {}
        for start in inputs:
            found: list[Node] = []
            seen = {start.id}
            stack = list(reversed(outputs[start.id]))
            while stack:
                node = stack.pop()
                if node.id in seen:
                    continue
                seen.add(node.id)
                if repeat.every_level or not outputs[node.id]:
                    found.append(node)
                stack.extend(reversed(outputs[node.id]))
            results[start.id] = found
        return results

    def matching(self, criteria: Criteria, nodes: list[Node]) -> set[ObjectId]:
        """The ids of the nodes that meet the criteria."""
        return self._select(criteria.condition, nodes, criteria.ignore_case) if nodes else set()

    def _select(self, condition: Condition, nodes: list[Node], ignore_case: bool) -> set[ObjectId]:
        # Each branch only asks about the nodes still undecided, so `&&`/`||` short-circuit
        # batch-wise and an attribute is read only for objects where it can matter.
        match condition:
            case Logical("&&", parts):
                for part in parts:
                    keep = self._select(part, nodes, ignore_case) if nodes else set()
                    nodes = [node for node in nodes if node.id in keep]
                return {node.id for node in nodes}
            case Logical("||", parts):
                chosen: set[ObjectId] = set()
                for part in parts:
                    rest = [node for node in nodes if node.id not in chosen]
                    chosen |= self._select(part, rest, ignore_case) if rest else set()
                return chosen
            case Not(inner):
                return {node.id for node in nodes} - self._select(inner, nodes, ignore_case)
            case Exists(name):
                values = self._values(nodes, name)
                return {node.id for node in nodes if values[node.id] is not MISSING}
            case Comparison():
                values = self._values(nodes, condition.attribute)
                test = _Test(condition, ignore_case, self.text)
                return {node.id for node in nodes if test(values[node.id], node)}
        raise TypeError(f"not a condition: {condition!r}")  # pragma: no cover

    def _values(self, nodes: list[Node], name: str) -> dict[ObjectId, object]:
        if name in _NODE_FIELDS:
            return {node.id: getattr(node, _NODE_FIELDS[name]) for node in nodes}
        values = self.navigator.attribute_values([node.id for node in nodes], name)
        return {node.id: values.get(node.id, MISSING) for node in nodes}


def _collect(
    walk: Walk, start: Node, links: Mapping[ObjectId, Sequence[Node]],
    matched: set[ObjectId],
) -> list[Node]:  # fmt: skip
    """One input's results of a walk, in walking order, from the fetched part of the tree."""
    found: list[Node] = []
    seen: set[ObjectId] = set()
    stack = list(reversed(links.get(start.id, ()))) if walk.strict else [start]
    while stack:
        node = stack.pop()
        if node.id in seen:
            continue
        seen.add(node.id)
        below = links.get(node.id)
        if walk.criteria is None:  # no criteria: the ends of the walk, or every level
            keep, go_on = walk.every_level or not below, True
        else:
            keep = node.id in matched
            go_on = walk.every_level or not keep
        if keep:
            found.append(node)
        if go_on and below:
            stack.extend(reversed(below))
    return found


class _Test:
    """Applies one comparison to attribute values, refusing operators that do not fit a type."""

    def __init__(self, comparison: Comparison, ignore_case: bool, text: str) -> None:
        self.comparison = comparison
        self.ignore_case = ignore_case
        self.text = text

    def __call__(self, value: object, node: Node) -> bool:
        if _empty(value):
            return False
        if isinstance(value, list | tuple | np.ndarray):
            if self.comparison.operator != "~":
                self._refuse(f"array attribute .{self.comparison.attribute}", "~", node)
            return any(self._scalar(item, "=", node) for item in value if not _empty(item))
        return self._scalar(value, self.comparison.operator, node)

    def _scalar(self, value: object, op: Operator, node: Node) -> bool:
        if isinstance(value, str):
            return self._text(value, op, node)
        constant, name = self.comparison.value, f".{self.comparison.attribute}"
        if isinstance(value, bool | np.bool_):
            flag = {"true": True, "1": True, "false": False, "0": False}.get(constant.text.lower())
            if flag is None or constant.quoted:
                self._mismatch(f"boolean attribute {name}", "true or false", node)
            if op not in ("=", "!="):
                self._refuse(f"boolean attribute {name}", "= !=", node)
            return bool(value) == flag if op == "=" else bool(value) != flag
        if isinstance(value, numbers.Real):
            if constant.quoted or not isinstance(constant.value, int | float):
                self._mismatch(f"number attribute {name}", "a number such as 5 or 2.5", node)
            if op not in _ORDERING:
                self._refuse(f"number attribute {name}", "= != < > <= >=", node)
            return _ORDERING[op](value, constant.value)
        if isinstance(value, datetime | np.datetime64):
            if not isinstance(constant.value, datetime):
                self._mismatch(f"time attribute {name}", "a time such as UTC20220510072415", node)
            if op not in _ORDERING:
                self._refuse(f"time attribute {name}", "= != < > <= >=", node)
            return _ORDERING[op](_utc(value), constant.value)
        kind = type(value).__name__
        message = (
            f"attribute {name} of object {node.name!r} holds a {kind}; criteria compare "
            "numbers, text, booleans, times and arrays of these"
        )
        raise ExpressionError(message, self.text, self.comparison.line, self.comparison.column)

    def _text(self, value: str, op: Operator, node: Node) -> bool:
        wanted = self.comparison.value.text
        if op == "#":
            flags = re.IGNORECASE if self.ignore_case else 0
            return _regex(wanted, flags).fullmatch(value) is not None
        if self.ignore_case:
            value, wanted = value.casefold(), wanted.casefold()
        if op == "~":
            return wanted in value
        if op not in ("=", "!="):
            self._refuse(f"text attribute .{self.comparison.attribute}", "= != ~ #", node)
        return (value == wanted) == (op == "=")

    def _refuse(self, what: str, accepted: str, node: Node) -> NoReturn:
        op = self.comparison.operator
        message = (
            f"operator {op!r} does not apply to the {what} (object {node.name!r}); use {accepted}"
        )
        raise ExpressionError(message, self.text, self.comparison.line, self.comparison.column)

    def _mismatch(self, what: str, accepted: str, node: Node) -> NoReturn:
        constant = self.comparison.value
        written = f"text {str(constant)!r}" if constant.quoted else repr(constant.text)
        message = (
            f"cannot compare the {what} (object {node.name!r}) with {written}; write {accepted}"
        )
        raise ExpressionError(message, self.text, self.comparison.line, self.comparison.column)


def _empty(value: object) -> bool:
    """No value to compare: missing, ``None``, NaN or NaT."""
    if value is MISSING or value is None:
        return True
    return isinstance(value, float | np.floating | np.datetime64) and bool(np.isnan(value))


@lru_cache(maxsize=256)
def _regex(pattern: str, flags: int) -> re.Pattern[str]:
    return re.compile(pattern, flags)


def _utc(value: datetime | np.datetime64) -> datetime:
    """An aware UTC datetime; naive values (and numpy's datetime64) are taken as UTC."""
    if isinstance(value, np.datetime64):
        value = value.astype("datetime64[us]").item()
        assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
