"""Beliefs without SQL: quality flags, knowledge-time rules, and preparing data to ingest.

A belief is a value about an event (its start, in the sensor's resolution) held by a source at a
belief time, possibly as a quantile (cumulative probability). Everything here works on numpy
arrays of naive UTC ``datetime64[ns]`` with the timezone given beside them.
"""

from __future__ import annotations

from workbench.beliefs.flags import Flag
from workbench.beliefs.inputs import COLUMNS
from workbench.beliefs.prepare import NanPolicy, PreparedBeliefs, prepare_beliefs
from workbench.beliefs.rules import (
    AtDate,
    ExAnte,
    ExPost,
    KnowledgeTimeRule,
    XDaysAgoAtYOClock,
    belief_horizon,
    belief_time_from_horizon,
    parse_rule,
    rule_from_dict,
    rule_from_json,
    rule_to_json,
)
from workbench.beliefs.timing import (
    check_timezone,
    event_ends,
    floor_starts,
    parse_duration,
    parse_resolution,
)

__all__ = [
    "COLUMNS",
    "AtDate",
    "ExAnte",
    "ExPost",
    "Flag",
    "KnowledgeTimeRule",
    "NanPolicy",
    "PreparedBeliefs",
    "XDaysAgoAtYOClock",
    "belief_horizon",
    "belief_time_from_horizon",
    "check_timezone",
    "event_ends",
    "floor_starts",
    "parse_duration",
    "parse_resolution",
    "parse_rule",
    "prepare_beliefs",
    "rule_from_dict",
    "rule_from_json",
    "rule_to_json",
]
