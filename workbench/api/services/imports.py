"""Beliefs brought in from another system: only those the store does not hold yet are written.

The arrays are the store's own (times in µs since 1970, UTC; store source ids). A belief whose
key (event, source, probability, belief time) and value the sensor already holds is left out,
so that importing the same beliefs again adds nothing and costs a read, not a write.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from workbench.access import Action
from workbench.api.services.sensors import load_sensor
from workbench.store import beliefs as store

if TYPE_CHECKING:
    from workbench.api.context import Context

__all__ = ["add_new_beliefs"]

_KEY = ("event_start", "source_id", "cumulative_probability", "belief_time")


def _keys(arrays: dict[str, NDArray[Any]]) -> NDArray[Any]:
    rows = np.empty(
        len(arrays["event_start"]),
        dtype=[("e", "i8"), ("s", "i8"), ("p", "f8"), ("b", "i8"), ("v", "f8")],
    )
    rows["e"], rows["s"] = arrays["event_start"], arrays["source_id"]
    rows["p"], rows["b"] = arrays["cumulative_probability"], arrays["belief_time"]
    rows["v"] = np.nan_to_num(arrays["value"], nan=np.inf)  # NaN equals NaN here
    return rows


def add_new_beliefs(ctx: Context, sensor_id: int, arrays: dict[str, NDArray[Any]]) -> int:
    """Write the beliefs the sensor does not hold yet (takes "post data" on its object);
    returns how many were written. Joins the caller's transaction when one is open."""
    n = len(arrays["event_start"])
    if n == 0:
        return 0
    with ctx.tx() as s:
        info = load_sensor(ctx, sensor_id, Action.CREATE)
        events = arrays["event_start"]
        stored = store.read_beliefs(
            s,
            info.id,
            int(events.min()),
            int(events.max()) + 1,
            [int(i) for i in np.unique(arrays["source_id"])],
        )
        if len(stored["event_start"]):
            new = ~np.isin(_keys(arrays), _keys(stored))
            arrays = {k: v[new] for k, v in arrays.items()}
        if "flags" not in arrays:
            arrays = {**arrays, "flags": np.zeros(len(arrays["event_start"]), dtype=np.int64)}
        if len(arrays["event_start"]) == 0:
            return 0
        return store.write_beliefs(s, info.id, {k: arrays[k] for k in (*_KEY, "value", "flags")})
