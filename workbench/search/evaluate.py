"""Evaluating a parsed search over a :class:`~workbench.search.syntax.Navigator`, in batches."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import NoReturn, TypeAlias

import numpy as np

from workbench.errors import NotFound, SearchError
from workbench.limits import Deadline, deadline
from workbench.search.parser import parse_search
from workbench.search.patterns import compile_pattern, shown
from workbench.search.syntax import (
    _NODE_FIELDS,
    _ORDERING,
    MISSING,
    AttributeMatch,
    ChildStep,
    Combine,
    Comparison,
    Condition,
    Criteria,
    Exists,
    LinkWalk,
    Logical,
    NameStep,
    Navigator,
    Node,
    Not,
    ObjectId,
    Operator,
    ParentStep,
    Query,
    RelationNavigator,
    Repeat,
    SearchResult,
    SelfStep,
    SubtreeNavigator,
    Traversal,
    Walk,
)

__all__ = ["run_search", "text_predicate"]

# --- evaluation ----------------------------------------------------------------------------------

_Results: TypeAlias = dict[ObjectId, list[Node]]
"""For each input object (by id), the objects a traversal reached from it, in order."""


def _unique(nodes: Iterable[Node]) -> list[Node]:
    """The nodes in order of first appearance, each id once."""
    first: dict[ObjectId, Node] = {}
    for node in nodes:
        first.setdefault(node.id, node)
    return list(first.values())


def run_search(
    query: Query | str,
    navigator: Navigator,
    start_id: ObjectId,
    *,
    seconds: float | None = None,
) -> SearchResult:
    """Run a search from the object ``start_id`` and return what it found.

    Results are in document order for a single walk (depth-first preorder, children in the
    navigator's order) and in order of first appearance for combined traversals; each object
    (or attribute) appears once. Raises :class:`~workbench.errors.NotFound` for an unknown
    start and :class:`~workbench.errors.SearchError` (an ``ExpressionError``) for a
    comparison the values do not allow (an operator that does not fit the attribute's type).

    The search stops with :class:`~workbench.errors.QueryTimeout` once it runs past
    ``seconds`` (default: the enclosing call's limit, else ``WORKBENCH_QUERY_SECONDS`` or
    30 s), checked between batches: per tree level, step and criterion.
    """
    parsed = parse_search(query) if isinstance(query, str) else query
    with deadline(seconds) as limit:
        start = navigator.nodes([start_id]).get(start_id)
        if start is None:
            raise NotFound("object", start_id, "the search starts from an existing object's id")
        evaluator = _Evaluator(navigator, parsed.text or str(parsed), limit)
        objects = tuple(evaluator.traverse(parsed.traversal, [start])[start.id])
        if parsed.attribute is None:
            return SearchResult(objects)
        limit.check(evaluator.what)
        values = navigator.attribute_values([node.id for node in objects], parsed.attribute)
    found = (AttributeMatch(n, parsed.attribute, values.get(n.id, MISSING)) for n in objects)
    matches = tuple(match for match in found if match.value is not MISSING)
    return SearchResult(objects, parsed.attribute, matches)


class _Evaluator:
    """Evaluates syntax nodes over a navigator, a frontier of objects at a time."""

    def __init__(self, navigator: Navigator, text: str, limit: Deadline) -> None:
        self.navigator = navigator
        self.text = text
        self.limit = limit
        self.what = f"the search {shown(text)}"

    def traverse(self, traversal: Traversal, inputs: list[Node]) -> _Results:
        self.limit.check(self.what)
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
            case NameStep():
                return self.name_step(traversal, inputs, set())[0]
            case LinkWalk(reverse, criteria):
                ids = [node.id for node in _unique(inputs)]
                linked = self.relations("a link walk ~ or ~~").linked(ids, reverse) if ids else {}
                return self.filtered(criteria, {n.id: list(linked.get(n.id, ())) for n in inputs})
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
        """Each part starts from all results of the part before, in one batch. A name step
        right after a relation step picks the related object of that name."""
        via: set[ObjectId] = set()  # reached by the part before through a relation
        results: _Results = {n.id: [n] for n in inputs}
        for part in parts:
            frontier = _unique(n for ns in results.values() for n in ns)
            if isinstance(part, NameStep):
                step, via = self.name_step(part, frontier, via)
            else:
                step, via = self.traverse(part, frontier), set()
            results = {k: _unique(o for m in ms for o in step[m.id]) for k, ms in results.items()}
        return results

    def relations(self, what: str) -> RelationNavigator:
        """The navigator, if it follows relations and links; else a clear refusal."""
        if not isinstance(self.navigator, RelationNavigator):
            raise SearchError(f"{what} needs a store that follows relations", self.text, 1, 1)
        return self.navigator

    def related(self, ids: list[ObjectId], name: str) -> Mapping[ObjectId, Sequence[Node]]:
        """The relation ``name`` of each object that has one (one batch)."""
        if not ids or not isinstance(self.navigator, RelationNavigator):
            return {}
        return self.navigator.related(ids, name)

    def name_step(
        self, step: NameStep, inputs: list[Node], after_relation: set[ObjectId]
    ) -> tuple[_Results, set[ObjectId]]:
        """A relation or name step (see :class:`NameStep`), and what it reached by a relation."""
        unique = _unique(inputs)
        related = self.related([n.id for n in unique], step.name)
        plain = [n.id for n in unique if n.id not in related and n.id not in after_relation]
        kids = self.navigator.children(plain) if plain else {}
        out: _Results = {}
        for node in inputs:
            if node.id in related:
                out[node.id] = list(related[node.id])
            elif node.id in after_relation:
                out[node.id] = [node] if node.name == step.name else []
            else:
                out[node.id] = [k for k in kids.get(node.id, ()) if k.name == step.name]
        reached = {o.id for i, os in related.items() for o in os}
        return self.filtered(step.criteria, out), reached

    def filtered(self, criteria: Criteria | None, results: _Results) -> _Results:
        """The results that meet the criteria (all of them without)."""
        if criteria is None:
            return results
        keep = self.matching(criteria, _unique(o for os in results.values() for o in os))
        return {k: [o for o in os if o.id in keep] for k, os in results.items()}

    def walk(self, walk: Walk, inputs: list[Node]) -> _Results:
        """Fetch the walked part of the tree level by level, then collect each input's results."""
        if walk.every_level and not walk.upward and isinstance(self.navigator, SubtreeNavigator):
            return self.subtrees(self.navigator, walk, inputs)
        links: dict[ObjectId, Sequence[Node]] = {}  # children (down) or parent (up), if expanded
        matched: set[ObjectId] = set()
        tested = set() if walk.strict else {node.id for node in inputs}
        if walk.criteria is not None and not walk.strict:
            matched = self.matching(walk.criteria, inputs)
        stops = walk.criteria is not None and not walk.every_level  # the walk stops at a match
        level = [n for n in _unique(inputs) if walk.strict or not (stops and n.id in matched)]
        while level:
            self.limit.check(self.what)
            found = self._links(walk, [node.id for node in level])
            fresh: list[Node] = []
            for node in level:
                links[node.id] = found.get(node.id, ())
                fresh.extend(n for n in links[node.id] if n.id not in links)
            fresh = [n for n in _unique(fresh) if n.id not in tested]
            tested.update(n.id for n in fresh)
            if walk.criteria is not None:
                matched |= self.matching(walk.criteria, fresh)
            level = [n for n in fresh if n.id not in links and not (stops and n.id in matched)]
        if walk.criteria is not None:  # inputs of a strict walk reached from another input
            reached = {n.id for ns in links.values() for n in ns}
            late = [n for n in _unique(inputs) if n.id in reached and n.id not in tested]
            matched |= self.matching(walk.criteria, late)
        return {node.id: _collect(walk, node, links, matched) for node in inputs}

    def _links(self, walk: Walk, ids: list[ObjectId]) -> Mapping[ObjectId, Sequence[Node]]:
        """The next level of a walk: each object's children, or its parent (up)."""
        if not walk.upward:
            return self.navigator.children(ids)
        parents = self.navigator.parents(ids)
        return {i: (p,) if (p := parents.get(i)) else () for i in ids}

    def subtrees(self, navigator: SubtreeNavigator, walk: Walk, inputs: list[Node]) -> _Results:
        """A walk down every level in one call: each input's subtree, then the criteria on it."""
        ids = [node.id for node in _unique(inputs)]
        found = navigator.descendants(ids, not walk.strict, walk.criteria)
        if walk.criteria is None:
            return {node.id: list(found.get(node.id, ())) for node in inputs}
        matched = self.matching(walk.criteria, _unique(n for i in ids for n in found.get(i, ())))
        return {n.id: [m for m in found.get(n.id, ()) if m.id in matched] for n in inputs}

    def repeat(self, repeat: Repeat, inputs: list[Node]) -> _Results:
        """Apply the traversal to its own results until nothing new turns up; the zero-or-more
        forms count the start as a result (``S{*}``: always, ``S*``: if ``S`` finds nothing)."""
        results = self._repeat(repeat, inputs)
        if repeat.include_start:
            for start in inputs:
                found = [o for o in results[start.id] if o.id != start.id]
                results[start.id] = [start, *found] if repeat.every_level or not found else found
        return results

    def _repeat(self, repeat: Repeat, inputs: list[Node]) -> _Results:
        outputs: _Results = {}
        frontier = _unique(inputs)
        while frontier:
            self.limit.check(self.what)
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
        self.limit.check(self.what)
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
            case Comparison(path=path) | Exists(path=path) if path:
                reach, targets = self._through(path, nodes)
                hits = self._select(replace(condition, path=()), targets, ignore_case) \
                    if targets else set()  # fmt: skip
                return {k for k, os in reach.items() if any(o.id in hits for o in os)}
            case Exists(name):
                values = self._values(nodes, name)
                return {node.id for node in nodes if values[node.id] is not MISSING}
            case Comparison(attribute) if attribute in _NODE_FIELDS:
                # names and types are always text: one predicate, no per-value type checks
                field = _NODE_FIELDS[attribute]
                match = _Test(condition, ignore_case, self.text).text_matcher(nodes[0])
                return {node.id for node in nodes if match(getattr(node, field))}
            case Comparison():
                values = self._values(nodes, condition.attribute)
                test = _Test(condition, ignore_case, self.text)
                return {node.id for node in nodes if test(values[node.id], node)}
        raise TypeError(f"not a condition: {condition!r}")  # pragma: no cover

    def _through(
        self, path: tuple[str, ...], nodes: list[Node]
    ) -> tuple[dict[ObjectId, list[Node]], list[Node]]:
        """What a criterion's path reaches from each node (one batch per step), and all of it."""
        reach = {node.id: [node] for node in nodes}
        for step in path:
            self.limit.check(self.what)
            ids = [n.id for n in _unique(o for os in reach.values() for o in os)]
            if step == "..":
                parents = self.navigator.parents(ids) if ids else {}
                after = {i: [p] if (p := parents.get(i)) else [] for i in ids}
            else:
                found = self.related(ids, step)
                after = {i: list(found.get(i, ())) for i in ids}
            reach = {k: _unique(o for m in os for o in after[m.id]) for k, os in reach.items()}
        return reach, _unique(o for os in reach.values() for o in os)

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
        raise SearchError(message, self.text, self.comparison.line, self.comparison.column)

    def _text(self, value: str, op: Operator, node: Node) -> bool:
        return self.text_matcher(node, op)(value)

    def text_matcher(self, node: Node, op: Operator | None = None) -> Callable[[str], bool]:
        """The test of one text value; refuses (naming ``node``) an operator text does not take."""
        matcher = text_predicate(self.comparison, self.ignore_case, op)
        if matcher is None:
            self._refuse(f"text attribute .{self.comparison.attribute}", "= != ~ #", node)
        return matcher

    def _refuse(self, what: str, accepted: str, node: Node) -> NoReturn:
        op = self.comparison.operator
        message = (
            f"operator {op!r} does not apply to the {what} (object {node.name!r}); use {accepted}"
        )
        raise SearchError(message, self.text, self.comparison.line, self.comparison.column)

    def _mismatch(self, what: str, accepted: str, node: Node) -> NoReturn:
        constant = self.comparison.value
        written = f"text {str(constant)!r}" if constant.quoted else repr(constant.text)
        message = (
            f"cannot compare the {what} (object {node.name!r}) with {written}; write {accepted}"
        )
        raise SearchError(message, self.text, self.comparison.line, self.comparison.column)


def text_predicate(
    comparison: Comparison, ignore_case: bool = False, op: Operator | None = None
) -> Callable[[str], bool] | None:
    """The comparison as a test of one text value, or ``None`` if its operator does not fit text.

    ``op`` overrides the comparison's operator (an array's elements are compared with ``=``).
    A regular expression (``#``) runs in RE2 (:mod:`workbench.search.patterns`): in linear
    time, whatever the pattern and the text.

    >>> test = text_predicate(parse_search("[.Name~lake]{i}").traversal.criteria.condition, True)
    >>> test("Lake1"), test("Plant")
    (True, False)
    """
    op = comparison.operator if op is None else op
    wanted = comparison.value.text
    if op == "#":
        pattern = compile_pattern(wanted, ignore_case)
        return lambda value: pattern.fullmatch(value) is not None
    if op not in ("=", "!=", "~"):
        return None
    if ignore_case:
        folded = wanted.casefold()
        if op == "~":
            return lambda value: folded in value.casefold()
        return lambda value: (value.casefold() == folded) == (op == "=")
    if op == "~":
        return lambda value: wanted in value
    return lambda value: (value == wanted) == (op == "=")


def _empty(value: object) -> bool:
    """No value to compare: missing, ``None``, NaN or NaT."""
    if value is MISSING or value is None:
        return True
    return isinstance(value, float | np.floating | np.datetime64) and bool(np.isnan(value))


def _utc(value: datetime | np.datetime64) -> datetime:
    """An aware UTC datetime; naive values (and numpy's datetime64) are taken as UTC."""
    if isinstance(value, np.datetime64):
        value = value.astype("datetime64[us]").item()
        assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
