"""The ``beliefs`` accessor on xarray Datasets (composition: it holds the Dataset it serves)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import pandas as pd
import xarray as xr

from workbench.beliefs.timing import Duration
from workbench.xr import analysis, convert, frames, resample, timely, viewpoints

__all__ = ["BeliefsAccessor"]


@xr.register_dataset_accessor("beliefs")  # type: ignore[no-untyped-call]
class BeliefsAccessor:
    """Belief operations on a beliefs Dataset: ``ds.beliefs.fixed_viewpoint(t)`` and so on.

    Selections (``fixed_viewpoint``, ``rolling_viewpoint``, ``most_recent``) take the beliefs
    layout and return the series layout; ``resample`` takes the series layout.
    """

    def __init__(self, dataset: xr.Dataset) -> None:
        self._dataset = dataset

    def fixed_viewpoint(self, belief_time: Any = None) -> xr.Dataset:
        """Per event, source and probability, the latest belief with belief_time <= t."""
        return viewpoints.fixed_viewpoint(self._dataset, belief_time)

    def rolling_viewpoint(self, horizon: Duration) -> xr.Dataset:
        """Per event, source and probability, the latest belief made at least ``horizon``
        before the event's knowledge time."""
        return viewpoints.rolling_viewpoint(self._dataset, horizon)

    def most_recent(self) -> xr.Dataset:
        """Per event, source and probability, the belief formed last."""
        return viewpoints.most_recent(self._dataset)

    def belief_history(self, event_start: Any) -> xr.Dataset:
        """All beliefs about one event, ordered by belief time, with their horizons."""
        return viewpoints.belief_history(self._dataset, event_start)

    def resample(self, resolution: Duration, *, timezone: str | None = None) -> xr.Dataset:
        """Resample the series layout: energy sums, power averages; days on the local clock."""
        return resample.resample_series(self._dataset, resolution, timezone=timezone)

    def accuracy(
        self,
        reference: str,
        *,
        horizon_bins: Sequence[Duration] | None = None,
        by_horizon: bool = True,
    ) -> xr.Dataset:
        """MAE, MAPE, WAPE and RMSE of the other sources against ``reference``."""
        return analysis.accuracy(
            self._dataset, reference, horizon_bins=horizon_bins, by_horizon=by_horizon
        )

    def lineage(self) -> xr.Dataset:
        """Counts of beliefs, events, sources and belief times, per source and in total."""
        return analysis.lineage(self._dataset)

    def to_pandas(self) -> pd.DataFrame:
        """A frame indexed by (event_start, belief_time, source, cumulative_probability)."""
        return convert.to_pandas(self._dataset)

    def to_frame(self, *, wide: bool = False, timezone: str | None = None) -> pd.DataFrame:
        """A flat table: one row per belief (long form), or per event with one column per
        sensor and quantile (``wide=True``); times timezone-aware in ``timezone`` (UTC)."""
        return frames.to_frame(self._dataset, wide=wide, timezone=timezone)

    def to_parquet(
        self, path: str | os.PathLike[str], *, wide: bool = False, timezone: str | None = None
    ) -> int:
        """Write :meth:`to_frame` to a Parquet file (needs pyarrow); returns the rows written."""
        return frames.to_parquet(self._dataset, path, wide=wide, timezone=timezone)

    def to_series(self, source: str | None = None) -> xr.DataArray:
        """The 1-D series over event_start for the calculation language."""
        return convert.to_series(self._dataset, source)

    def to_timely_beliefs(self) -> Any:
        """A timely-beliefs ``BeliefsDataFrame`` of every belief, its sensor carrying the
        Dataset's unit, timezone, resolution and knowledge-time rule (needs timely-beliefs)."""
        return timely.to_timely_beliefs(self._dataset)
