"""Beliefs Datasets as timely-beliefs ``BeliefsDataFrame``s, with the sensor's metadata.

timely-beliefs is an optional extra (it needs pandas < 3): it is imported when asked for.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import xarray as xr

from workbench.beliefs import AtDate, ExAnte, ExPost, XDaysAgoAtYOClock, parse_rule
from workbench.errors import InvalidValue
from workbench.xr.convert import to_pandas

__all__ = ["to_timely_beliefs"]


def _knowledge_horizon(rule: Any, timezone: str, tb_horizons: Any) -> tuple[Any, dict[str, Any]]:
    """The timely-beliefs knowledge-horizon function and parameters of a workbench rule."""
    if isinstance(rule, ExPost):
        return tb_horizons.ex_post, {"ex_post_horizon": rule.after}
    if isinstance(rule, ExAnte):
        return tb_horizons.ex_ante, {"ex_ante_horizon": rule.before}
    if isinstance(rule, AtDate):
        return tb_horizons.at_date, {"knowledge_time": rule.moment}
    assert isinstance(rule, XDaysAgoAtYOClock)
    return tb_horizons.x_days_ago_at_y_oclock, {
        "x": rule.x,
        "y": rule.y,
        "z": rule.timezone or timezone,
    }


def to_timely_beliefs(dataset: xr.Dataset) -> Any:
    """A ``timely_beliefs.BeliefsDataFrame`` of every belief in the Dataset, indexed by
    (event_start, belief_time, source, cumulative_probability), its sensor carrying the
    Dataset's name, unit, timezone, resolution and knowledge-time rule."""
    try:
        import timely_beliefs as tb
        from timely_beliefs.sensors.func_store import knowledge_horizons
    except ImportError:
        raise InvalidValue(
            "to_timely_beliefs needs timely-beliefs (pip install 'workbench[timely]'; it "
            "needs pandas < 3)"
        ) from None
    attrs = dataset.attrs
    timezone = str(attrs.get("timezone", "UTC"))
    rule = parse_rule(attrs.get("knowledge_time") or "ex_post")
    sensor = tb.Sensor(
        name=str(attrs.get("sensor", "sensor")),
        unit=str(dataset["value"].attrs.get("units", "")),
        timezone=timezone,
        event_resolution=pd.Timedelta(attrs.get("resolution", "PT0S")).to_pytimedelta(),
        knowledge_horizon=_knowledge_horizon(rule, timezone, knowledge_horizons),
    )
    frame = to_pandas(dataset)
    names = frame.index.get_level_values("source")
    sources = {str(name): tb.BeliefSource(str(name)) for name in names.unique()}
    columns = pd.DataFrame(
        {
            "event_start": frame.index.get_level_values("event_start"),
            "belief_time": frame.index.get_level_values("belief_time"),
            "source": [sources[str(name)] for name in names],
            "cumulative_probability": frame.index.get_level_values("cumulative_probability"),
            "event_value": frame["value"].to_numpy(),
        }
    )
    return tb.BeliefsDataFrame(columns, sensor=sensor)
