"""Reading beliefs to ingest from pandas and xarray objects into plain columns.

Recognised columns (or index levels): ``event_start``, ``value`` (``event_value`` is read as
``value``), and optionally ``belief_time``, ``belief_horizon``, ``source``,
``cumulative_probability`` and ``flags``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import NDArray

from workbench.errors import InvalidValue

__all__ = ["COLUMNS", "RawBeliefs", "read_beliefs"]

COLUMNS = (
    "event_start",
    "value",
    "belief_time",
    "belief_horizon",
    "source",
    "cumulative_probability",
    "flags",
)
_ALIASES = {"event_value": "value"}


@dataclass(frozen=True, eq=False)
class RawBeliefs:
    """Columns as read, before any checking of times, units or resolutions.

    ``naive_is_utc`` marks xarray input (times are naive UTC by convention); ``unit``,
    ``resolution`` and ``timezone`` are what the input says about itself, if anything.
    """

    columns: dict[str, Any]
    naive_is_utc: bool = False
    unit: str | None = None
    resolution: Any = None
    timezone: str | None = None

    @property
    def value(self) -> NDArray[np.float64]:
        """The values as float64 (NaN where missing)."""
        try:
            numbers = pd.to_numeric(pd.Series(self.columns["value"]), errors="raise")
        except (ValueError, TypeError) as exc:
            raise InvalidValue(f"column 'value' must hold numbers ({exc})") from None
        return np.asarray(numbers.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)


def read_beliefs(data: object) -> RawBeliefs:
    """Return the columns of a pandas Series/DataFrame or an xarray DataArray/Dataset."""
    if isinstance(data, pd.Series):
        return _from_series(data)
    if isinstance(data, pd.DataFrame) and _is_beliefs_frame(data):
        return _from_beliefs_frame(data)
    if isinstance(data, pd.DataFrame):
        return RawBeliefs(_frame_columns(data, strict=True))
    if isinstance(data, xr.DataArray | xr.Dataset):
        return _from_xarray(data)
    raise InvalidValue(
        f"cannot ingest a {type(data).__name__}; give a pandas Series (index = event starts), "
        f"a DataFrame with columns {list(COLUMNS)}, or an xarray DataArray/Dataset"
    )


def _is_beliefs_frame(frame: pd.DataFrame) -> bool:
    """A timely-beliefs BeliefsDataFrame (told by its shape: timely-beliefs is optional)."""
    return hasattr(frame, "convert_index_from_belief_horizon_to_time") and hasattr(frame, "sensor")


def _from_beliefs_frame(frame: Any) -> RawBeliefs:
    """A BeliefsDataFrame as it is: horizons become belief times by its own sensor's rule;
    its sensor's unit and its event resolution say what the values are."""
    if "belief_horizon" in frame.index.names:
        frame = frame.convert_index_from_belief_horizon_to_time()
    if "event_end" in frame.index.names:
        frame = frame.convert_index_from_event_end_to_start()
    sensor = frame.sensor
    plain = pd.DataFrame(frame).reset_index()
    if "source" in plain.columns:
        plain["source"] = [str(getattr(s, "name", s)) for s in plain["source"]]
    columns = _frame_columns(plain, strict=True)
    return RawBeliefs(
        columns,
        unit=getattr(sensor, "unit", None) or None,
        resolution=getattr(frame, "event_resolution", None),
        timezone=getattr(sensor, "timezone", None),
    )


def _from_series(series: pd.Series) -> RawBeliefs:
    if isinstance(series.index, pd.MultiIndex):
        return RawBeliefs(_frame_columns(series.rename("value").to_frame(), strict=True))
    if not isinstance(series.index, pd.DatetimeIndex):
        raise InvalidValue(
            f"a Series to ingest needs a DatetimeIndex of event starts, got a "
            f"{type(series.index).__name__}"
        )
    columns = {"event_start": series.index, "value": series.reset_index(drop=True)}
    return RawBeliefs(columns, resolution=_frequency(series.index))


def _frequency(index: pd.DatetimeIndex) -> pd.Timedelta | None:
    """The index's fixed frequency, if it has one (calendar frequencies do not count)."""
    if index.freq is None:
        return None
    try:
        return pd.Timedelta(index.freq)  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return None


def _frame_columns(frame: pd.DataFrame, *, strict: bool) -> dict[str, Any]:
    names = [name for name in frame.index.names if name is not None]
    if names:
        frame = frame.reset_index()
    elif isinstance(frame.index, pd.DatetimeIndex) and "event_start" not in frame.columns:
        frame = frame.reset_index(names="event_start")
    frame = frame.rename(columns=_ALIASES)
    unknown = [str(name) for name in frame.columns if name not in COLUMNS]
    if unknown and strict:
        raise InvalidValue(
            f"unknown columns {unknown}; the columns (or index levels) to ingest are "
            f"{list(COLUMNS)} ('event_value' is read as 'value')"
        )
    missing = [name for name in ("event_start", "value") if name not in frame.columns]
    if missing:
        raise InvalidValue(
            f"missing columns {missing}; give at least 'event_start' (or a DatetimeIndex) "
            f"and 'value', got {[str(name) for name in frame.columns]}"
        )
    # Columns stay pandas Series: numpy would turn timezone-aware times into Python objects.
    return {name: frame[name].reset_index(drop=True) for name in COLUMNS if name in frame.columns}


def _from_xarray(data: xr.DataArray | xr.Dataset) -> RawBeliefs:
    dataset = data.to_dataset(name="value") if isinstance(data, xr.DataArray) else data
    if "value" not in dataset.data_vars:
        raise InvalidValue(
            f"an xarray Dataset to ingest needs a 'value' variable, got {list(dataset.data_vars)}"
        )
    if "belief" in dataset.dims:
        columns = {
            name: np.asarray(dataset[name].values)
            for name in COLUMNS
            if name in dataset.variables and dataset[name].dims == ("belief",)
        }
    else:
        columns = _xarray_table(dataset)
    return RawBeliefs(
        columns,
        naive_is_utc=True,
        unit=dataset["value"].attrs.get("units"),
        resolution=dataset.attrs.get("resolution"),
        timezone=dataset.attrs.get("timezone"),
    )


def _xarray_table(dataset: xr.Dataset) -> dict[str, Any]:
    """Flatten a series-layout (or any gridded) Dataset, leaving out combinations with no belief."""
    if "event_start" not in dataset.dims:
        times = [dim for dim in dataset.dims if np.issubdtype(dataset[dim].dtype, np.datetime64)]
        if len(times) != 1:
            raise InvalidValue(
                f"cannot tell which dimension holds the event starts among {list(dataset.dims)}; "
                "name it 'event_start'"
            )
        dataset = dataset.rename({times[0]: "event_start"})
    keep = [name for name in ("value", "flags", "belief_time") if name in dataset.data_vars]
    frame = dataset[keep].to_dataframe().reset_index()
    if "belief_time" in frame.columns:
        frame = frame[frame["belief_time"].notna()]
    return _frame_columns(frame[[c for c in frame.columns if c in COLUMNS]], strict=False)
