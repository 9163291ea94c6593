"""The search language's objects: what is searched (nodes, the navigator protocol) and the
frozen syntax nodes a query parses into."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, Final, Literal, Protocol, TypeAlias, runtime_checkable

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
    "LinkWalk",
    "Logical",
    "NameStep",
    "Navigator",
    "Node",
    "Not",
    "ObjectId",
    "Operator",
    "ParentStep",
    "Query",
    "RelationNavigator",
    "Repeat",
    "SearchResult",
    "SelfStep",
    "SubtreeNavigator",
    "Traversal",
    "Walk",
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


@runtime_checkable
class SubtreeNavigator(Navigator, Protocol):
    """A navigator that can also list whole subtrees at once: the fast path of ``{*}`` and ``{+}``.

    The evaluator uses :meth:`descendants` for walks down every level when the navigator has it,
    and the level-by-level walk otherwise; both give the same results.
    """

    def descendants(
        self, ids: Sequence[ObjectId], include_self: bool, where: Criteria | None = None
    ) -> Mapping[ObjectId, Sequence[Node]]:
        """Return, for each id, every object below it (and itself with ``include_self``).

        Objects come in document order (depth first, children in their stored order), each
        once, and only those the level-by-level walk would reach. With ``where``, objects that
        cannot meet those criteria may be left out; every object that might meet them, or whose
        test could fail with an error, must stay (the evaluator tests what it gets).
        """
        ...


@runtime_checkable
class RelationNavigator(Navigator, Protocol):
    """A navigator that also follows relations by name and links: relation steps (``To_Areas``),
    link walks (``~``, ``~~``) and paths inside criteria (``[.To_PriceArea.Name=NO1]``)."""

    def related(self, ids: Sequence[ObjectId], name: str) -> Mapping[ObjectId, Sequence[Node]]:
        """Follow the relation attribute ``name`` of each object: the objects it owns through
        it (an ownership relation) or its targets (a link; a versioned link's targets in effect
        now), in stored order. Objects whose definition has no relation ``name`` are left out of
        the answer; an object with the relation but nothing related maps to ``()``."""
        ...

    def linked(self, ids: Sequence[ObjectId], reverse: bool) -> Mapping[ObjectId, Sequence[Node]]:
        """Every object each object links to (through any link attribute), or with ``reverse``,
        every object that links to it; in stored order, each once."""
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


def _path(path: tuple[str, ...]) -> str:
    return "".join(".." if step == ".." else f".{step}" for step in path)


@dataclass(frozen=True, slots=True)
class Comparison:
    """``.Attr <operator> value``; ``line``/``column`` locate it in the search text.

    ``path`` holds the steps taken from the object before the attribute is read: relation
    names (``.To_PriceArea.Name=NO1``) and ``..`` for the parent (``...Age``); the object
    matches if any object the path reaches does.
    """

    attribute: str
    operator: Operator
    value: Constant
    line: int = field(default=1, compare=False)
    column: int = field(default=1, compare=False)
    path: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{_path(self.path)}.{self.attribute}{self.operator}{self.value}"


@dataclass(frozen=True, slots=True)
class Exists:
    """``.Attr``: the object has this attribute (through ``path``, as for a comparison)."""

    attribute: str
    path: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{_path(self.path)}.{self.attribute}"


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
class NameStep:
    """``Name`` or ``Name[criteria]``: a relation step or a name step, settled per object.

    From an object whose definition has a relation attribute ``Name`` (ownership or link), the
    objects related through it; right after a relation step in a path (``To_Areas/North``),
    the related object of that name; otherwise the children called ``Name``. The criteria
    filter what the step reached.
    """

    name: str
    criteria: Criteria | None = None

    def __str__(self) -> str:
        return self.name + str(self.criteria or "")


@dataclass(frozen=True, slots=True)
class LinkWalk:
    """``~`` (the objects linked to) or ``~~`` (the objects linking here), with criteria."""

    reverse: bool = False
    criteria: Criteria | None = None

    def __str__(self) -> str:
        return ("~~" if self.reverse else "~") + str(self.criteria or "")


@dataclass(frozen=True, slots=True)
class Repeat:
    """``S+``/``S*`` (the most nested results of repeating ``S`` one or more / zero or more
    times) or ``S{+}``/``S{*}`` (all of them). ``include_start`` marks the zero-or-more forms:
    the start counts as a result of no repetition."""

    traversal: Traversal
    every_level: bool = False
    include_start: bool = False

    def __str__(self) -> str:
        symbol = "*" if self.include_start else "+"
        return f"({self.traversal})" + ("{" + symbol + "}" if self.every_level else symbol)


@dataclass(frozen=True, slots=True)
class Combine:
    """``S1/S2`` (composition), ``S1&S2`` (intersection) or ``S1|S2`` (union)."""

    operator: Literal["/", "&", "|"]
    traversals: tuple[Traversal, ...]

    def __str__(self) -> str:
        return "(" + self.operator.join(map(str, self.traversals)) + ")"


Traversal: TypeAlias = (
    SelfStep | ChildStep | ParentStep | Walk | Repeat | Combine | NameStep | LinkWalk
)


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
