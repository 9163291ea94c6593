"""Belief times of FlexMeasures beliefs, computed as FlexMeasures computes them.

FlexMeasures stores a belief's horizon; its belief time is the knowledge time of the event minus
that horizon, and the knowledge time comes from the sensor's ``knowledge_horizon_fnc`` and
``knowledge_horizon_par`` (timely-beliefs' ``sensors/func_store/knowledge_horizons.py``):
``ex_post`` adds the event resolution as an absolute duration (a day is 24 hours there, also on
the days clocks change), ``x_days_ago_at_y_oclock`` reads the wall clock of its zone ``z``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from workbench.beliefs import AtDate, ExAnte, ExPost, KnowledgeTimeRule, XDaysAgoAtYOClock
from workbench.beliefs.timing import from_local, to_local
from workbench.errors import InvalidValue

__all__ = ["FmRule", "fm_rule"]

_US = np.timedelta64(1, "us")


def _duration(value: object, what: str) -> pd.Timedelta:
    try:
        parsed = pd.Timedelta(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidValue(f"{what} {value!r} is not a duration such as 'PT0H'") from None
    if pd.isna(parsed):
        raise InvalidValue(f"{what} {value!r} is not a duration such as 'PT0H'")
    return parsed


@dataclass(frozen=True)
class FmRule:
    """A FlexMeasures sensor's knowledge-time function, ready to compute belief times.

    ``rule`` is the workbench rule the sensor gets (None where the workbench has none alike).
    """

    function: str
    parameters: Mapping[str, Any]
    resolution: timedelta
    rule: KnowledgeTimeRule | None

    def knowledge_time_us(self, event_start_us: NDArray[np.int64]) -> NDArray[np.int64]:
        """Knowledge times (µs since 1970, UTC) of events starting at ``event_start_us``."""
        starts = event_start_us.astype("datetime64[us]")
        fn, par = self.function, self.parameters
        known: NDArray[Any]
        if fn == "ex_post":
            shift = pd.Timedelta(self.resolution) + _duration(
                par.get("ex_post_horizon", "PT0H"), "ex_post_horizon"
            )
            known = starts.astype("datetime64[ns]") + shift.to_timedelta64()
        elif fn == "ex_ante":
            ahead = _duration(par.get("ex_ante_horizon", "PT0H"), "ex_ante_horizon")
            known = starts.astype("datetime64[ns]") - ahead.to_timedelta64()
        elif fn in {"x_days_ago_at_y_oclock", "at_date"}:
            assert self.rule is not None
            known = self.rule.knowledge_time(starts.astype("datetime64[ns]"), self.resolution, None)
        else:  # x_years_ago_at_date: midnight of a date x years before the event's year, in z
            zone = str(par.get("z") or "UTC")
            local = to_local(starts.astype("datetime64[ns]"), zone)
            years = local.astype("datetime64[Y]").astype(np.int64) + 1970 - int(par.get("x", 1))
            walls = np.array(
                [
                    np.datetime64(f"{y:04d}-{int(par['month']):02d}-{int(par['day']):02d}", "ns")
                    for y in years
                ],
                dtype="datetime64[ns]",
            ).reshape(local.shape)
            known = from_local(walls, zone)
        return np.asarray(known.astype("datetime64[us]").view(np.int64), dtype=np.int64)

    def belief_time_us(
        self, event_start_us: NDArray[np.int64], horizon_us: NDArray[np.int64]
    ) -> NDArray[np.int64]:
        """Belief times (µs since 1970, UTC): knowledge time minus belief horizon."""
        return self.knowledge_time_us(event_start_us) - horizon_us


def fm_rule(
    function: str | None, parameters: Mapping[str, Any] | None, resolution: timedelta
) -> FmRule:
    """The rule of a FlexMeasures sensor from its ``knowledge_horizon_fnc`` and ``_par``.

    >>> fm_rule("x_days_ago_at_y_oclock", {"x": 1, "y": 12, "z": "Europe/Amsterdam"}, timedelta(hours=1)).rule
    XDaysAgoAtYOClock(x=1, y=12, timezone='Europe/Amsterdam')
    """
    fn = "x_days_ago_at_y_oclock" if function == "x_days_ago_at_y_o_clock" else function
    par = dict(parameters or {})
    rule: KnowledgeTimeRule | None
    if fn in (None, "ex_post"):
        fn = "ex_post"
        rule = ExPost(_duration(par.get("ex_post_horizon", "PT0H"), "ex_post_horizon"))
    elif fn == "ex_ante":
        rule = ExAnte(_duration(par.get("ex_ante_horizon", "PT0H"), "ex_ante_horizon"))
    elif fn == "at_date":
        rule = AtDate(str(par.get("knowledge_time")))
    elif fn == "x_days_ago_at_y_oclock":
        rule = XDaysAgoAtYOClock(int(par["x"]), par["y"], str(par["z"]))
    elif fn == "x_years_ago_at_date":
        if not {"day", "month"} <= set(par):
            raise InvalidValue(f"x_years_ago_at_date needs 'day' and 'month', got {par!r}")
        rule = None
    else:
        raise InvalidValue(
            f"knowledge_horizon_fnc {function!r} is not one of FlexMeasures' functions "
            "(ex_post, ex_ante, at_date, x_days_ago_at_y_oclock, x_years_ago_at_date)"
        )
    return FmRule(fn, par, resolution, rule)
