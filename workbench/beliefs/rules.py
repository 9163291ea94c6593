"""Knowledge-time rules: when an event can be known, and the belief horizons they imply.

A sensor's rule gives every event a knowledge time; the horizon of a belief is that knowledge time
minus the belief time (positive: said in advance, zero: said when it could be known, negative:
said afterwards). Rules are frozen dataclasses stored as data (``to_dict``), never as functions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from workbench.beliefs.timing import (
    DatetimeArray,
    Duration,
    TimedeltaArray,
    as_ns,
    check_timezone,
    event_ends,
    from_local,
    parse_duration,
    parse_resolution,
    to_local,
)
from workbench.errors import InvalidValue

__all__ = [
    "AtDate",
    "ExAnte",
    "ExPost",
    "KnowledgeTimeRule",
    "XDaysAgoAtYOClock",
    "belief_horizon",
    "belief_time_from_horizon",
    "parse_rule",
    "rule_from_dict",
    "rule_from_json",
    "rule_to_json",
]


def _iso(duration: timedelta) -> str:
    return str(pd.Timedelta(duration).isoformat())


def _duration_field(value: object, what: str) -> timedelta:
    if isinstance(value, timedelta | np.timedelta64 | str):
        return parse_duration(value, what).to_pytimedelta()
    raise InvalidValue(f"{what} must be a duration such as 'PT1H', got {value!r}")


@dataclass(frozen=True)
class ExPost:
    """Known when the event ends, plus ``after`` (default: at once).

    Measurements are of this kind: 10:00-10:15 is known at 10:15.
    """

    after: timedelta = field(default=timedelta(0))
    kind: ClassVar[str] = "ex_post"

    def __post_init__(self) -> None:
        object.__setattr__(self, "after", _duration_field(self.after, "ex_post 'after'"))

    def knowledge_time(
        self, event_starts: ArrayLike, resolution: Duration, timezone: str | None
    ) -> DatetimeArray:
        """Return the knowledge time of each event (naive UTC ``datetime64[ns]``)."""
        ends = event_ends(event_starts, parse_resolution(resolution), timezone)
        return ends + np.timedelta64(self.after, "ns")

    def to_dict(self) -> dict[str, Any]:
        """Return the rule as JSON-able data."""
        data: dict[str, Any] = {"type": self.kind}
        if self.after:
            data["after"] = _iso(self.after)
        return data


@dataclass(frozen=True)
class ExAnte:
    """Known ``before`` the event starts (default: when it starts)."""

    before: timedelta = field(default=timedelta(0))
    kind: ClassVar[str] = "ex_ante"

    def __post_init__(self) -> None:
        object.__setattr__(self, "before", _duration_field(self.before, "ex_ante 'before'"))

    def knowledge_time(
        self, event_starts: ArrayLike, resolution: Duration, timezone: str | None
    ) -> DatetimeArray:
        """Return the knowledge time of each event (naive UTC ``datetime64[ns]``)."""
        return as_ns(event_starts) - np.timedelta64(self.before, "ns")

    def to_dict(self) -> dict[str, Any]:
        """Return the rule as JSON-able data."""
        data: dict[str, Any] = {"type": self.kind}
        if self.before:
            data["before"] = _iso(self.before)
        return data


@dataclass(frozen=True, init=False)
class AtDate:
    """Every event is known from one moment on (a tariff known from its contract date).

    Built as ``AtDate(knowledge_time)`` with a timezone-aware time; kept in UTC as ``moment``.
    """

    moment: datetime
    kind: ClassVar[str] = "at_date"

    def __init__(self, knowledge_time: datetime | str) -> None:
        stamp = pd.Timestamp(knowledge_time) if isinstance(knowledge_time, str) else knowledge_time
        if not isinstance(stamp, datetime) or stamp.tzinfo is None:
            raise InvalidValue(
                f"at_date needs a timezone-aware knowledge time such as "
                f"'2025-01-01T00:00+01:00', got {knowledge_time!r}"
            )
        utc = pd.Timestamp(stamp).tz_convert("UTC").to_pydatetime()
        object.__setattr__(self, "moment", utc)

    def knowledge_time(
        self, event_starts: ArrayLike, resolution: Duration, timezone: str | None
    ) -> DatetimeArray:
        """Return the knowledge time of each event (naive UTC ``datetime64[ns]``)."""
        moment = np.datetime64(self.moment.replace(tzinfo=None), "ns")
        return np.full(np.shape(event_starts), moment, dtype="datetime64[ns]")

    def to_dict(self) -> dict[str, Any]:
        """Return the rule as JSON-able data."""
        return {"type": self.kind, "knowledge_time": self.moment.isoformat()}


@dataclass(frozen=True)
class XDaysAgoAtYOClock:
    """Known ``x`` days before the event's day at ``y`` o'clock on the local clock.

    Day-ahead prices published at 12:00 the day before are ``XDaysAgoAtYOClock(1, 12)``; the day
    is the event start's date in ``timezone`` (the sensor's when None), and ``y`` is wall-clock
    time there, so the horizon to an event follows the clock changes.
    """

    x: int
    y: int | float
    timezone: str | None = None
    kind: ClassVar[str] = "x_days_ago_at_y_oclock"

    def __post_init__(self) -> None:
        if isinstance(self.x, bool) or not isinstance(self.x, int | np.integer):
            raise InvalidValue(f"x (days) must be a whole number such as 1, got {self.x!r}")
        valid_y = isinstance(self.y, int | float) and not isinstance(self.y, bool)
        if not valid_y or not 0 <= self.y < 24:
            raise InvalidValue(
                f"y (o'clock) must be a number in [0, 24) such as 12, got {self.y!r}"
            )
        if self.timezone is not None:
            check_timezone(self.timezone)

    def knowledge_time(
        self, event_starts: ArrayLike, resolution: Duration, timezone: str | None
    ) -> DatetimeArray:
        """Return the knowledge time of each event (naive UTC ``datetime64[ns]``)."""
        zone = self.timezone or timezone
        if zone is None:
            raise InvalidValue(
                "x_days_ago_at_y_oclock needs a timezone: give the rule one or pass the sensor's"
            )
        days = to_local(event_starts, zone).astype("datetime64[D]")
        # Clocks are read per distinct day: a million events span few days.
        unique_days, inverse = np.unique(days, return_inverse=True)
        wall = (unique_days - np.timedelta64(int(self.x), "D")).astype("datetime64[ns]")
        wall = wall + np.timedelta64(round(float(self.y) * 3600e9), "ns")
        return from_local(wall, zone)[inverse.reshape(days.shape)]

    def to_dict(self) -> dict[str, Any]:
        """Return the rule as JSON-able data."""
        return {"type": self.kind, "x": int(self.x), "y": self.y, "timezone": self.timezone}


KnowledgeTimeRule: TypeAlias = ExPost | ExAnte | AtDate | XDaysAgoAtYOClock
_RULES: dict[str, type[KnowledgeTimeRule]] = {
    rule.kind: rule for rule in (ExPost, ExAnte, AtDate, XDaysAgoAtYOClock)
}


def rule_from_dict(data: Mapping[str, Any]) -> KnowledgeTimeRule:
    """Return the rule that ``to_dict`` described.

    >>> rule_from_dict({"type": "x_days_ago_at_y_oclock", "x": 1, "y": 12, "timezone": None})
    XDaysAgoAtYOClock(x=1, y=12, timezone=None)
    """
    if not isinstance(data, Mapping) or data.get("type") not in _RULES:
        got = data.get("type") if isinstance(data, Mapping) else data
        raise InvalidValue(
            f"knowledge-time rule {got!r} is unknown; use one of {sorted(_RULES)} "
            "as {'type': ..., ...}"
        )
    arguments = {key: value for key, value in data.items() if key != "type"}
    try:
        return _RULES[str(data["type"])](**arguments)
    except TypeError as exc:
        raise InvalidValue(f"knowledge-time rule {dict(data)!r} has wrong fields ({exc})") from None


def rule_to_json(rule: KnowledgeTimeRule) -> str:
    """Return the rule as a JSON text (as kept in ``attrs["knowledge_time"]``)."""
    return json.dumps(rule.to_dict(), sort_keys=True)


def rule_from_json(text: str) -> KnowledgeTimeRule:
    """Return the rule from a JSON text written by ``rule_to_json``."""
    try:
        data = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise InvalidValue(f"knowledge-time rule {text!r} is not JSON ({exc})") from None
    return rule_from_dict(data)


def parse_rule(value: KnowledgeTimeRule | Mapping[str, Any] | str) -> KnowledgeTimeRule:
    """Return a rule from a rule, its dict, its JSON text or a bare name such as "ex_post"."""
    if isinstance(value, ExPost | ExAnte | AtDate | XDaysAgoAtYOClock):
        return value
    if isinstance(value, str):
        text = value.strip()
        return rule_from_json(text) if text.startswith("{") else rule_from_dict({"type": text})
    return rule_from_dict(value)


def belief_horizon(
    event_starts: ArrayLike,
    belief_times: ArrayLike,
    rule: KnowledgeTimeRule,
    resolution: Duration,
    timezone: str | None,
) -> TimedeltaArray:
    """Return knowledge time minus belief time for each belief (``timedelta64[ns]``)."""
    knowledge = rule.knowledge_time(event_starts, resolution, timezone)
    return knowledge - as_ns(belief_times)


def belief_time_from_horizon(
    event_starts: ArrayLike,
    horizons: ArrayLike,
    rule: KnowledgeTimeRule,
    resolution: Duration,
    timezone: str | None,
) -> DatetimeArray:
    """Return the belief times that the horizons imply: knowledge time minus horizon."""
    knowledge = rule.knowledge_time(event_starts, resolution, timezone)
    times: DatetimeArray = knowledge - np.asarray(horizons).astype("timedelta64[ns]")
    return times
