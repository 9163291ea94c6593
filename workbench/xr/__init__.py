"""Beliefs as xarray: the two Dataset layouts, their builders, and the ``beliefs`` accessor.

Importing this package registers ``Dataset.beliefs``::

    import workbench.xr
    series = ds.beliefs.fixed_viewpoint("2025-01-15T12:00Z")
"""

from __future__ import annotations

from workbench.xr.accessor import BeliefsAccessor
from workbench.xr.analysis import accuracy, lineage
from workbench.xr.build import (
    CurveType,
    Layout,
    beliefs_dataset,
    layout,
    series_dataset,
    source_codes,
)
from workbench.xr.convert import long_beliefs, to_pandas, to_series
from workbench.xr.frames import quantile_column, to_frame, to_parquet, wide_frame
from workbench.xr.resample import resample_series
from workbench.xr.viewpoints import belief_history, fixed_viewpoint, most_recent, rolling_viewpoint

__all__ = [
    "BeliefsAccessor",
    "CurveType",
    "Layout",
    "accuracy",
    "belief_history",
    "beliefs_dataset",
    "fixed_viewpoint",
    "layout",
    "lineage",
    "long_beliefs",
    "most_recent",
    "quantile_column",
    "resample_series",
    "rolling_viewpoint",
    "series_dataset",
    "source_codes",
    "to_frame",
    "to_pandas",
    "to_parquet",
    "to_series",
    "wide_frame",
]
