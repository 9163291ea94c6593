"""Deep expressions: long generated sums, chains and nesting are parsed, checked (when saved too)
and evaluated, never ending in RecursionError."""

from __future__ import annotations

import re
import time

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from conftest import MakeModel, attr, plants, refused
from hypothesis import given, settings
from hypothesis import strategies as st

import workbench as wb
from workbench.calc import MemoryResolver, compile_expression, evaluate, infer_unit
from workbench.calc.syntax import Binary, Number, bottom_up, walk
from workbench.errors import ExpressionError

LAKE = "Model/Hydro/Lake"
ELSEIFS = " ".join(f"ELSEIF {i} = 1999 THEN {i}" for i in range(2_000))
PERIOD = ("2024-01-01", "2024-01-03")


def series(values: np.ndarray, units: str = "MW") -> xr.DataArray:
    times = pd.date_range(PERIOD[0], periods=len(values), freq="h")
    return xr.DataArray(values, coords={"event_start": times}, dims="event_start",
                        attrs={"units": units, "resolution": "PT1H"})  # fmt: skip


RESOLVER = MemoryResolver(
    series={f"{LAKE}.Inflow": series(np.arange(48.0))}, numbers={f"{LAKE}.Head": 2.5}
)


def value(text: str) -> object:
    result = evaluate(text, RESOLVER, *PERIOD, relative_to=LAKE)
    return result.values.tolist() if isinstance(result, xr.DataArray) else result


@pytest.mark.parametrize("terms", [1_000, 5_000])
def test_a_long_generated_sum_is_parsed_checked_and_evaluated(terms: int) -> None:
    text = " + ".join(["@t('.Inflow')"] * terms)
    expr = compile_expression(text)
    assert isinstance(expr.root, Binary) and expr.paths == (".Inflow",)
    assert infer_unit(expr, RESOLVER, relative_to=LAKE) == "MW"
    got = evaluate(expr, RESOLVER, *PERIOD, relative_to=LAKE)
    np.testing.assert_allclose(got.values, np.arange(48.0) * terms)  # type: ignore[union-attr]


def test_a_long_mixed_chain_keeps_the_precedence_of_its_operators() -> None:
    terms = 2_000
    text = " + ".join(f"@d('.Head') * {i} - {i} / 2 ^ 1" for i in range(terms))
    assert value(text) == pytest.approx(sum(2.5 * i - i / 2 for i in range(terms)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-" * 100_001 + "1", -1.0),  # a sign chain of any length
        ("- " * 10_000 + "@d('.Head')", 2.5),
        ("NOT " * 3_001 + "1", 0.0),
        ("2 ^ " * 2_000 + "1", np.inf),  # right-associative: 2^(2^(...))
        ("1 ^ " * 5_000 + "2", 1.0),
        ("(" * 10_000 + "@d('.Head')" + ")" * 10_000, 2.5),
        ("@MAX(" * 2_000 + "1" + ", 2)" * 2_000, 2.0),
        ("{" * 1_000 + "1" + "}" * 1_000, [1.0]),
        ("IF 1 THEN " * 2_000 + "7" + " ELSE 0 ENDIF" * 2_000, 7.0),
        (f"IF 0 THEN 0 {ELSEIFS} ELSE 5 ENDIF", 1999.0),
    ],
)
def test_deep_chains_and_nesting_evaluate(text: str, expected: object) -> None:
    got = value(text)
    assert got == expected or np.allclose(got, expected)  # type: ignore[arg-type]


_chains = st.lists(
    st.tuples(st.sampled_from(["", "-", "- -", "+"]), st.sampled_from(["1", "2", "3", "0.5"]),
              st.sampled_from(["+", "-", "*", "/", "^"])),
    min_size=1, max_size=12,
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(chain=_chains)
def test_operator_chains_group_as_python_groups_them(chain: list[tuple[str, str, str]]) -> None:
    """Signs, ``^`` (right-associative, tighter than a sign) and the arithmetic operators group
    as in Python (where ``**`` is ``^``), however long the chain."""
    ours = " ".join(f"{sign} {number} {op}" for sign, number, op in chain)[:-1]
    python = ours.replace("^", "**")
    try:
        expected = eval(python)  # digits and operators only
    except (OverflowError, ZeroDivisionError):
        return
    if isinstance(expected, complex):
        return  # a negative base to a fractional power: NaN here
    got = value(ours)
    assert got == pytest.approx(expected, rel=1e-9, nan_ok=True) or (
        np.isinf(got) and abs(expected) > 1e300  # type: ignore[call-overload]
    )


def test_deep_sums_in_the_branches_of_an_if() -> None:
    deep = " + ".join(["@t('.Inflow')"] * 2_000)
    text = f"IF @d('.Head') > 1 THEN {deep} ELSE {deep} * 0 ENDIF"
    got = evaluate(text, RESOLVER, *PERIOD, relative_to=LAKE)
    np.testing.assert_allclose(got.values, np.arange(48.0) * 2_000)  # type: ignore[union-attr]


def test_shared_variables_are_walked_and_evaluated_once() -> None:
    lines = ["A0 = @t('.Inflow')", *(f"A{i} = A{i - 1} + A{i - 1}" for i in range(1, 41))]
    text = "\n".join([*lines, "## = A40"])
    started = time.process_time()
    expr = compile_expression(text)
    assert len(walk(expr.root)) == 42  # 40 sums, the lookup and its path, each once
    got = evaluate(expr, RESOLVER, *PERIOD, relative_to=LAKE)
    assert time.process_time() - started < 5
    np.testing.assert_allclose(got.values, np.arange(48.0) * 2.0**40)  # type: ignore[union-attr]


def test_shared_nodes_are_listed_once_and_bottom_up_before_all_their_parents() -> None:
    shared = Binary(1, 3, "+", Number(1, 1, 1.0), Number(1, 5, 2.0))
    top = Binary(1, 9, "*", shared, Binary(1, 12, "-", shared, Number(1, 14, 3.0)))
    assert [id(n) for n in walk(top)][:2] == [id(top), id(shared)] and len(walk(top)) == 6
    order = bottom_up(top)
    assert len(order) == 6 and order[-1] is top
    position = {id(node): i for i, node in enumerate(order)}
    assert position[id(shared)] < min(position[id(top)], position[id(top.right)])


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        (" + ".join(["1 [MW]"] * 3_000) + " + 1 [m]", "unit clash in '+'", 26_999),
        (" + ".join(["1"] * 3_000) + " + @NOPE(1)", "unknown function @NOPE", 12_001),
        (" + ".join(["1"] * 3_000) + " + ", "unexpected end of the text", 12_001),
        ("-" * 50_000 + "'text'", "'-' needs numbers or series, got a string", 50_001),
    ],
)
def test_faults_deep_in_a_long_expression_are_reported_where_they_are(
    text: str, message: str, column: int
) -> None:
    with pytest.raises(ExpressionError, match=re.escape(message)) as info:
        compile_expression(text)
    assert (info.value.line, info.value.column) == (1, column)


# -- in the store: checked when saved, evaluated when read ----------------------------------------


@pytest.fixture
def plant(ws: wb.Workspace, make_model: MakeModel) -> wb.Object:
    """PlantA under Model/Hydro (definition Hydro), its Head 2 m, with an Inflow series."""
    types = plants({"Head": attr("double", unit="m"), "Inflow": attr("timeseries", unit="m^3/s")})
    made = make_model(
        ws, "Hydro", definition="Hydro", types=types, children={"To_Plants": ["PlantA"]}
    )
    obj = made.objects["PlantA"]
    obj["Head"] = 2.0
    return obj


def test_a_long_generated_template_is_checked_when_saved(
    ws: wb.Workspace, plant: wb.Object
) -> None:
    od = ws.model_definition("Hydro").object_definition("Plant")
    total = " + ".join(["@t('.Inflow')"] * 1_000)
    ad = od.add_attribute("Total", "timeseries", unit="m^3/s", template=total)
    assert ad.template == total
    doubled = "\n".join(
        ["A0 = @t('.Inflow')", *(f"A{i} = A{i - 1} + A{i - 1}" for i in range(1, 31)), "## = A30"]
    )
    assert od.add_attribute("Doubled", "timeseries", unit="m^3/s", template=doubled).template
    wrong = total + " + @t('.Inflw')"
    refused(ws, wb.ExpressionError, r"'\.Inflw'",
            lambda: od.add_attribute("Wrong", "timeseries", unit="m^3/s", template=wrong))  # fmt: skip
    refused(ws, wb.UnitError, "do not convert",
            lambda: od.add_attribute("Odd", "timeseries", unit="MW", template=total))  # fmt: skip


def test_a_long_generated_sum_is_evaluated_over_the_store(
    ws: wb.Workspace, plant: wb.Object
) -> None:
    total = " + ".join(["@d('.Head')"] * 1_000)
    start = pd.Timestamp("2024-01-01", tz="UTC")
    assert ws.evaluate(total, start, start + pd.Timedelta("1D"), relative_to=plant) == 2_000.0
    deep = "-" * 20_001 + "@d('.Head')"
    assert ws.evaluate(deep, start, start + pd.Timedelta("1D"), relative_to=plant) == -2.0


def test_an_error_in_a_long_generated_line_shows_the_part_around_it() -> None:
    text = "@t('.A')" + " + 1" * 5_000 + " + )"
    with pytest.raises(ExpressionError) as caught:
        compile_expression(text)
    error = caught.value
    shown = str(error).splitlines()
    assert len(str(error)) < 300, "not the whole 20,000-character line"
    assert shown[1].startswith("    ...") and shown[1].rstrip().endswith(")")
    caret = shown[2].index("^") - 4 - 3  # the line's indent and its leading "..."
    start = error.column - 1 - caret
    assert text[error.column - 1] == ")" and shown[1][4 + 3 + caret] == ")", (start, shown)
