"""Mesh's status functions on the `flags` coordinate: STATUS_COUNT and RESET_STATUS.

Pages: Volue-Public/energy-smp-docs, docs/mesh/calculations/functions/status_count.md and
reset_status.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from workbench.beliefs.flags import Flag
from workbench.calc import MemoryResolver, evaluate
from workbench.errors import ExpressionError

OWNER = "Model/M/Obj"
START, END = "2024-01-01", "2024-01-01T04:00"
OK, MISSING, NOT_OK, MANUAL = 0, int(Flag.MISSING), int(Flag.NOT_OK), int(Flag.MANUAL)


def hourly(values: list[float], flags: list[int]) -> xr.DataArray:
    return xr.DataArray(
        np.asarray(values, dtype=float),
        coords={
            "event_start": pd.date_range(START, periods=len(values), freq="h"),
            "flags": ("event_start", np.asarray(flags, dtype=np.uint32)),
        },
        dims="event_start",
        attrs={"units": "", "timezone": "UTC", "curve_type": "step", "resolution": "PT1H"},
    )


@pytest.fixture
def resolver() -> MemoryResolver:
    return MemoryResolver(
        series={
            f"{OWNER}.Ts1": hourly([1.0, np.nan, 3.0, 4.0], [OK, MISSING, MANUAL, NOT_OK]),
            f"{OWNER}.Ts2": hourly([1.0, 2.0, 3.0, 4.0], [NOT_OK, NOT_OK, OK, NOT_OK | MANUAL]),
            f"{OWNER}.Ts3": hourly([1.0, 2.0, 3.0, 4.0], [OK, NOT_OK, OK, OK]),
        }
    )


def run(resolver: MemoryResolver, text: str) -> object:
    return evaluate(text, resolver, START, END, relative_to=OWNER)


def test_status_count(resolver: MemoryResolver) -> None:
    # status_count.md example 1: points flagged missing or manual
    assert run(resolver, "@STATUS_COUNT(@t('.Ts1'), 'missing|MANUAL')") == 2.0
    # example 2: per time, how many of three series are not ok
    out = run(resolver, "@STATUS_COUNT({@t('.Ts1'), @t('.Ts2'), @t('.Ts3')}, 'notok')")
    assert isinstance(out, xr.DataArray)
    assert out.values.tolist() == [1.0, 2.0, 0.0, 2.0]
    # the workbench's names and numbers mean the same
    assert run(resolver, "@STATUS_COUNT(@t('.Ts2'), 'NOT_OK')") == 3.0
    assert run(resolver, f"@STATUS_COUNT(@t('.Ts2'), {NOT_OK})") == 3.0


def test_reset_status(resolver: MemoryResolver) -> None:
    # reset_status.md example 1: every status cleared; example 2: only 'notok'
    out = run(resolver, "@RESET_STATUS(@t('.Ts2'))")
    assert isinstance(out, xr.DataArray)
    assert out.coords["flags"].values.tolist() == [0, 0, 0, 0]
    assert out.values.tolist() == [1.0, 2.0, 3.0, 4.0]
    some = run(resolver, "@RESET_STATUS(@t('.Ts2'), 'notok')")
    assert isinstance(some, xr.DataArray)
    assert some.coords["flags"].values.tolist() == [0, 0, 0, MANUAL]
    with pytest.raises(ExpressionError, match="status 'V01' is not known"):
        run(resolver, "@RESET_STATUS(@t('.Ts2'), 'notok|V01')")
