"""Mesh's script syntax: IF statements, c ? a : b, NaN, call lines, comments, typographic quotes.

Examples follow the pages of Volue-Public/energy-smp-docs cited beside each test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import workbench as wb
from workbench.calc import MemoryResolver, compile_expression, evaluate, library
from workbench.calc.functions import Function, Invocation, Overload
from workbench.calc.parser import parse
from workbench.calc.syntax import Call, If, Number
from workbench.calc.values import Series
from workbench.errors import ExpressionError

PLANT = "Model/Hydro.To_Plants/PlantA"
START, END = "2024-01-01", "2024-01-01T06:00"


def hourly(values: list[float], units: str = "") -> xr.DataArray:
    times = pd.date_range(START, periods=len(values), freq="h")
    return xr.DataArray(
        np.asarray(values, dtype=float),
        coords={"event_start": times},
        dims="event_start",
        attrs={"units": units, "resolution": "PT1H"},
    )


RESOLVER = MemoryResolver(
    series={
        f"{PLANT}.A": hourly([1.0, 5.0, -6.0, 2.0, 8.0, 0.0]),
        f"{PLANT}.B": hourly([1.0, 1.0, 1.0, 1.0, 1.0, 1.0]),
    },
    numbers={f"{PLANT}.Limit": 4.0, f"{PLANT}.Zero": 0.0},
)


def run(text: str) -> Any:
    return evaluate(text, RESOLVER, START, END, relative_to=PLANT)


def series(text: str) -> list[float]:
    return [float(v) for v in run(text).values]


@pytest.fixture
def logged(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[Any, ...]]]:
    """A @PDLOG(kind, message[, series]) that records its calls (compiled texts are cached:
    the cache is cleared around the test so that no text compiled with it outlives it)."""
    calls: list[tuple[Any, ...]] = []

    def record(call: Invocation) -> float:
        found = call.args[2] if len(call.args) > 2 else None
        count = None if not isinstance(found, Series) else int(np.nansum(found.values != 0))
        calls.append((call.args[0], call.args[1], count))
        return 0.0

    pdlog = Function("PDLOG", (Overload(("d", "s", "t"), "d", record, required=2),), "log")
    monkeypatch.setitem(library.FUNCTIONS, "PDLOG", pdlog)
    compile_expression.cache_clear()
    yield calls
    compile_expression.cache_clear()


def test_pdlog_example_1_runs_the_call_line_when_the_condition_holds(logged: list[Any]) -> None:
    # docs/mesh/calculations/functions/pdlog.md, example 1 (MEAN over arrays becomes @t here).
    text = (
        "Difference =@t('.A')-\n"
        "@t('.B')\n"
        "Deviation = @ABS(Difference) > 4\n"
        "IF (@SUM(Deviation)) THEN\n"
        "  @PDLOG(1011,'Temperature deviates, $nvalues, first time $first, last time $last',"
        "Deviation)\n"
        "ENDIF\n"
        "## = Difference"
    )
    assert series(text) == [0.0, 4.0, -7.0, 1.0, 7.0, -1.0]
    assert logged == [(1011.0, "Temperature deviates, $nvalues, first time $first, last time "
                       "$last", 2)]  # fmt: skip
    logged.clear()
    quiet = text.replace("> 4", "> 40")
    assert series(quiet) == [0.0, 4.0, -7.0, 1.0, 7.0, -1.0]
    assert logged == []  # the condition is 0: the line does not run


def test_pdlog_example_2_if_without_brackets(logged: list[Any]) -> None:
    # docs/mesh/calculations/functions/pdlog.md, example 2: 'IF @ABS(x) > 0.1 THEN'.
    text = (
        "Deviation = (@MAX(@t('.A')) - @MAX(@t('.B'))) / @MAX(@t('.A'))\n"
        "IF @ABS(Deviation) > 0.1 THEN\n"
        "  @PDLOG(1010,'Inflow forecast deviates on time series,$path')\n"
        "ENDIF\n"
        "## = @t('.A')"
    )
    assert series(text)[4] == 8.0
    assert logged == [(1010.0, "Inflow forecast deviates on time series,$path", None)]


def test_if_statement_reassigns_variables_and_the_result() -> None:
    text = (
        "Limit = @d('.Limit')\n"
        "Scale = 1\n"
        "IF (Limit > 10) THEN\n"
        "  Scale = 10\n"
        "  ## = @t('.A') * Scale\n"
        "ELSEIF (Limit > 3) THEN\n"
        "  Scale = Scale + 1   // reassigned from its value before the IF\n"
        "  ## = @t('.A') * Scale\n"
        "ELSE\n"
        "  ## = @t('.B')\n"
        "ENDIF"
    )
    assert series(text) == [2.0, 10.0, -12.0, 4.0, 16.0, 0.0]
    assert series(text.replace("@d('.Limit')", "@d('.Zero')")) == [1.0] * 6
    assert series(text.replace("@d('.Limit')", "20")) == [10.0, 50.0, -60.0, 20.0, 80.0, 0.0]


def test_an_if_statement_without_else_keeps_the_values_before_it() -> None:
    text = "X = @t('.A')\nIF (@d('.Zero')) THEN\n  X = X * 100\nENDIF\n## = X"
    assert series(text) == [1.0, 5.0, -6.0, 2.0, 8.0, 0.0]
    # With a series as condition the branches are chosen point by point.
    pointwise = "X = @t('.A')\nIF (@t('.A') > 1) THEN\n  X = 0\nENDIF\n## = X"
    assert series(pointwise) == [1.0, 0.0, -6.0, 0.0, 0.0, 0.0]


def test_nested_if_statements_and_a_final_if_as_the_result() -> None:
    text = (
        "IF @d('.Limit') > 1 THEN\n"
        "  IF @d('.Limit') > 5 THEN\n"
        "    @t('.B')\n"
        "  ELSE\n"
        "    @t('.A') * 2\n"
        "  ENDIF\n"
        "ELSE\n"
        "  0\n"
        "ENDIF\n"
    )
    assert series(text) == [2.0, 10.0, -12.0, 4.0, 16.0, 0.0]


def test_conditional_operator_and_assigned_comparisons() -> None:
    # docs/mesh/calculations/functions/accumulate.md, example 5: 'Delta >= -2 ? Delta : 0'.
    assert series("Delta = @t('.A')\n## = Delta >= -2 ? Delta : 0") == [1, 5, 0, 2, 8, 0]
    # docs/mesh/calculations/functions/pdlog.md: 'Deviation = @ABS(Difference) > 4'.
    assert series("Dev = @ABS(@t('.A')) > 4\n## = Dev") == [0, 1, 1, 0, 1, 0]
    # ?: binds looser than OR and nests to the right.
    assert run("0 OR 0 ? 1 : 0 ? 2 : 3") == 3.0
    node = parse("a ? b : c ? d : e").result
    assert isinstance(node, If) and isinstance(node.otherwise, If)


def test_nan_literal() -> None:
    # docs/mesh/calculations/functions/bool.md: '@BOOL(NaN)'.
    assert np.isnan(run("NaN"))
    assert series("@t('.A') > 4 ? @t('.A') : NaN")[4] == 8.0
    assert np.isnan(series("@t('.A') > 4 ? @t('.A') : nan")[0])
    number = parse("NAN").result
    assert isinstance(number, Number) and np.isnan(number.value)


def test_typographic_quotes_and_comments() -> None:
    # docs/mesh/calculations/functions/push_ext_period.md writes ‘X’; time_mask.md ’...’.
    call = parse("@f(‘X’, ’MyHolidayfile.txt’, “d”)").result
    assert isinstance(call, Call)
    assert [a.value for a in call.args] == ["X", "MyHolidayfile.txt", "d"]  # type: ignore[attr-defined]
    text = "/* a block\n comment */ A = @t(‘.A’) // note\n## = A * 2 /* end */"
    assert series(text)[1] == 10.0


def test_call_lines_parse_and_are_kept_with_their_condition() -> None:
    # docs/mesh/calculations/functions/push_ext_period.md, the first example.
    script = parse(
        "@PushExtPeriod( ‘X’, ‘-1h’, ‘0h’)\n"
        "Tmp1 = 10 * @t( ‘TimeSeries’ )\n"
        "@PopExtPeriod(‘X’)\n"
        "## = @DELTA(Tmp1)"
    )
    assert [e.call.name for e in script.effects] == ["PushExtPeriod", "PopExtPeriod"]  # type: ignore[attr-defined]
    assert all(e.guard is None for e in script.effects)
    guarded = parse("IF a THEN\n  @f(1)\nELSEIF b THEN\n  @g(2)\nENDIF\n## = 1")
    assert [type(e.guard).__name__ for e in guarded.effects] == ["Name", "Logical"]


def test_a_call_line_of_an_existing_function_runs_and_its_value_is_dropped() -> None:
    expr = compile_expression("A = @t('.B')\n@ABS(@t('.A'))\n## = A * 2")
    assert len(expr.effects) == 1 and expr.effects[0][1] is None
    assert set(expr.paths) == {".B", ".A"}  # the call line's reads are planned too
    assert series("A = @t('.B')\n@ABS(@t('.A'))\n## = A * 2") == [2.0] * 6


def test_a_series_condition_runs_a_call_line_when_it_holds_somewhere(logged: list[Any]) -> None:
    text = "IF (@t('.A') > {limit}) THEN\n  @PDLOG(1010, 'high')\nENDIF\n## = 1"
    assert run(text.format(limit=7)) == 1.0
    assert logged == [(1010.0, "high", None)]
    logged.clear()
    assert run(text.format(limit=8)) == 1.0
    assert logged == []


def test_a_call_line_of_an_unknown_function_is_reported_when_compiled() -> None:
    with pytest.raises(ExpressionError, match="unknown function @PopExtPeriod") as info:
        compile_expression("Tmp1 = 10\n@PopExtPeriod('X')\n## = Tmp1")
    assert (info.value.line, info.value.column) == (2, 1)


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ("IF a THEN\n  X = 1\nENDIF\n## = X", 4, 6, "'X' has a value only in some branches"),
        ("IF a THEN\n  ## = 1\nENDIF", 1, 1, "the result ## has a value only in some"),
        ("IF a THEN\n  X = 1\n", 3, 1, "unexpected end of the text"),
        ("IF a THEN\n  X = 1\nELSE X = 2\nENDIF\n## = X", 3, 6, "unexpected 'X'"),
        ("A = 1\n@t('.A')\n## = A", 2, 1, "neither an assignment"),
        ("A = 1\nA + 1\n## = A", 2, 3, "neither an assignment"),
        ("ENDIF", 1, 1, "unexpected 'ENDIF'"),
        ("1 ? 2", 1, 6, "expected ':'"),
        ("x = 1 ? 2 :", 1, 12, "unexpected end of the text"),
    ],
)
def test_statement_errors_point_at_the_fault(
    text: str, line: int, column: int, message: str
) -> None:
    with pytest.raises(ExpressionError) as info:
        compile_expression(text)
    error = info.value
    assert message in error.message
    assert (error.line, error.column) == (line, column)
    assert str(error).splitlines()[-1] == "    " + " " * (column - 1) + "^"


def test_one_line_if_stays_an_expression() -> None:
    assert run("IF 1 THEN 2 ELSE 3 ENDIF") == 2.0
    assert run("X = IF 0 THEN 2 ELSE 3 ENDIF\n## = X") == 3.0
    assert run("IF 0 THEN\n 2\nELSE\n 3\nENDIF") == 3.0


# End to end: a workspace with a plant whose sensor holds hourly values.


@pytest.fixture
def plant(ws: wb.Workspace) -> wb.Object:
    md = ws.create_model_definition("MeshSyntax")
    unit = md.create_object_definition("Unit")
    unit.add_attribute("Flow", "timeseries", unit="m^3/s")
    unit.add_attribute("Limit", "double", unit="m^3/s")
    root = ws.create_model("Syntax", md, unit)
    sensor = root.add_sensor("flow", unit="m^3/s", resolution="1h")
    sensor.ingest(
        pd.Series(
            [1.0, 5.0, -6.0, 2.0], index=pd.date_range("2025-01-01", periods=4, freq="h", tz="UTC")
        ),
        source="meter",
        belief_time="2025-01-02T00:00Z",
    )
    root["Flow"] = sensor
    root["Limit"] = 4.0
    return root


PERIOD = ("2025-01-01T00:00Z", "2025-01-01T04:00Z")


def test_mesh_script_end_to_end(ws: wb.Workspace, plant: wb.Object) -> None:
    text = (
        "// docs/mesh/calculations/functions/pdlog.md, example 1, shape of\n"
        "Flow = @t(‘.Flow’)\n"
        "Dev = @ABS(Flow) > @d('.Limit')\n"
        "IF (@SUM(Dev)) THEN\n"
        "  ## = Dev ? NaN : Flow\n"
        "ELSE\n"
        "  ## = Flow\n"
        "ENDIF"
    )
    result = ws.evaluate(text, *PERIOD, relative_to=plant)
    got = np.asarray(result.values, dtype=float)
    assert np.isnan(got[1]) and np.isnan(got[2])
    assert got[[0, 3]].tolist() == [1.0, 2.0]
    assert result.attrs["units"] in {"m ** 3 / s", "meter ** 3 / second"}


def test_mesh_script_errors_end_to_end(ws: wb.Workspace, plant: wb.Object) -> None:
    with pytest.raises(ExpressionError, match="has a value only in some branches") as info:
        ws.evaluate("IF @d('.Limit') > 1 THEN\n  X = 1\nENDIF\n## = X", *PERIOD, relative_to=plant)
    assert (info.value.line, info.value.column) == (4, 6)


def test_the_readme_mesh_script_runs(logged: list[Any]) -> None:
    text = Path(__file__).resolve().parent.parent.joinpath("README.md").read_text("utf-8")
    script = re.search(r"```text\n(  Difference = .*?)```", text, re.S)
    assert script is not None
    flows = {
        f"{PLANT}.Inflow": hourly([1.0, 20.0, 3.0], "m^3/s"),
        f"{PLANT}.Inflow_forecast": hourly([0.0, 2.0, 3.0], "m^3/s"),
    }
    got = evaluate(script.group(1), MemoryResolver(series=flows), START, END, relative_to=PLANT)
    assert got.attrs["units"] in {"m ** 3 / s", "meter ** 3 / second"}
    values = got.values.tolist()
    assert values[0] == 2.0 and np.isnan(values[1]) and values[2] == 0.0  # Scale 2: one deviation
    assert logged == [(1011.0, "Inflow deviates, $nvalues", 1)]


def test_if_statements_with_crlf_semicolons_and_comments() -> None:
    text = (
        "X = 1\r\nIF (X > 0) THEN // positive\r\n  X = 2;\r\nELSE /* no */\r\n  X = 3\r\n"
        "ENDIF // done\r\n## = X"
    )
    assert run(text) == 2.0
    assert run(text.replace("X > 0", "X > 5")) == 3.0
