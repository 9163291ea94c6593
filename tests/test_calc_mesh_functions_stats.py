"""Mesh's statistics: the MIN and MAX overloads and PERCENTILE's methods, with the worked
examples of their pages (Volue-Public/energy-smp-docs, docs/mesh/calculations/functions/
min.md, max.md, percentile.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from workbench.calc import MemoryResolver, evaluate
from workbench.errors import ExpressionError

OWNER = "Model/M/Obj"
START, END = "2024-01-01", "2024-01-01T04:00"


def hourly(values: list[float]) -> xr.DataArray:
    return xr.DataArray(
        np.asarray(values, dtype=float),
        coords={"event_start": pd.date_range(START, periods=len(values), freq="h")},
        dims="event_start",
        attrs={"units": "", "timezone": "UTC", "curve_type": "step", "resolution": "PT1H"},
    )


# three ensemble members with sums 10, 20 and 6 over the period
ENSEMBLE = {"E1": [1.0, 2.0, 3.0, 4.0], "E2": [5.0, 5.0, 5.0, 5.0], "E3": [3.0, 1.0, 1.0, 1.0]}


@pytest.fixture
def resolver() -> MemoryResolver:
    series = {f"{OWNER}.To_Members/{k}.Temperature": hourly(v) for k, v in ENSEMBLE.items()}
    series[f"{OWNER}.Raw"] = hourly([-5.0, 0.0, 5.0, 10.0])
    series[f"{OWNER}.Correction"] = hourly([0.0, -1.0, 2.0, 20.0])
    return MemoryResolver(series=series)


def run(resolver: MemoryResolver, text: str) -> object:
    return evaluate(text, resolver, START, END, relative_to=OWNER)


def values(resolver: MemoryResolver, text: str) -> list[float]:
    out = run(resolver, text)
    assert isinstance(out, xr.DataArray)
    return [round(float(v), 6) for v in out.values]


def test_min_and_max_examples(resolver: MemoryResolver) -> None:
    # min.md example 2: @MIN({1, 5, 8, 2.5, 11}) is 1; example 7: @MIN(8, 2.5) is 2.5
    assert run(resolver, "@MIN({1, 5, 8, 2.5, 11})") == 1.0
    assert run(resolver, "@MIN(8, 2.5)") == 2.5
    assert run(resolver, "@MAX({1, 5, 8, 2.5, 11})") == 11.0
    # example 3: the minimum of the period is -5, and the series divided by it
    assert run(resolver, "@MIN(@t('.Raw'))") == -5.0
    assert values(resolver, "@t('.Raw') / @MIN(@t('.Raw'))") == [1.0, -0.0, -1.0, -2.0]
    # example 4: point by point of two series
    assert values(resolver, "@MIN(@t('.Raw'), @t('.Correction'))") == [-5.0, -1.0, 2.0, 10.0]
    # example 5: an array and a series together, point by point
    members = "@T('.To_Members/*.Temperature')"
    assert values(resolver, f"@MIN({members}, @t('.Correction'))") == [0.0, -1.0, 1.0, 1.0]
    assert values(resolver, f"@MAX(@t('.Raw'), {members})") == [5.0, 5.0, 5.0, 10.0]
    assert values(resolver, f"@MAX({members}, {members})") == [5.0, 5.0, 5.0, 5.0]
    # example 6: a series and a number
    assert values(resolver, "@MIN(@t('.Raw'), -0.5)") == [-5.0, -0.5, -0.5, -0.5]


def test_percentile_by_sum_methods(resolver: MemoryResolver) -> None:
    members = "@T('.To_Members/*.Temperature')"
    # percentile.md example 2: P100 by sum is the member with the highest sum (E2, sum 20)
    assert values(resolver, f"@PERCENTILE({members}, 100, 'BY_SUM')") == ENSEMBLE["E2"]
    # ranks: E3 (sum 6) is P0, E1 (sum 10) P50, E2 P100; 75 takes the rank at or below it
    assert values(resolver, f"@PERCENTILE({members}, 75, 'BY_SUM')") == ENSEMBLE["E1"]
    assert values(resolver, f"@PERCENTILE({members}, 0, 'BY_SUM')") == ENSEMBLE["E3"]
    # example 3: scaled by the mean of all members over the chosen member's mean (3 / 5)
    scaled = values(resolver, f"@PERCENTILE({members}, 100, 'SCALED_MEAN_BY_SUM')")
    np.testing.assert_allclose(scaled, [3.0] * 4)
    # example 4: the point-by-point maximum, scaled so its sum is the highest member sum
    point = np.max(np.array(list(ENSEMBLE.values())), axis=0)
    expected = point * 20.0 / point.sum()
    np.testing.assert_allclose(
        values(resolver, f"@PERCENTILE({members}, 100, 'SCALED_BY_SUM')"), expected
    )
    # the standard method interpolates point by point
    np.testing.assert_allclose(
        values(resolver, f"@PERCENTILE({members}, 50)"),
        np.percentile(np.array(list(ENSEMBLE.values())), 50, axis=0),
    )
    with pytest.raises(ExpressionError, match="BY_SUM, SCALED_MEAN_BY_SUM, SCALED_BY_SUM"):
        run(resolver, f"@PERCENTILE({members}, 50, 'BY_MEDIAN')")


def test_sum_and_mean_examples() -> None:
    # sum.md example 2: 0,79 + -0,30 = 0,49 in the first row
    # mean.md example 2: (-1,26 + 3,09 + 8,87) / 3 = 3,57 at 01:00; example 3: 5.5
    series = {
        f"{OWNER}.To_W/A.T": hourly([0.79, -1.26]),
        f"{OWNER}.To_W/B.T": hourly([-0.30, 3.09]),
        f"{OWNER}.To_W/C.T": hourly([0.0, 8.87]),
    }
    resolver = MemoryResolver(series=series)
    end = "2024-01-01T02:00"
    total = evaluate("@SUM(@T('.To_W/*.T'))", resolver, START, end, relative_to=OWNER)
    mean = evaluate("@MEAN(@T('.To_W/*.T'))", resolver, START, end, relative_to=OWNER)
    assert isinstance(total, xr.DataArray) and isinstance(mean, xr.DataArray)
    assert round(float(total.values[0]), 2) == 0.49
    assert round(float(mean.values[1]), 2) == 3.57
    assert evaluate("@MEAN(1, 5, 8, 2.5, 11)", resolver, START, end) == 5.5
    assert evaluate("@MEAN({1, 5, 8, 2.5, 11})", resolver, START, end) == 5.5
