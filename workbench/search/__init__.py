"""The search language: find objects (or their attributes) relative to a start object.

A search such as ``{*}[.Type=PowerPlant && .Capacity>5]`` is parsed once (cached) into frozen
syntax nodes and evaluated over a :class:`Navigator`, which the API layer implements over the
store. The evaluator asks the navigator in batches: one call per tree level for a whole frontier
of objects (plus one per attribute a criterion reads), never one call per object. A navigator
that also offers :meth:`SubtreeNavigator.descendants` answers a walk down every level (``{*}``,
``{+}``) in one call; one that is a :class:`RelationNavigator` follows relations by name and
links (relation steps, ``~``, ``~~`` and paths inside criteria), one call per step. The
language itself is described in the README (section "Searching a model").
"""

from __future__ import annotations

from workbench.search.evaluate import run_search
from workbench.search.parser import parse_search
from workbench.search.syntax import (
    MISSING,
    AttributeMatch,
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
    "parse_search",
    "run_search",
]
