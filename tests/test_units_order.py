"""pint-xarray works whether it or the workbench is imported first (a fresh interpreter each)."""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = """
import {first}, {second}
import numpy as np, xarray as xr
da = xr.DataArray(np.arange(3.0), dims="t", attrs={{"units": "MW"}})
print(da.pint.quantify().pint.to("kW").pint.dequantify().values.tolist())
"""


@pytest.mark.parametrize(("first", "second"), [("pint_xarray", "workbench"), ("workbench", "pint_xarray")])
def test_quantify_in_either_import_order(first: str, second: str) -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(first=first, second=second)],
        capture_output=True, text=True, check=True,
    )
    assert out.stdout.strip() == "[0.0, 1000.0, 2000.0]"
