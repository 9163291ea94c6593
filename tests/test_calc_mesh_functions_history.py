"""Mesh's statistics over past years: Normal and PERCENTILE(t, from, to, p).

Pages: Volue-Public/energy-smp-docs, docs/mesh/calculations/functions/normal.md and
percentile.md (Syntax1: "the year 2010 is not included"; percentiles between the ranks of the
years are interpolated).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from workbench.calc import MemoryResolver, evaluate, infer_unit
from workbench.errors import ExpressionError

OWNER = "Model/M/Obj"
# daily on the standard calendar (local midnight, UTC+1, is 23:00Z), 1999-12-31 to 2012
DAYS = pd.date_range("1999-12-30T23:00", "2012-12-31T23:00", freq="D")
LOCAL = DAYS + pd.Timedelta(hours=1)
VALUES = (LOCAL.year * 1000 + LOCAL.day_of_year).to_numpy(dtype=float)
START, END = "2023-12-31T23:00", "2024-01-03T23:00"  # 1, 2 and 3 January 2024, local


@pytest.fixture
def resolver() -> MemoryResolver:
    data = xr.DataArray(
        VALUES,
        coords={"event_start": DAYS},
        dims="event_start",
        attrs={"units": "degC", "timezone": "UTC", "curve_type": "step", "resolution": "P1D"},
    )
    return MemoryResolver(series={f"{OWNER}.Temperature": data})


def values(resolver: MemoryResolver, text: str) -> list[float]:
    out = evaluate(text, resolver, START, END, relative_to=OWNER)
    assert isinstance(out, xr.DataArray)
    return out.values.tolist()


@pytest.mark.parametrize(
    ("kind", "year"),
    [("'Max'", 2009), ("'MIN'", 2000), ("'AVERAGE'", 2004.5), ("'MEDIAN'", 2004.5)],
)
def test_normal_over_the_years_from_to(resolver: MemoryResolver, kind: str, year: float) -> None:
    got = values(resolver, f"@Normal(@t('.Temperature'), 2000, 2010, {kind}, 'NONE', 0)")
    np.testing.assert_allclose(got, [year * 1000 + d for d in (1, 2, 3)])


def test_normal_smoothing_and_unit(resolver: MemoryResolver) -> None:
    # an AVERAGE over 3 days (size 2 grows to 3) of days 365/366, 1, 2 of the year before
    got = values(resolver, "@Normal(@t('.Temperature'), 2001, 2002, 'MAX', 'AVERAGE', 2)")
    expected = np.mean([2000366.0, 2001001.0, 2001002.0])
    assert got[0] == pytest.approx(expected)
    assert infer_unit(
        "@Normal(@t('.Temperature'), 2001, 2002, 'MAX', 'NONE', 0)", resolver, relative_to=OWNER
    ) in ("°C", "degC")
    with pytest.raises(ExpressionError, match="not yet offered"):
        values(resolver, "@Normal(@t('.Temperature'), 2000, 2010, 'MAX', 'GAUSS', 3)")
    with pytest.raises(ExpressionError, match="MIN, MAX, AVERAGE, MEDIAN"):
        values(resolver, "@Normal(@t('.Temperature'), 2000, 2010, 'MODE', 'NONE', 0)")


def test_percentile_over_years(resolver: MemoryResolver) -> None:
    # percentile.md example 1: P100 over 2000-2010 is the highest year's value, 2010 excluded
    got = values(resolver, "@PERCENTILE(@t('.Temperature'), 2000, 2010, 100)")
    assert got == [2009001.0, 2009002.0, 2009003.0]
    # ten years make P0, P11.1, ... P100; 75 lies between ranks, interpolated
    p75 = values(resolver, "@PERCENTILE(@t('.Temperature'), 2000, 2010, 75)")
    np.testing.assert_allclose(p75, [2006750.0 + d for d in (1, 2, 3)])
    with pytest.raises(ExpressionError, match="earlier to a later"):
        values(resolver, "@PERCENTILE(@t('.Temperature'), 2010, 2000, 50)")
