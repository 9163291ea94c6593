"""Queries behind the search language: whole subtrees in one query, ancestors, attribute values.

A walk down every level (``{*}``, ``{+}``) from a model's root reads the model's objects through
the indexed ``model_id`` column; from any other object, through a recursive query on
``parent_id``. Either way only rows the caller may read come back, narrowed by the SQL form of the
walk's criteria (:func:`criteria_clause`), and the walk's order (depth first, children
by id) and reach (no object below one the caller may not read) are settled from the parents of
what was found. Callers own the transaction.

A regular expression (``#``) never runs in the database: PostgreSQL's ``~`` has a syntax of its
own and backreferences (only its statement timeout would bound a hostile pattern), and SQLite
has none. Only the pattern's literal start narrows the rows (a ``LIKE``); RE2 tests what comes
back, in linear time and alike for both stores (:mod:`workbench.search.patterns`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    LargeBinary,
    Row,
    String,
    and_,
    any_,
    bindparam,
    cast,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import BooleanClauseList

from workbench.metamodel import ValueType
from workbench.model import AttributeInfo, ObjectDefinitionInfo
from workbench.search import Comparison, Condition, Criteria, Exists, Logical
from workbench.search.evaluate import text_predicate
from workbench.search.syntax import _ORDERING
from workbench.store.objects import _COLUMNS, AD, OBJ, Visible, _chunks, visible_clause
from workbench.store.schema import ObjectDefinitionRow

__all__ = [
    "ancestor_rows",
    "attribute_json",
    "criteria_clause",
    "definition_names",
    "descendant_rows",
    "owner_names",
    "plain_rows",
]


def _among(session: Session, column: Any, ids: Iterable[int]) -> Iterator[ColumnElement[bool]]:
    """Conditions that together select ``ids``: one array parameter on PostgreSQL (a list of
    100,000 parameters costs the driver more than the query), else IN lists of 30,000."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return
    if session.get_bind().dialect.name == "postgresql":
        yield column == any_(bindparam("ids", wanted, type_=ARRAY(Integer), unique=True))
        return
    for part in _chunks(wanted):
        yield column.in_(part)


def definition_names(session: Session) -> dict[int, str]:
    """The name of every object definition, by id (what ``.Type`` compares)."""
    rows = session.execute(select(ObjectDefinitionRow.id, ObjectDefinitionRow.name))
    return {r[0]: r[1] for r in rows}


def plain_rows(session: Session, ids: Iterable[int], visible: Visible) -> dict[int, Row[Any]]:
    """The object rows (without values) of ``ids`` the caller may read, by id."""
    found: dict[int, Row[Any]] = {}
    for among in _among(session, OBJ.c.id, ids):
        q = select(*_COLUMNS).where(among, visible_clause(OBJ, visible))
        found.update({r.id: r for r in session.execute(q)})
    return found


def ancestor_rows(session: Session, ids: Iterable[int], visible: Visible) -> dict[int, Row[Any]]:
    """The rows of ``ids`` and of all their ancestors, by id, in one query (on SQLite, one per
    30,000 ids).

    The climb follows ``parent_id`` whatever the account; only rows the caller may read are
    returned, so a chain breaks at an object the caller may not read.
    """
    found: dict[int, Row[Any]] = {}
    for among in _among(session, OBJ.c.id, ids):
        up = select(OBJ.c.id, OBJ.c.parent_id).where(among).cte("up", recursive=True)
        up = up.union(select(OBJ.c.id, OBJ.c.parent_id).where(OBJ.c.id == up.c.parent_id))
        q = select(*_COLUMNS).where(OBJ.c.id.in_(select(up.c.id)), visible_clause(OBJ, visible))
        found.update({r.id: r for r in session.execute(q)})
    return found


def owner_names(session: Session, attribute_ids: Iterable[int]) -> dict[int, str]:
    """The names of ownership attributes by id (for full names)."""
    wanted = sorted({i for i in attribute_ids if i is not None})
    if not wanted:
        return {}
    rows = session.execute(select(AD.c.id, AD.c.name).where(AD.c.id.in_(wanted)))
    return {r[0]: r[1] for r in rows}


def descendant_rows(
    session: Session,
    starts: Sequence[int],
    include_self: bool,
    visible: Visible,
    where: ColumnElement[bool] | None = None,
) -> dict[int, list[Row[Any]]]:
    """For each start, the rows below it (and its own with ``include_self``) in walking order.

    Only rows the caller may read, reached through rows the caller may read, and meeting
    ``where`` (a condition on the objects table) are returned. Unknown starts get no rows.
    """
    heads = plain_rows(session, starts, visible)
    roots = [i for i in starts if i in heads and heads[i].parent_id is None]
    inner = [i for i in starts if i in heads and heads[i].parent_id is not None]
    condition = visible_clause(OBJ, visible)
    if where is not None:
        condition = condition & where
    found: list[Row[Any]] = []  # the object's columns, then the start it was found from
    for among in _among(session, OBJ.c.model_id, roots):
        q = select(*_COLUMNS, OBJ.c.model_id.label("top"))
        found.extend(session.execute(q.where(among, condition)))
    for among in _among(session, OBJ.c.id, inner):
        found.extend(_below(session, among, condition))
    if not include_self:
        found = [row for row in found if row.id != row.top]
    return _in_walking_order(session, starts, found, visible)


def _below(
    session: Session, starts: ColumnElement[bool], condition: ColumnElement[bool]
) -> list[Row[Any]]:
    """Every row below (and at) each start meeting ``condition``, with its ``top``: one query.

    The recursion follows ``parent_id`` alone, so the database can use its index on it; which
    rows the caller may read is checked on the rows found (and their reach afterwards).
    """
    sub = (
        select(OBJ.c.id.label("top"), OBJ.c.id.label("id")).where(starts).cte("sub", recursive=True)
    )
    sub = sub.union_all(select(sub.c.top, OBJ.c.id).where(OBJ.c.parent_id == sub.c.id))
    q = select(*_COLUMNS, sub.c.top).select_from(sub.join(OBJ, OBJ.c.id == sub.c.id))
    return list(session.execute(q.where(condition)))


def _in_walking_order(
    session: Session, starts: Sequence[int], found: list[Row[Any]], visible: Visible
) -> dict[int, list[Row[Any]]]:
    """Each start's rows, depth first with children by id, leaving out the unreachable ones.

    A row is reachable if every object between it and the start may be read; the parents the
    query did not return are read in one more query (all levels at once). The walk goes over
    the rows found and their ancestors only, so it costs what was found, not the subtree.
    """
    parent: dict[int, Any] = {}
    rows: dict[tuple[int, int], Row[Any]] = {}
    for row in found:
        parent[row.id] = row.parent_id
        rows[row.top, row.id] = row
    missing = {p for p in parent.values() if p is not None and p not in parent}
    if missing:
        parent.update((i, r.parent_id) for i, r in ancestor_rows(session, missing, visible).items())
    children: dict[int, list[int]] = {}
    for node in sorted(parent):
        children.setdefault(parent[node], []).append(node)
    out: dict[int, list[Row[Any]]] = {}
    for top in starts:
        order: list[Row[Any]] = []
        stack = [top]
        while stack:
            node = stack.pop()
            if (hit := rows.get((top, node))) is not None:
                order.append(hit)
            below = children.get(node)
            if below:
                stack.extend(reversed(below))
        out[top] = order
    return out


def attribute_json(
    session: Session, ids: Sequence[int], keys: Mapping[int, int], visible: Visible
) -> list[tuple[int, int, Any, bool]]:
    """(id, definition id, stored value, whether stored) of one attribute of many objects.

    ``keys`` maps object definition ids to the id of their attribute definition of that name;
    objects of other definitions are left out. The value comes as the database extracts a JSON
    entry, without decoding it in Python (for 100,000 objects that matters): strings as text,
    arrays as JSON text, numbers as numbers (SQLite) or their JSON text (PostgreSQL), booleans
    as 1/0 (SQLite) or ``"true"``/``"false"``, null as ``None``. "Stored" is false when the
    object has no entry (so its default applies). One query per attribute definition (and, on
    SQLite, per 30,000 ids).
    """
    by_key: dict[int, list[int]] = {}
    for definition_id, key in keys.items():
        by_key.setdefault(key, []).append(definition_id)
    values = OBJ.c["values"]
    sqlite = session.get_bind().dialect.name == "sqlite"
    out: list[tuple[int, int, Any, bool]] = []
    for key, definitions in by_key.items():
        if sqlite:
            item: Any = func.json_extract(values, f'$."{key}"')
            stored = func.json_type(values, f'$."{key}"').is_not(None)
        else:
            item = values.op("->>", return_type=String)(literal(str(key), String))
            stored = values[str(key)].is_not(None)
        for among in _among(session, OBJ.c.id, ids):
            q = select(OBJ.c.id, OBJ.c.definition_id, item, stored).where(
                among,
                OBJ.c.definition_id.in_(definitions),
                visible_clause(OBJ, visible),
            )
            out.extend((r[0], r[1], r[2], bool(r[3])) for r in session.execute(q))
    return out


# --- criteria as SQL: a narrowing of the rows, never dropping a possible match -----------------


def criteria_clause(
    criteria: Criteria,
    types: Mapping[int, str],
    definitions: Mapping[int, ObjectDefinitionInfo],
    dialect: str,
) -> ColumnElement[bool] | None:
    """A condition on the objects table that every object meeting ``criteria`` meets.

    It may let through objects that do not meet them (the search tests what comes back), but
    never drops one that does, nor one whose test would fail with an error; ``None`` when no
    narrowing is safe. ``types`` names every object definition by id; ``definitions`` gives the
    attributes of the object definitions the search may meet (others are never narrowed by
    attribute). ``.Type`` becomes a list of definition ids, ``.Name`` an equality or a ``LIKE``
    (for ``#``, on the regular expression's literal start), numeric comparisons a comparison
    of the stored JSON value widened by a billionth (the exact test follows in Python).

    >>> from workbench.search import parse_search
    >>> crit = parse_search("{*}[.Type=Area]").traversal.criteria
    >>> str(criteria_clause(crit, {1: "Area", 2: "Plant"}, {}, "sqlite"))
    'objects.definition_id IN (__[POSTCOMPILE_definition_id_1])'
    """
    return _Narrowing(types, definitions, criteria.ignore_case, dialect).clause(criteria.condition)


class _Narrowing:
    def __init__(
        self,
        types: Mapping[int, str],
        definitions: Mapping[int, ObjectDefinitionInfo],
        ignore_case: bool,
        dialect: str,
    ) -> None:
        self.types = types
        self.definitions = definitions
        self.ignore_case = ignore_case
        self.sqlite = dialect == "sqlite"

    def clause(self, condition: Condition) -> ColumnElement[bool] | None:
        if isinstance(condition, Comparison | Exists) and condition.path:
            return None  # read through relations or the parent: tested by the search
        match condition:
            case Logical("&&", parts):
                narrowed: list[ColumnElement[bool]] = []
                size = 0
                for part in map(self.clause, parts):
                    if part is not None and size + (terms := _terms(part)) <= _MOST_TERMS:
                        narrowed.append(part)
                        size += terms
                return and_(*narrowed) if narrowed else None
            case Logical("||", parts):
                either = [self.clause(part) for part in parts]
                sure = [c for c in either if c is not None]
                if len(sure) < len(either) or sum(map(_terms, sure)) > _MOST_TERMS:
                    return None
                return or_(*sure)
            case Exists(name):
                return None if name in ("Name", "Type") else self._by_definition(name, None)
            case Comparison("Type"):
                test = text_predicate(condition, self.ignore_case)
                if test is None:  # refused by the search, with the object it names
                    return None
                return OBJ.c.definition_id.in_([i for i, n in self.types.items() if test(n)])
            case Comparison("Name"):
                return self._name(condition)
            case Comparison(name):
                return self._by_definition(name, condition)
        return None  # `!`: no safe narrowing

    def _name(self, comparison: Comparison) -> ColumnElement[bool] | None:
        op, text, name = comparison.operator, comparison.value.text, OBJ.c.name
        if op in ("=", "!=") and not self.ignore_case:
            return name == text if op == "=" else name != text
        if op == "~":
            pattern = "%" + _like_escape(text) + "%"
        elif op == "#":
            prefix = _regex_prefix(text)
            if not prefix:
                return None
            pattern = _like_escape(prefix) + "%"
        elif op == "=":
            pattern = _like_escape(text)
        else:
            return None
        if not self.ignore_case:  # SQLite's LIKE ignores ASCII case: a wider match, still safe
            return name.like(pattern, escape="\\")
        if not pattern.isascii():
            return None
        # names with other characters may fold to ASCII (the long s, the Kelvin sign): keep them
        folded: ColumnElement[bool] = func.lower(name).like(pattern.lower(), escape="\\")
        return folded | self._non_ascii(name)

    def _non_ascii(self, column: Any) -> ColumnElement[bool]:
        if self.sqlite:
            return func.length(cast(column, LargeBinary)) != func.length(column)
        return func.octet_length(column) != func.char_length(column)

    def _by_definition(
        self, name: str, comparison: Comparison | None
    ) -> ColumnElement[bool] | None:
        """Objects of definitions that have attribute ``name`` (and might meet the comparison)."""
        kept: list[int] = []
        narrowed: list[ColumnElement[bool]] = []
        for definition_id, info in self.definitions.items():
            attribute = info.by_name.get(name)
            if attribute is None or not attribute.value_type.is_simple:
                continue  # no such attribute: it meets no criterion
            number = None if comparison is None else self._number(attribute, comparison)
            if number is None:
                kept.append(definition_id)
            else:
                narrowed.append((OBJ.c.definition_id == definition_id) & number)
        others = OBJ.c.definition_id.not_in(list(self.definitions))
        return or_(others, OBJ.c.definition_id.in_(kept), *narrowed)

    def _number(
        self, attribute: AttributeInfo, comparison: Comparison
    ) -> ColumnElement[bool] | None:
        constant, op = comparison.value, comparison.operator
        if (
            attribute.value_type not in (ValueType.DOUBLE, ValueType.INT64)
            or attribute.spec.array
            or constant.quoted
            or isinstance(constant.value, bool)
            or not isinstance(constant.value, int | float)
            or op not in _WIDENED
        ):
            return None
        wanted = float(constant.value)
        slack = max(abs(wanted), 1.0) * 1e-9  # rounding of either side never drops a match
        stored = OBJ.c["values"][str(attribute.id)].as_float()
        test = _WIDENED[op](stored, wanted, slack)
        default = attribute.spec.empty_value()
        if default is not None and _ORDERING[op](default, constant.value):
            return test | self._absent(attribute.id)  # objects without an entry have the default
        return test

    def _absent(self, key: int) -> ColumnElement[bool]:
        values = OBJ.c["values"]
        if self.sqlite:
            return func.json_type(values, f'$."{key}"').is_(None)
        return values[str(key)].is_(None)


_WIDENED: Mapping[str, Callable[[Any, float, float], ColumnElement[bool]]] = {
    ">": lambda x, v, d: x > v - d,
    ">=": lambda x, v, d: x >= v - d,
    "<": lambda x, v, d: x < v + d,
    "<=": lambda x, v, d: x <= v + d,
    "=": lambda x, v, d: x.between(v - d, v + d),
}
_MOST_TERMS = 200
"""The most comparisons a narrowing holds. SQLite parses ``a OR b OR ...`` into a tree that it
allows 1,000 levels deep: a longer ``&&`` narrows by its first parts, a longer ``||`` not at all
(the search still tests every object that comes back)."""


def _terms(clause: ColumnElement[bool]) -> int:
    """How many comparisons ``clause`` joins with AND and OR."""
    if isinstance(clause, BooleanClauseList):
        return sum(_terms(part) for part in clause.clauses)
    return 1


_LITERAL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_- ,:;=@/'\"")


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _regex_prefix(pattern: str) -> str:
    """The literal text every full match of ``pattern`` starts with (maybe empty).

    >>> _regex_prefix("P050_00.*"), _regex_prefix("Plant[AB]"), _regex_prefix("Lakes?"), _regex_prefix("a|b")
    ('P050_00', 'Plant', 'Lake', '')
    """
    if "|" in pattern:
        return ""
    end = 0
    while end < len(pattern) and pattern[end] in _LITERAL:
        end += 1
    if end < len(pattern) and pattern[end] in "*?+{":
        end -= 1  # the last character may occur zero times
    return pattern[: max(end, 0)]
