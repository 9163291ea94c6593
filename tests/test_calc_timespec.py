"""Mesh's time vocabulary: macros, explicit literals, zone codes and calendar intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from workbench.calc import MemoryResolver, evaluate
from workbench.calc.fn_temporal import parse_offset
from workbench.calc.fn_timeinfo import parse_frequency
from workbench.calc.periods import Zones, boundaries, current_zones, parse_interval, split_zone
from workbench.calc.timespec import parse_timespec, resolve_time, show, to_ns
from workbench.errors import InvalidValue
from workbench.metamodel import mesh_literal, parse_time

# docs/mesh/calculations/timepoint-macros.md: "assume current time is Wednesday, October 22,
# 2025 10:41:49 AM", inside the DST period (local time UTC+2).
NOW = to_ns("2025-10-22T10:41:49+02:00")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # docs/mesh/calculations/timepoint-macros.md, explicit time points
        ("20251022", "2025-10-21T23:00:00Z"),
        ("202510220143", "2025-10-22T00:43:00Z"),
        ("LOCAL20251022", "2025-10-21T22:00:00Z"),
        # docs/mesh/calculations/timepoint-macros.md, macros relative to the current time
        ("DAY+2h", "2025-10-22T01:00:00Z"),
        ("UTCDAY+2h", "2025-10-22T02:00:00Z"),
        ("LOCALDAY+2h", "2025-10-22T00:00:00Z"),
        # docs/mesh/calculations/functions/get_ts_as_of_time.md: December 1st 2012 (STANDARD)
        ("20121201000000000", "2012-11-30T23:00:00Z"),
        ("UTC20210917000000000", "2021-09-17T00:00:00Z"),
        ("STANDARD20251022", "2025-10-21T23:00:00Z"),
        ("20251022014312345", "2025-10-22T00:43:12Z"),
    ],
)
def test_documented_time_points(text: str, expected: str) -> None:
    assert show(resolve_time(text, NOW)) == expected


def test_week_offsets_count_days_hours_and_minutes() -> None:
    # x is minutes (timepoint-macros.md): Monday 20 October 00:00 +01:00, +2 days +14 h -10 min.
    assert show(resolve_time("WEEK+2d+14h-10x", NOW)) == "2025-10-22T12:50:00Z"
    assert show(resolve_time("UTCWEEK", NOW)) == "2025-10-20T00:00:00Z"
    assert show(resolve_time("MIN15+1x", NOW)) == "2025-10-22T08:31:00Z"  # 09:30 +01:00
    assert show(resolve_time("HOUR<UTC>", NOW)) == "2025-10-22T08:00:00Z"


def test_time_mask_day_points_are_standard_time() -> None:
    # docs/mesh/calculations/functions/time_mask.md, example 1: 'DAY+07h' is 06:00 UTC in
    # January (STANDARD, UTC+1), and 'DAY<LT>' 07:00 local summer time is 05:00 UTC.
    jan = to_ns("2022-01-01T12:00Z")
    assert show(resolve_time("DAY+07h", jan)) == "2022-01-01T06:00:00Z"
    assert show(resolve_time("DAY<UTC>+07h", jan)) == "2022-01-01T07:00:00Z"
    april = to_ns("2022-04-01T12:00Z")
    assert show(resolve_time("DAY<LT>+07h", april)) == "2022-04-01T05:00:00Z"
    assert show(resolve_time("DAY<Europe/London>+07h", april)) == "2022-04-01T06:00:00Z"


def test_year_hydyear_month_quarter_anchors() -> None:
    march = to_ns("2024-03-15T12:00Z")
    # docs/mesh/calculations/functions/accumulate.md: HYDYEAR runs from 1 September.
    assert show(resolve_time("HYDYEAR", march)) == "2023-08-31T23:00:00Z"  # UTC+1
    assert show(resolve_time("UTCHYDYEAR", march)) == "2023-09-01T00:00:00Z"
    assert show(resolve_time("UTCYEAR+10d", march)) == "2024-01-11T00:00:00Z"
    assert show(resolve_time("UTCQUARTER", to_ns("2024-05-15"))) == "2024-04-01T00:00:00Z"
    assert show(resolve_time("UTCMONTH-1d", march)) == "2024-02-29T00:00:00Z"


def test_period_and_now_anchors() -> None:
    period = (to_ns("2024-01-01T00:00Z"), to_ns("2024-02-01T00:00Z"))
    # docs/mesh/calculations/functions/push_ext_period.md: '-1h' extends the start by an hour.
    assert show(resolve_time("-1h", period[0])) == "2023-12-31T23:00:00Z"
    assert show(resolve_time("SOP", period=period)) == "2024-01-01T00:00:00Z"
    assert show(resolve_time("EOP+1d", period=period)) == "2024-02-02T00:00:00Z"
    assert show(resolve_time("NOW-1h", now=NOW)) == "2025-10-22T07:41:49Z"
    # Calendar anchors count from the period's start when no reference is given.
    assert show(resolve_time("UTCMONTH+1d", period=period)) == "2024-01-02T00:00:00Z"
    assert parse_timespec("SOP").needs_period
    with pytest.raises(ValueError, match="names the calculation period"):
        resolve_time("EOP")


def test_wall_clock_offsets_across_dst() -> None:
    # 31 March 2024 lasts 23 hours in Europe/Oslo: DAY+7h is 07:00 local (05:00 UTC), and
    # LOCALDAY+1d is the next local midnight, 23 hours after the day's start.
    day = to_ns("2024-03-31T12:00Z")
    assert show(resolve_time("LOCALDAY+7h", day)) == "2024-03-31T05:00:00Z"
    assert resolve_time("LOCALDAY+1d", day) - resolve_time("LOCALDAY", day) == 23 * 3600 * 10**9


def test_iso_text_is_read_by_the_one_time_parser() -> None:
    assert show(resolve_time("2024-05-01T06:00Z")) == "2024-05-01T06:00:00Z"
    assert show(resolve_time("2024-05-01T06:00")) == "2024-05-01T06:00:00Z"  # naive is UTC
    assert show(resolve_time("2024-05-01T08:00+02:00")) == "2024-05-01T06:00:00Z"


def test_configured_zones() -> None:
    zones = Zones(standard="+02:00", local="America/New_York", database="Asia/Tokyo")
    jan = to_ns("2022-01-01T12:00Z")
    assert zones.standard == "Etc/GMT-2"
    assert show(resolve_time("DAY", jan, zones=zones)) == "2021-12-31T22:00:00Z"
    assert show(resolve_time("LTDAY", jan, zones=zones)) == "2022-01-01T05:00:00Z"
    assert show(resolve_time("DBDAY", jan, zones=zones)) == "2021-12-31T15:00:00Z"
    assert Zones(database=None).resolve("DB") == "Etc/GMT-1"  # DB falls back to STANDARD


def test_zones_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert current_zones() == Zones()
    monkeypatch.setenv("WORKBENCH_STANDARD_ZONE", "UTC+3")
    monkeypatch.setenv("WORKBENCH_LOCAL_ZONE", "Europe/Helsinki")
    assert current_zones() == Zones("Etc/GMT-3", "Europe/Helsinki")
    assert show(resolve_time("20240101", 0)) == "2023-12-31T21:00:00Z"
    monkeypatch.setenv("WORKBENCH_STANDARD_ZONE", "Mars/Olympus")
    with pytest.raises(ValueError, match="zone 'Mars/Olympus' is not known"):
        current_zones()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("WEKK+1d", "is not understood; use an explicit time"),
        ("DAY+1y", "is not understood"),
        ("2012120", "8 to 17 digits"),
        ("201213010", "8 to 17 digits"),
        ("20121301", "8 to 17 digits"),
        ("DAY<Mars/Olympus>", "zone 'Mars/Olympus' is not known"),
    ],
)
def test_bad_time_points(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_timespec(text)


def test_mesh_literals_in_the_one_time_parser() -> None:
    assert mesh_literal("20121201") == to_ns("2012-12-01")
    assert mesh_literal("2012120112") == to_ns("2012-12-01T12:00")
    assert mesh_literal("20121201123456789") == to_ns("2012-12-01T12:34:56.789")
    assert mesh_literal("201212011") is None
    assert mesh_literal("20121232") is None
    stamp = parse_time("UTC20210917000000000")
    assert stamp.isoformat() == "2021-09-17T00:00:00+00:00"
    with pytest.raises(InvalidValue, match="not a valid time"):
        parse_time("UTC20211317")


def test_calendar_intervals_with_zones_and_hydyear() -> None:
    assert split_zone("UTCWEEK") == ("UTC", "WEEK")
    week = parse_interval("UTCWEEK")
    assert (week.unit, week.zone) == ("week", "UTC")
    assert parse_interval("DAY<LT>").zone == "LT"
    assert parse_interval("MIN15").fixed_ns == 15 * 60 * 10**9
    start, end = to_ns("2023-01-10"), to_ns("2023-01-20")
    # UTCWEEK counts Mondays at 00:00 UTC whatever the zone the caller passes.
    b = boundaries(week, start, end, "Europe/Oslo")
    assert [show(int(x)) for x in b] == [
        "2023-01-09T00:00:00Z", "2023-01-16T00:00:00Z", "2023-01-23T00:00:00Z"
    ]  # fmt: skip
    # docs/mesh/calculations/functions/accumulate.md: HYDYEAR "from 1. September until next
    # 1. September (standard calendar)".
    hyd = parse_interval("HYDYEAR")
    b = boundaries(hyd, to_ns("2023-03-01"), to_ns("2024-10-01"), "UTC")
    assert [show(int(x)) for x in b] == [
        "2022-09-01T00:00:00Z", "2023-09-01T00:00:00Z", "2024-09-01T00:00:00Z",
        "2025-09-01T00:00:00Z",
    ]  # fmt: skip
    assert np.all(np.diff(b) > 0)
    with pytest.raises(ValueError, match="zone 'Nowhere/Land' is not known"):
        parse_interval("DAY<Nowhere/Land>")


def test_accumulate_hydyear_and_transform_utcweek_in_expressions() -> None:
    # docs/mesh/calculations/functions/accumulate.md, example 3:
    # @ACCUMULATE(@t('Precipitation_hour_operative'),'>', 'HYDYEAR'); here daily values of 1 in
    # the UTC calendar, so the sum restarts at 1 September 00:00 UTC.
    days = pd.date_range("2023-08-29", "2023-09-04", freq="D")
    rain = xr.DataArray(
        np.ones(len(days)),
        coords={"event_start": days},
        dims="event_start",
        attrs={"units": "mm", "resolution": "P1D"},
    )
    resolver = MemoryResolver(series={"Model/M.Rain": rain})
    sums = evaluate(
        "@ACCUMULATE(@t('.Rain'), 'UTCHYDYEAR')", resolver, "2023-08-30", "2023-09-04",
        relative_to="Model/M",
    )  # fmt: skip
    assert sums.values.tolist() == [2.0, 3.0, 1.0, 2.0, 3.0]
    weeks = evaluate(
        "@TRANSFORM(@t('.Rain'), 'UTCWEEK', 'SUM')", resolver, "2023-08-28", "2023-09-04",
        relative_to="Model/M",
    )  # fmt: skip
    assert weeks.values.tolist() == [6.0]  # 29 Aug to 3 Sep; the week starts on Monday 28 Aug


def test_every_function_reads_time_text_and_zone_codes_alike() -> None:
    # one parser: DELTA's offsets, TIME_MASK's frequency zones and the zone aliases of TRANSFORM
    assert parse_timespec("+1d-2h").duration_ns == 22 * 3600 * 10**9
    assert parse_timespec("DAY+2h").duration_ns is None
    assert parse_timespec("UTC20240101").duration_ns is None
    assert parse_offset("-15x").ns == -15 * 60 * 10**9
    assert parse_offset("+2h-15x").ns == 105 * 60 * 10**9
    assert parse_frequency("LOCALWEEK").zone == "Europe/Oslo"
    assert parse_frequency("WEEK<Europe/Paris><Linear>").zone == "Europe/Paris"
    zones = Zones()
    assert [zones.resolve(code) for code in ("NT", "NORMAL", "LOKAL")] == [
        "Etc/GMT-1",
        "Etc/GMT-1",
        "Europe/Oslo",
    ]
    assert split_zone("NTDAY") == ("NT", "DAY")
    with pytest.raises(ValueError, match="zone 'Mars' is not known"):
        parse_frequency("DAY<Mars>")


def test_iso_dates_and_spaced_iso_times_are_read() -> None:
    assert show(resolve_time("2024-05-01")) == "2024-05-01T00:00:00Z"
    assert show(resolve_time("2024-05-01 12:00+02:00")) == "2024-05-01T10:00:00Z"
    with pytest.raises(ValueError, match="is not understood"):
        parse_timespec("2024-13-01")
