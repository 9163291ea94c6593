"""Which beliefs a read wants: one checked record of the belief filters every query takes.

``Sensor.beliefs``, ``Workspace.beliefs`` and whatever else reads beliefs take the same keyword
arguments (``start``, ``end``, ``as_of``, ``beliefs_after``, ``beliefs_before``,
``horizon_at_least``, ``horizon_at_most``, ``sources``, ``source_types``, ``most_recent``,
``probabilistic``); :func:`belief_filter` turns them into a :class:`BeliefFilter` once, with
times parsed (timezone-aware, by :func:`~workbench.beliefs.timing.aware_instant`) and durations
parsed, so what reads beliefs works on checked values only.

>>> f = belief_filter("2025-01-01T00:00+01:00", "2025-01-02T00:00+01:00", as_of="2025-01-01T00:00Z",
...                   horizon_at_least="PT24H", sources=["meter", 7])
>>> f.start, f.horizon_at_least, f.sources
(Timestamp('2024-12-31 23:00:00+0000', tz='UTC'), Timedelta('1 days 00:00:00'), ('meter', 7))
>>> f.cutoff
Timestamp('2025-01-01 00:00:00+0000', tz='UTC')
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from workbench.beliefs.rules import belief_horizon
from workbench.beliefs.sources import Source
from workbench.beliefs.timing import Duration, aware_instant, parse_duration
from workbench.errors import InvalidValue

if TYPE_CHECKING:
    from workbench.beliefs.sensor import SensorInfo
    from workbench.beliefs.sources import SourceRef

__all__ = ["BeliefFilter", "TimeLike", "belief_filter", "instant"]

#: A time argument: a timezone-aware datetime or pd.Timestamp, or an ISO text with an offset.
TimeLike: TypeAlias = "str | pd.Timestamp | Any"


def instant(value: TimeLike | None, what: str) -> int | None:
    """A timezone-aware time as µs since the epoch (None stays None); naive times are refused.

    >>> instant("2025-01-01T01:00+01:00", "start")
    1735689600000000
    """
    return None if value is None else _us(aware_instant(value, what))


def _us(stamp: pd.Timestamp) -> int:
    return int(stamp.value) // 1000


@dataclass(frozen=True)
class BeliefFilter:
    """Which beliefs to read, checked (make one with :func:`belief_filter`).

    Attributes
    ----------
    start, end
        Events starting in [start, end) (UTC; None: unbounded).
    as_of, beliefs_after, beliefs_before
        Beliefs formed at or before ``as_of`` and ``beliefs_before``, at or after
        ``beliefs_after`` (UTC; None: unbounded).
    horizon_at_least, horizon_at_most
        Beliefs whose horizon (knowledge time minus belief time) lies in this range.
    sources
        Source ids and names (None: every source); a name stands for every source of that name.
    source_types
        Source types ("meter", ...; None: every type).
    most_recent
        One belief per event, source and probability: the latest that passes the filters.
    probabilistic
        Keep all quantiles; False keeps the median (0.5) beliefs only.
    """

    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    as_of: pd.Timestamp | None = None
    beliefs_after: pd.Timestamp | None = None
    beliefs_before: pd.Timestamp | None = None
    horizon_at_least: pd.Timedelta | None = None
    horizon_at_most: pd.Timedelta | None = None
    sources: tuple[int | str, ...] | None = None
    source_types: tuple[str, ...] | None = None
    most_recent: bool = False
    probabilistic: bool = True

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise InvalidValue(
                f"end {self.end.isoformat()!r} must come after start {self.start.isoformat()!r}"
            )

    @property
    def cutoff(self) -> pd.Timestamp | None:
        """The latest belief time wanted: the earlier of ``as_of`` and ``beliefs_before``."""
        times = [t for t in (self.as_of, self.beliefs_before) if t is not None]
        return min(times) if times else None

    @property
    def by_horizon(self) -> bool:
        """Whether beliefs are kept by their horizon (which needs the sensor's rule)."""
        return self.horizon_at_least is not None or self.horizon_at_most is not None

    def horizon_mask(
        self,
        event_start: NDArray[np.datetime64],
        belief_time: NDArray[np.datetime64],
        sensor: SensorInfo,
    ) -> NDArray[np.bool_]:
        """Which beliefs (naive UTC times) have a horizon in range under the sensor's rule."""
        horizon = belief_horizon(
            event_start, belief_time, sensor.knowledge_time, sensor.resolution, sensor.timezone
        )
        keep = np.ones(len(horizon), dtype=bool)
        if self.horizon_at_least is not None:
            keep &= horizon >= self.horizon_at_least.to_timedelta64()
        if self.horizon_at_most is not None:
            keep &= horizon <= self.horizon_at_most.to_timedelta64()
        return keep


def _time(value: TimeLike | None, what: str) -> pd.Timestamp | None:
    return None if value is None else aware_instant(value, what)


def _duration(value: Duration | None, what: str) -> pd.Timedelta | None:
    return None if value is None else parse_duration(value, what)


def _sources(refs: Iterable[SourceRef] | SourceRef | None) -> tuple[int | str, ...] | None:
    if refs is None:
        return None
    items = [refs] if isinstance(refs, Source | int | str) else list(refs)
    keys = [r.id if isinstance(r, Source) else r for r in items]
    bad = [k for k in keys if not isinstance(k, int | str) or isinstance(k, bool)]
    if bad:
        raise InvalidValue(f"sources are named by Source, id or name, got {bad[0]!r}")
    return tuple(keys)


def _types(types: Iterable[str] | str | None) -> tuple[str, ...] | None:
    if types is None:
        return None
    wanted = (types,) if isinstance(types, str) else tuple(types)
    bad = [t for t in wanted if not isinstance(t, str)]
    if bad:
        raise InvalidValue(f"source_types are type names such as 'meter', got {bad[0]!r}")
    return wanted


def belief_filter(
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    *,
    as_of: TimeLike | None = None,
    beliefs_after: TimeLike | None = None,
    beliefs_before: TimeLike | None = None,
    horizon_at_least: Duration | None = None,
    horizon_at_most: Duration | None = None,
    sources: Iterable[SourceRef] | SourceRef | None = None,
    source_types: Iterable[str] | str | None = None,
    most_recent: bool = False,
    probabilistic: bool = True,
) -> BeliefFilter:
    """The belief filters of a query, checked; see :meth:`workbench.Sensor.beliefs`.

    Times must be timezone-aware (naive ones are refused), ``end`` must come after ``start``,
    horizons are durations ("PT24H", a timedelta), sources are named by Source, id or name.
    """
    t0, t1 = _time(start, "start"), _time(end, "end")
    if t0 is not None and t1 is not None and t1 <= t0:
        raise InvalidValue(f"end {end!r} must come after start {start!r}")
    return BeliefFilter(
        start=t0,
        end=t1,
        as_of=_time(as_of, "as_of"),
        beliefs_before=_time(beliefs_before, "beliefs_before"),
        beliefs_after=_time(beliefs_after, "beliefs_after"),
        horizon_at_least=_duration(horizon_at_least, "horizon_at_least"),
        horizon_at_most=_duration(horizon_at_most, "horizon_at_most"),
        sources=_sources(sources),
        source_types=_types(source_types),
        most_recent=bool(most_recent),
        probabilistic=bool(probabilistic),
    )
