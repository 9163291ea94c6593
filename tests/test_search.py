"""Tests of the search language: parsing, every step and criterion, ordering, errors, batching."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from search_support import MemoryNavigator, hydro

from workbench.errors import ExpressionError, NotFound, SearchError
from workbench.search import (
    AttributeMatch,
    ChildStep,
    Combine,
    Comparison,
    Constant,
    Criteria,
    Exists,
    Logical,
    Not,
    ParentStep,
    Query,
    Repeat,
    SelfStep,
    Walk,
    parse_search,
    run_search,
)

NAV = hydro()


def names(text: str, start: str = "Sys", nav: MemoryNavigator = NAV) -> list[str]:
    result = run_search(text, nav, nav.id_of(start))
    return [node.name for node in result.objects]


# --- the examples every user needs ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "expected"),
    [
        ("{*}[.Type=Reservoir]", "Sys", ["Lake1", "Lake2"]),
        ("{*}[.Type=PowerPlant && .Capacity>5]", "Sys", ["PlantA", "PlantC"]),
        ("{*}[.Name~Plant]", "Sys", ["PlantA", "PlantB", "SmallPlant", "PlantC"]),
        ("+", "Sys", ["Lake1", "PlantA", "PlantB", "Lake2", "SmallPlant", "PlantC", "NO1"]),
        ("..", "PlantA", ["Glomma"]),
        ("{*}[!(.Type=Area)]", "North", ["Glomma", "Lake1", "PlantA", "PlantB", "Lake2"]),
    ],
)
def test_the_examples_find_what_they_say(text: str, start: str, expected: list[str]) -> None:
    assert names(text, start) == expected


def test_a_trailing_attribute_returns_attributes_of_the_objects_found() -> None:
    result = run_search("*[.Name=PlantA].Capacity", NAV, NAV.id_of("Sys"))
    plant = NAV.nodes_by_id[NAV.id_of("PlantA")]
    assert result.objects == (plant,)
    assert result.attribute == "Capacity"
    assert result.attributes == (AttributeMatch(plant, "Capacity", 120),)
    assert result.attributes[0].value == 120


def test_an_attribute_search_leaves_out_objects_without_the_attribute() -> None:
    result = run_search("{*}[.Type=PowerPlant].Commissioned", NAV, NAV.id_of("Sys"))
    assert [m.node.name for m in result.attributes] == ["PlantA", "PlantB", "PlantC"]
    assert len(result.objects) == 4  # SmallPlant was found, but has no such attribute
    assert [m.node.name for m in run_search(".Level", NAV, NAV.id_of("Lake2")).attributes] == [
        "Lake2"
    ]
    assert [m.value for m in run_search("...Code", NAV, NAV.id_of("Glomma")).attributes] == ["N1"]


# --- steps ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "expected"),
    [
        ("*", "Sys", ["Lake1", "PlantA", "PlantB", "Lake2", "SmallPlant", "PlantC", "NO1"]),
        ("*", "Lake1", ["Lake1"]),  # a leaf start is its own leaf
        ("+", "Lake1", []),  # ... but not for the strict walk
        ("*[.Type=Area]", "Sys", ["North", "South"]),  # stops at the first match on a branch
        ("*[.Type=Area]", "South", ["South"]),  # the start counts
        ("+[.Type=Area]", "South", ["SouthEast"]),  # ... except for the strict walk
        ("{*}[.Type=Area]", "Sys", ["North", "South", "SouthEast"]),
        ("{+}[.Type=Area]", "South", ["SouthEast"]),
        ("{*}", "South", ["South", "SmallPlant", "SouthEast", "PlantC"]),
        ("{+}", "South", ["SmallPlant", "SouthEast", "PlantC"]),
        ("[.Type=Area]", "Sys", ["North", "South"]),  # one level of children
        ("[.Name]", "North", ["Glomma", "Lake2"]),  # every child: every object has a name
        ("@", "North", ["North"]),
        ("@[.Type=Area]", "North", ["North"]),
        ("@[.Type=Reservoir]", "North", []),
        ("..", "Sys", []),
        ("..*[.Type=Area]", "PlantC", ["SouthEast"]),
        ("..*[.Type=Area]", "SouthEast", ["SouthEast"]),
        ("..+[.Type=Area]", "SouthEast", ["South"]),
        ("..{*}[.Type=Area]", "PlantC", ["SouthEast", "South"]),  # nearest first
        ("..{+}[.Type=Area]", "South", []),
        ("..*", "PlantC", ["Sys"]),
        ("..+", "Sys", []),
        ("..{*}", "Lake1", ["Lake1", "Glomma", "North", "Sys"]),
        ("..{+}", "Lake1", ["Glomma", "North", "Sys"]),
    ],
)
def test_steps_and_walks(text: str, start: str, expected: list[str]) -> None:
    assert names(text, start) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("*[.Name=PlantA]/..", ["Glomma"]),
        ("{*}[.Type=PowerPlant]/..", ["Glomma", "South", "SouthEast"]),
        ("[.Type=Area]/[.Type=PowerPlant]", ["SmallPlant"]),
        ("[.Type=Area]/[.Type=Area]/+", ["PlantC"]),
        ("[.Type=Area] | [.Type=PriceArea]", ["North", "South", "NO1"]),
        ("[.Type=PriceArea] | [.Type=Area] | [.Name=NO1]", ["NO1", "North", "South"]),
        ("{*}[.Type=PowerPlant] & {*}[.Capacity>100]", ["PlantA", "PlantC"]),
        ("{*}[.Capacity>100] & {*}[.Type=PowerPlant] & {*}[.Active]", ["PlantA"]),
        ("{*}[.Type=Area] & *", []),
        ("([.Name=North] | [.Name=South])/[.Type=Reservoir]", ["Lake2"]),
        ("[.Name=North] | [.Name=South]/[.Type=Area]", ["North", "SouthEast"]),  # / binds tighter
        ("{*}[.Type=Reservoir]/@[.Level>100]", ["Lake1"]),
        # per input: from Sys the strict walk stops at South, though South (an input too) is
        # walked below; and Sys's grandchild area is not among Sys's first matches
        ("(@ | [.Name=South])/(+[.Type=Area] & [.Type=Area]/[.Type=Area])", []),
        ("(@ | [.Name=South])/(+[.Type=Area] & {+}[.Type=Area])", ["North", "South", "SouthEast"]),
    ],
)
def test_compositions_unions_and_intersections(text: str, expected: list[str]) -> None:
    assert names(text) == expected


def self_similar() -> MemoryNavigator:
    """Model with A1 (owning A4), A2, A3 (owning B3, which owns A5): a type A inside type A."""
    nav = MemoryNavigator()
    model = nav.add(None, "Model", "Root")
    a1 = nav.add(model, "A1", "A")
    nav.add(model, "A2", "A")
    a3 = nav.add(model, "A3", "A")
    nav.add(a1, "A4", "A")
    b3 = nav.add(a3, "B3", "B")
    nav.add(b3, "A5", "A")
    return nav


@pytest.mark.parametrize(
    ("text", "start", "expected"),
    [
        ("*[.Type=A]", "Model", ["A1", "A2", "A3"]),
        ("*[.Type=A]", "A1", ["A1"]),
        ("+[.Type=A]", "A1", ["A4"]),
        ("[.Type=A]+", "Model", ["A4", "A2", "A3"]),
        ("[.Type=A]{+}", "Model", ["A1", "A4", "A2", "A3"]),
        ("+[.Type=A]+", "Model", ["A4", "A2", "A5"]),
        ("+[.Type=A]{+}", "Model", ["A1", "A4", "A2", "A3", "A5"]),
        ("(..)+", "A5", ["Model"]),
        ("@+", "A5", []),  # a repeat that only finds itself finds nothing new
    ],
)
def test_repeaters_on_a_self_similar_model(text: str, start: str, expected: list[str]) -> None:
    assert names(text, start, self_similar()) == expected


def test_results_follow_the_navigators_order_of_children() -> None:
    nav = hydro()
    for kids in nav.children_of.values():
        kids.reverse()
    assert names("{*}[.Type=Reservoir]", nav=nav) == ["Lake2", "Lake1"]
    assert names("+", "North", nav) == ["Lake2", "PlantB", "PlantA", "Lake1"]


def test_an_unknown_start_is_not_found() -> None:
    with pytest.raises(NotFound, match="object not found: 999"):
        run_search("*", NAV, 999)


# --- criteria ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("criterion", "expected"),
    [
        (".Capacity=120", ["PlantA"]),
        (".Capacity!=120", ["PlantB", "SmallPlant", "PlantC"]),  # only objects that have it
        (".Capacity<4.5", ["SmallPlant"]),
        (".Capacity<=4.5", ["PlantB", "SmallPlant"]),
        (".Capacity>=120", ["PlantA", "PlantC"]),
        (".Capacity>1e2", ["PlantA", "PlantC"]),
        (".Capacity>-1 && .Capacity<3", ["SmallPlant"]),
        (".Level=120.5", ["Lake1"]),
        (".Name=PlantA", ["PlantA"]),
        (".Name!=PlantA && .Type=PowerPlant", ["PlantB", "SmallPlant", "PlantC"]),
        ('.Owner="Acme Energy"', ["PlantA"]),
        (".Owner='Acme Energy'", ["PlantA"]),
        ('.Owner="acme energy"', ["SmallPlant"]),
        ('.Owner="ACME ENERGY"', []),
        (".Owner~Hydro", ["PlantB"]),
        (".Name#Plant[A-B]", ["PlantA", "PlantB"]),  # a bracketed class needs no quotes
        (".Name#[L-N].*", ["North", "Lake1", "Lake2", "NO1"]),
        ('.Name#".*Plant"', ["SmallPlant"]),  # the whole name must match
        ('.Owner#"A.* E\\w+"', ["PlantA"]),
        (".Tags~spill", ["Lake2"]),  # an array contains an element
        (".Units~2", ["PlantA"]),
        (".Active=true", ["PlantA"]),
        (".Active=FALSE", ["PlantB"]),
        (".Active!=1", ["PlantB"]),
        (".Commissioned>UTC20100501", ["PlantA", "PlantC"]),
        (".Commissioned=UTC20100501120000", ["PlantA"]),
        (".Commissioned<UTC1995010100000001", ["PlantB"]),  # datetime64 and a fraction
        (".Commissioned>=UTC20220510072415", ["PlantC"]),  # naive times are UTC
        (".Tags", ["Lake1", "Lake2"]),
        (".Note", ["Lake1"]),  # the attribute exists, even if empty
        (".Note=x || .Note!=x", []),  # ... but an empty value compares false
        ("!.Capacity && .Type=PowerPlant", []),
        ("!(.Capacity=120) && .Type=PowerPlant", ["PlantB", "SmallPlant", "PlantC"]),
        (".Type=Area || .Type=Reservoir && .Level>100", ["North", "Lake1", "South", "SouthEast"]),
        ("(.Type=Area || .Type=Reservoir) && .Level>100", ["Lake1"]),
        ("!!(.Type=Reservoir)", ["Lake1", "Lake2"]),
        (".Type=Reservoir && (.Level>100 || .Name=Lake2)", ["Lake1", "Lake2"]),
    ],
)
def test_criteria(criterion: str, expected: list[str]) -> None:
    assert names(f"{{*}}[{criterion}]") == expected


def test_ignore_case_applies_to_text_comparisons() -> None:
    assert names("{*}[.Owner='ACME ENERGY']{i}") == ["PlantA", "SmallPlant"]
    assert names("{*}[.Name~plant]{i}") == ["PlantA", "PlantB", "SmallPlant", "PlantC"]
    assert names("{*}[.Name#plant[ab]]{i}") == ["PlantA", "PlantB"]
    assert names("{*}[.Name~plant]") == []


def test_criteria_read_an_attribute_only_where_it_can_matter() -> None:
    nav = hydro()
    run_search("{*}[.Type=Watercourse && .Capacity>5]", nav, nav.id_of("Sys"))
    run_search("{*}[.Type!=Watercourse || .Level>5]", nav, nav.id_of("Sys"))
    assert nav.calls["attribute_values"] == 2  # one per level holding a watercourse


# --- parsing -------------------------------------------------------------------------------------


def test_parsing_builds_frozen_syntax_nodes() -> None:
    query = parse_search("{*}[.Type=PowerPlant && !.Capacity>5]{i}.Level")
    capacity = Comparison("Capacity", ">", Constant("5", 5))
    condition = Logical(
        "&&", (Comparison("Type", "=", Constant("PowerPlant", "PowerPlant")), Not(capacity))
    )
    assert query == Query(Walk(every_level=True, criteria=Criteria(condition, True)), "Level")
    assert parse_search("..+") == Query(Walk(upward=True, strict=True))
    assert parse_search(".X") == Query(SelfStep(), "X")
    assert parse_search("[.A]/..|@") == Query(
        Combine("|", (Combine("/", (ChildStep(Criteria(Exists("A"))), ParentStep())), SelfStep()))
    )
    assert parse_search("*{+}") == Query(Repeat(Walk(), every_level=True))
    with pytest.raises(AttributeError):
        query.attribute = "Other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("5", 5),
        ("-2.5", -2.5),
        ("1e3", 1000.0),
        ("abc", "abc"),
        ("'5'", "5"),
        ('"a \\"b\\" \\\\d"', 'a "b" \\d'),
        ("UTC20220510072415", datetime(2022, 5, 10, 7, 24, 15, tzinfo=UTC)),
        ("UTC20220510", datetime(2022, 5, 10, tzinfo=UTC)),
        ("UTC20220510072415250", datetime(2022, 5, 10, 7, 24, 15, 250000, tzinfo=UTC)),
    ],
)
def test_values_are_numbers_text_or_times(text: str, value: object) -> None:
    query = parse_search(f"[.X={text}]")
    assert isinstance(query.traversal, ChildStep)
    comparison = query.traversal.criteria.condition
    assert isinstance(comparison, Comparison)
    assert comparison.value.value == value
    assert type(comparison.value.value) is type(value)


def test_parse_search_is_cached() -> None:
    assert parse_search("{*}[.Type=Reservoir]") is parse_search("{*}[.Type=Reservoir]")


@pytest.mark.parametrize(
    "text",
    [
        "{*}[.Type=Reservoir]",
        "*[.Name=X].Level",
        "{*}[.Type=PowerPlant && (.Capacity>5 || !.Name~'a b')]{i}",
        '..{+}[.Name#"[A-C].*"]/[.X]+|@&+',
        "(..)+/{+}{+}",
        ".Level",
    ],
)
def test_rendering_parses_back_to_the_same_query(text: str) -> None:
    query = parse_search(text)
    assert parse_search(str(query)) == query


# --- errors --------------------------------------------------------------------------------------


def caret_at(exc: ExpressionError) -> int:
    """The column (1-based) of the caret in the error's text."""
    last = str(exc).splitlines()[-1]
    return last.index("^") - 3


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("{*}[.Type=]", "unexpected ']'; expected a quoted text, a value", 11),
        ("{*}[.Type=Reservoir", "unexpected end of search; expected", 20),
        ("*[.Name=X]]", "unexpected ']'", 11),
        ("*[Name=X]", "unexpected 'Name'; expected '!', '(', '..', an attribute such as .Name", 3),
        ("{*}[.Type=A] $", "unexpected '$'; expected '&', '*', '+', '/'", 14),
        ('{*}[.Name="abc]', "unexpected character '\"'", 11),
        ("***", "unexpected '*'", 3),
        ("{*}[.Type=A &| .X]", "unexpected '&'; expected '&&', ']', '||'", 13),
        ("[.Name<abc]", "operator '<' compares numbers and times, not 'Name'", 7),
        ("[.Capacity>=x]", "operator '>=' compares numbers and times", 11),
        ("[.Name#'(a']", "invalid regular expression '(a'", 8),
        ("[.Since>UTC20221340]", "time literal 'UTC20221340' is not a valid time", 9),
        ("   ", "empty search", 1),
    ],
)
def test_syntax_errors_point_at_the_fault(text: str, message: str, column: int) -> None:
    with pytest.raises(ExpressionError, match="^" + re.escape(message)) as info:
        parse_search(text)
    assert info.value.column == column
    assert info.value.line == 1
    if text.strip():
        assert caret_at(info.value) == column
        assert text in str(info.value)


def test_a_syntax_error_on_a_later_line_names_that_line() -> None:
    with pytest.raises(ExpressionError) as info:
        parse_search("{*}[.Type=A\n  && .X=]")
    assert (info.value.line, info.value.column) == (2, 9)
    assert str(info.value).endswith("  && .X=]\n            ^")


def test_a_syntax_error_is_a_value_error_listing_what_would_fit() -> None:
    with pytest.raises(ValueError, match=r"expected .*'\*'.*'\.\.'.*'@'.*'\['") as info:
        parse_search("{*}/")
    assert isinstance(info.value, ExpressionError)


@pytest.mark.parametrize(
    ("criterion", "message"),
    [
        (
            ".Capacity~5",
            "operator '~' does not apply to the number attribute .Capacity .*use = != < > <= >=",
        ),
        (".Capacity#5", "operator '#' does not apply to the number attribute .Capacity"),
        (
            ".Capacity=abc",
            "cannot compare the number attribute .Capacity .*with 'abc'; write a number",
        ),
        (".Capacity='5'", "cannot compare the number attribute .Capacity .*with text '\"5\"'"),
        (".Owner>5", "operator '>' does not apply to the text attribute .Owner .*use = != ~ #"),
        (".Tags=spill", "operator '=' does not apply to the array attribute .Tags .*use ~"),
        (".Active=yes", "cannot compare the boolean attribute .Active .*write true or false"),
        (".Active~true", "operator '~' does not apply to the boolean attribute .Active"),
        (".Commissioned>5", "cannot compare the time attribute .Commissioned .*UTC20220510072415"),
        (".Commissioned~UTC2022", "cannot compare the time attribute"),
        (".Commissioned~UTC20220101", "operator '~' does not apply to the time attribute"),
    ],
)
def test_comparisons_that_do_not_fit_the_values_type_are_refused(
    criterion: str, message: str
) -> None:
    text = f"{{*}}[{criterion}]"
    with pytest.raises(ExpressionError, match=message) as info:
        run_search(text, NAV, NAV.id_of("Sys"))
    assert info.value.column == text.index(criterion) + 1
    assert caret_at(info.value) == info.value.column


def test_a_value_of_an_unsupported_type_is_refused() -> None:
    nav = hydro()
    nav.attributes[nav.id_of("PlantA")]["Curve"] = {"x": [1, 2]}
    with pytest.raises(ExpressionError, match=r"attribute \.Curve of object 'PlantA' holds a dict"):
        run_search("{*}[.Curve=1]", nav, nav.id_of("Sys"))


# --- batching ------------------------------------------------------------------------------------


def balanced(depth: int, width: int) -> MemoryNavigator:
    """Areas nested ``depth`` levels deep, ``width`` children each, plants at the bottom."""
    nav = MemoryNavigator()
    level = [nav.add(None, "Root", "System")]
    for d in range(depth):
        kind = "PowerPlant" if d == depth - 1 else "Area"
        level = [
            nav.add(p, f"N{d}-{i}-{k}", kind, Capacity=k)
            for i, p in enumerate(level)
            for k in range(width)
        ]
    return nav


@pytest.mark.parametrize(
    "text",
    [
        "{*}[.Type=PowerPlant && .Capacity>0]",
        "*",
        "+[.Capacity>0]",
        "{*}[.Type=PowerPlant]/..*[.Type=System]",
        "{*}[.Type=PowerPlant].Capacity",
        "[.Name]+",
    ],
)
def test_navigator_calls_grow_with_depth_not_with_the_number_of_objects(text: str) -> None:
    small, large = balanced(4, 2), balanced(4, 6)
    assert len(large.nodes_by_id) > 20 * len(small.nodes_by_id) / 2
    for nav in (small, large):
        result = run_search(text, nav, 1)
        assert result.objects
    assert small.calls == large.calls
    assert sum(large.calls.values()) <= 4 * (4 + 2)


# --- properties ----------------------------------------------------------------------------------


@st.composite
def trees(draw: st.DrawFn) -> MemoryNavigator:
    """Random trees: each new object hangs below an earlier one, with random types and values."""
    nav = MemoryNavigator()
    nav.add(None, "R", "T0", V=0)
    for i in range(draw(st.integers(0, 30))):
        parent = draw(st.integers(1, len(nav.nodes_by_id)))
        nav.add(
            parent, f"n{i}", draw(st.sampled_from(["T0", "T1", "T2"])), V=draw(st.integers(0, 5))
        )
    return nav


criteria_texts = st.sampled_from(["[.Type=T1]", "[.V>2]", "[.V<=1 || .Type=T2]", "[!.Type=T0]", ""])


def ids(text: str, nav: MemoryNavigator, start: int) -> list[int]:
    return [cast(int, node.id) for node in run_search(text, nav, start).objects]


def ancestors_of(nav: MemoryNavigator, node: int) -> list[int]:
    chain, parent = [], nav.parent_of[node]
    while parent is not None:
        chain.append(parent)
        parent = nav.parent_of[parent]
    return chain


@settings(max_examples=60, deadline=None)
@given(trees(), st.data())
def test_every_level_walks_are_the_preorder_of_the_subtree(
    nav: MemoryNavigator, data: st.DataObject
) -> None:
    start = data.draw(st.integers(1, len(nav.nodes_by_id)))
    subtree = nav.preorder(start)
    assert ids("{*}", nav, start) == subtree
    assert ids("{+}", nav, start) == subtree[1:]
    assert ids("*", nav, start) == [n for n in subtree if not nav.children_of[n]]
    assert ids("..{+}", nav, start) == ancestors_of(nav, start)
    assert ids("..*", nav, start) == [(ancestors_of(nav, start) or [start])[-1]]
    big = [n for n in subtree if cast(int, nav.attributes[n]["V"]) > 2]
    assert ids("{*}[.V>2]", nav, start) == big


@settings(max_examples=60, deadline=None)
@given(trees(), criteria_texts, criteria_texts, st.sampled_from(["{*}", "{+}", "*", "+", "..{*}"]))
def test_union_and_intersection_are_set_operations(
    nav: MemoryNavigator, a: str, b: str, walk: str
) -> None:
    left, right = ids(walk + a, nav, 1), ids("{*}" + b, nav, 1)
    union, both = ids(f"{walk}{a} | {{*}}{b}", nav, 1), ids(f"{walk}{a} & {{*}}{b}", nav, 1)
    assert union == left + [n for n in right if n not in left]
    assert both == [n for n in left if n in right]
    assert len(set(union)) == len(union)


@settings(max_examples=60, deadline=None)
@given(trees(), st.sampled_from(["T0", "T1", "T2"]))
def test_a_walk_stops_at_the_first_match_on_every_branch(nav: MemoryNavigator, kind: str) -> None:
    found = ids(f"*[.Type={kind}]", nav, 1)
    every = ids(f"{{*}}[.Type={kind}]", nav, 1)
    assert set(found) <= set(every)
    for node in every:  # a match is found unless a match above it on its branch stopped the walk
        above = ancestors_of(nav, node)
        assert (node in found) == (not any(nav.nodes_by_id[p].type_name == kind for p in above))


def test_times_compare_with_and_without_a_timezone() -> None:
    nav = MemoryNavigator()
    nav.add(None, "R", "T", At=datetime(2022, 5, 10, 9, 24, 15, tzinfo=UTC) + timedelta(hours=0))
    assert names("@[.At>UTC20220510092414]", "R", nav) == ["R"]
    assert names("@[.At<UTC20220510092415]", "R", nav) == []


# --- the documentation ---------------------------------------------------------------------------

DOCS = Path(__file__).parents[1] / "README.md"


def documented_examples() -> list[tuple[str, str, list[str]]]:
    """(search, start, names found) from the traversal tables of the README."""
    rows = []
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            continue  # prose, code
        cells = [html.unescape(re.sub(r"</?code>|`", "", c)).strip() for c in line.split(" | ")]
        if len(cells) != 4 or not cells[3] or cells[3].startswith("Finds") or "---" in line:
            continue
        example = re.fullmatch(r"(.+?)(?: \((\w+)\))?", cells[2])
        assert example is not None, line
        found = [name.split(".")[0] for name in cells[3].rstrip(" |").split(", ")]
        rows.append((example[1], example[2] or "Sys", found))
    return rows


def test_the_documented_examples_find_what_the_documentation_says() -> None:
    examples = documented_examples()
    assert len(examples) >= 20
    for text, start, expected in examples:
        result = run_search(text, NAV, NAV.id_of(start))
        found = result.attributes if result.attribute else result.objects
        assert [getattr(f, "node", f).name for f in found] == expected, text


def test_nan_and_nat_are_empty_values_that_match_no_comparison() -> None:
    nav = MemoryNavigator()
    root = nav.add(None, "R", "T", Level=float("nan"), At=np.datetime64("NaT"), Xs=[np.nan, 2.0])
    assert names("@[.Level!=1 || .Level=1 || .At!=UTC20200101 || .Xs~1]", "R", nav) == []
    assert names("@[.Level && .At && .Xs~2]", "R", nav) == ["R"]
    assert run_search("@[.Level].Level", nav, root).attributes[0].node.name == "R"


def test_syntax_nodes_hold_plain_strings() -> None:
    query = parse_search("[.A=1 && .B=2]/..|@")
    assert repr(query).count("Token") == 0
    assert "Combine(operator='|'" in repr(query)


# --- relation steps, link walks, paths in criteria, zero-or-more repeats --------------------------


@pytest.mark.parametrize(
    ("query", "start", "expected"),
    [
        ("To_Areas", "Sys", ["North", "South"]),
        ("To_Areas/North/Glomma/PlantA", "Sys", ["PlantA"]),
        ("To_Areas/Glomma", "Sys", []),
        ("To_Areas/To_Areas/PlantC", "Sys", []),  # PlantC is no area
        ("To_Areas/To_Areas/SouthEast/PlantC", "Sys", ["PlantC"]),
        ("To_PriceArea", "North", ["NO1"]),
        ("To_PriceArea", "Glomma", []),  # no such relation: the children called so (none)
        ("~~[.Code=S1]", "NO1", ["South"]),
        ("~/~~", "North", ["North", "South"]),
        ("(~~/To_Areas)*", "NO1", ["SouthEast"]),
        ("[.Type=PowerPlant]*", "Glomma", ["PlantA", "PlantB"]),
        ("[.Type=PowerPlant]*", "Lake1", ["Lake1"]),
        ("[.Type=Area]{*}", "Lake1", ["Lake1"]),
        ("Model:To_Areas/South/SmallPlant", "PlantA", ["SmallPlant"]),
        ("Model:", "Sys", ["Sys"]),
        ("{*}[.To_PriceArea.Name=NO1 && .Code=N1]", "Sys", ["North"]),
        ("{*}[.To_Areas.To_PriceArea]", "Sys", []),  # a link relation is no attribute value
        ("{*}[.To_Areas.To_PriceArea.Name]", "Sys", ["Sys"]),
        ("{*}[...Level]", "Sys", []),
        ("{*}[.....Code=S1]", "Sys", ["PlantC"]),
    ],
)
def test_relations_links_and_paths(query: str, start: str, expected: list[str]) -> None:
    assert names(query, start) == expected


def test_relation_steps_ask_once_per_step_for_the_whole_frontier() -> None:
    """The new steps cost one batch per step (and per round of a repeater), not one per object."""
    counts = {}
    for size in (2, 40):
        nav = hydro()
        north = nav.id_of("North")
        for i in range(size):
            area = nav.add(nav.id_of("Sys"), f"A{i}", "Area", "To_Areas", Code=f"X{i}")
            nav.link(area, "To_PriceArea", nav.id_of("NO1"))
            nav.add(area, f"Plant{i}", "PowerPlant", Capacity=i)
        nav.calls.clear()
        for query in ("To_Areas/To_PriceArea", "To_Areas/~/~~", "To_Areas/[.Name]*",
                      "To_Areas[.To_PriceArea.Name=NO1]", "{*}[...Code~X]", "Model:~"):  # fmt: skip
            run_search(query, nav, north if query.startswith("Model") else nav.id_of("Sys"))
        counts[size] = dict(nav.calls)
    assert counts[2] == counts[40]


def test_a_navigator_without_relations_refuses_link_walks_but_finds_names() -> None:
    nav = hydro()
    plain = MemoryNavigator(nav.nodes_by_id, nav.parent_of, nav.children_of, nav.attributes)
    narrow = type("Plain", (), {k: getattr(plain, k) for k in
                  ("nodes", "children", "parents", "attribute_values")})()  # fmt: skip
    assert [n.name for n in run_search("North/Glomma", narrow, 1).objects] == ["Glomma"]
    with pytest.raises(SearchError, match="link walk"):
        run_search("~", narrow, 1)


def test_new_syntax_prints_back_and_reparses() -> None:
    for text in ("To_Areas/North", "[.Type=A]*", "[.Type=A]{*}", "~[.Name=X]", "~~",
                 "{*}[.To_PriceArea.Name=NO1]", "{*}[...Age>3]", "Model:{*}"):  # fmt: skip
        query = parse_search(text)
        assert parse_search(str(query)) == query, text
