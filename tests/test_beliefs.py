"""Tests for workbench.beliefs: flags, knowledge-time rules and prepare_beliefs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from workbench.beliefs import (
    AtDate,
    ExAnte,
    ExPost,
    Flag,
    PreparedBeliefs,
    XDaysAgoAtYOClock,
    belief_horizon,
    parse_rule,
    prepare_beliefs,
    rule_from_dict,
    rule_from_json,
    rule_to_json,
)
from workbench.errors import InvalidValue, UnitError

AMS = "Europe/Amsterdam"
NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)


def utc(*texts: str) -> np.ndarray:
    return np.array(texts, dtype="datetime64[ns]")


def prepare(data: object, **options: object) -> PreparedBeliefs:
    settings: dict[str, object] = {
        "sensor_unit": "kW",
        "sensor_resolution": "PT15M",
        "sensor_timezone": AMS,
        "now": NOW,
    }
    settings.update(options)
    return prepare_beliefs(data, **settings)  # type: ignore[arg-type]


def quarter_hours(values: list[float], start: str = "2025-01-01T00:00+01:00") -> pd.Series:
    index = pd.date_range(start, periods=len(values), freq="15min")
    return pd.Series(values, index=index)


# --- flags -------------------------------------------------------------------------------------


def test_flag_bits_are_documented_values_that_fit_32_bits() -> None:
    assert Flag.OK == 0
    assert [Flag.MISSING, Flag.SUSPECT, Flag.NOT_OK] == [1, 2, 4]
    assert [Flag.MANUAL, Flag.VALIDATED, Flag.CORRECTED] == [256, 512, 1024]
    combined = np.array([Flag.SUSPECT | Flag.MANUAL], dtype=np.uint32)
    assert Flag(int(combined[0])) == Flag.SUSPECT | Flag.MANUAL
    assert Flag.MANUAL in Flag(int(combined[0]))


# --- knowledge-time rules ----------------------------------------------------------------------


def test_ex_post_knows_an_event_when_it_ends() -> None:
    starts = utc("2025-01-01T10:00", "2025-01-01T10:15")
    known = ExPost().knowledge_time(starts, "PT15M", AMS)
    np.testing.assert_array_equal(known, utc("2025-01-01T10:15", "2025-01-01T10:30"))
    later = ExPost(after=timedelta(hours=1)).knowledge_time(starts, "PT15M", AMS)
    np.testing.assert_array_equal(later, utc("2025-01-01T11:15", "2025-01-01T11:30"))


def test_ex_ante_knows_an_event_before_it_starts() -> None:
    starts = utc("2025-01-01T10:00")
    np.testing.assert_array_equal(ExAnte().knowledge_time(starts, "PT1H", AMS), starts)
    known = ExAnte(before="PT2H").knowledge_time(starts, "PT1H", AMS)
    np.testing.assert_array_equal(known, utc("2025-01-01T08:00"))


def test_at_date_knows_every_event_at_one_moment() -> None:
    rule = AtDate(datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=1))
    known = rule.knowledge_time(utc("2030-01-01", "2031-01-01"), "P1D", AMS)
    np.testing.assert_array_equal(known, utc("2025-01-01T01:00", "2025-01-01T01:00"))
    assert AtDate("2025-01-01T02:00+01:00") == rule


def test_at_date_refuses_a_naive_time() -> None:
    with pytest.raises(InvalidValue, match=r"timezone-aware knowledge time.*datetime\.datetime"):
        AtDate(datetime(2025, 1, 1))


def test_x_days_ago_at_y_oclock_reads_the_local_clock() -> None:
    rule = XDaysAgoAtYOClock(1, 12)
    # 2025-01-02 10:00 local (09:00 UTC) was known on 2025-01-01 at 12:00 local (11:00 UTC).
    known = rule.knowledge_time(utc("2025-01-02T09:00", "2025-01-01T23:30"), "PT1H", AMS)
    np.testing.assert_array_equal(known, utc("2025-01-01T11:00", "2025-01-01T11:00"))
    half = XDaysAgoAtYOClock(0, 12.5, "UTC").knowledge_time(utc("2025-01-02T09:00"), "PT1H", AMS)
    np.testing.assert_array_equal(half, utc("2025-01-02T12:30"))


def test_x_days_ago_needs_a_timezone_from_somewhere() -> None:
    with pytest.raises(InvalidValue, match="needs a timezone"):
        XDaysAgoAtYOClock(1, 12).knowledge_time(utc("2025-01-01"), "PT1H", None)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((1.5, 12), r"x \(days\) must be a whole number such as 1, got 1\.5"),
        ((True, 12), r"x \(days\) must be a whole number"),
        ((1, 24), r"y \(o'clock\) must be a number in \[0, 24\) such as 12, got 24"),
        ((1, -1), r"y \(o'clock\) must be a number in \[0, 24\)"),
        ((1, 12, "Mars/Olympus"), r"timezone 'Mars/Olympus' is unknown"),
    ],
)
def test_x_days_ago_refuses_bad_parameters(arguments: tuple[object, ...], message: str) -> None:
    with pytest.raises(InvalidValue, match=message):
        XDaysAgoAtYOClock(*arguments)


@pytest.mark.parametrize(
    "rule",
    [
        ExPost(),
        ExPost(after=timedelta(minutes=5)),
        ExAnte(),
        ExAnte(before=timedelta(days=1)),
        AtDate(datetime(2025, 1, 1, tzinfo=UTC)),
        XDaysAgoAtYOClock(1, 12),
        XDaysAgoAtYOClock(2, 10.5, AMS),
    ],
)
def test_rules_round_trip_through_json_data(rule: object) -> None:
    data = rule.to_dict()
    assert rule_from_dict(json.loads(json.dumps(data))) == rule
    assert rule_from_json(rule_to_json(rule)) == rule
    assert parse_rule(rule_to_json(rule)) == rule


def test_parse_rule_reads_bare_names() -> None:
    assert parse_rule("ex_post") == ExPost()
    assert parse_rule("ex_ante") == ExAnte()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"type": "sometimes"}, r"rule 'sometimes' is unknown; use one of \['at_date', 'ex_ante'"),
        ({"kind": "ex_post"}, r"rule None is unknown"),
        ({"type": "x_days_ago_at_y_oclock", "x": 1}, r"has wrong fields"),
    ],
)
def test_rule_from_dict_refuses_what_it_cannot_read(data: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidValue, match=message):
        rule_from_dict(data)


def test_rule_from_json_refuses_text_that_is_no_json() -> None:
    with pytest.raises(InvalidValue, match=r"rule '\{nope' is not JSON"):
        rule_from_json("{nope")


def test_belief_horizon_is_knowledge_time_minus_belief_time() -> None:
    starts = utc("2025-01-01T10:00", "2025-01-01T10:00", "2025-01-01T10:00")
    believed = utc("2025-01-01T09:00", "2025-01-01T10:15", "2025-01-01T11:00")
    horizons = belief_horizon(starts, believed, ExPost(), "PT15M", AMS)
    expected = np.array([75, 0, -45], dtype="timedelta64[m]").astype("timedelta64[ns]")
    np.testing.assert_array_equal(horizons, expected)


# --- prepare_beliefs: times --------------------------------------------------------------------


def test_prepare_reads_a_series_of_aware_timestamps() -> None:
    prepared = prepare(quarter_hours([1.0, 2.0]), source="meter")
    np.testing.assert_array_equal(prepared.event_start, utc("2024-12-31T23:00", "2024-12-31T23:15"))
    assert prepared.event_start.dtype == np.dtype("datetime64[ns]")
    np.testing.assert_array_equal(prepared.value, [1.0, 2.0])
    np.testing.assert_array_equal(prepared.source, ["meter", "meter"])
    np.testing.assert_array_equal(prepared.cumulative_probability, [0.5, 0.5])
    assert prepared.flags.dtype == np.uint32
    assert len(prepared) == 2


def test_prepare_refuses_naive_timestamps_without_a_timezone() -> None:
    naive = pd.Series([1.0], index=pd.DatetimeIndex(["2025-01-01 00:00"]))
    with pytest.raises(InvalidValue) as caught:
        prepare(naive)
    message = str(caught.value)
    assert "naive timestamps (such as '2025-01-01 00:00:00')" in message
    assert "timezone='Europe/Amsterdam'" in message


def test_prepare_reads_naive_timestamps_in_the_given_timezone() -> None:
    naive = pd.Series([1.0], index=pd.DatetimeIndex(["2025-07-01 00:00"]))
    prepared = prepare(naive, timezone=AMS)
    np.testing.assert_array_equal(prepared.event_start, utc("2025-06-30T22:00"))


def test_prepare_infers_the_repeated_autumn_hour_of_sorted_local_times() -> None:
    local = pd.DatetimeIndex(
        ["2025-10-26 01:00", "2025-10-26 02:00", "2025-10-26 02:00", "2025-10-26 03:00"]
    )
    prepared = prepare(
        pd.Series([1.0, 2.0, 3.0, 4.0], index=local), timezone=AMS, sensor_resolution="PT1H"
    )
    expected = utc("2025-10-25T23:00", "2025-10-26T00:00", "2025-10-26T01:00", "2025-10-26T02:00")
    np.testing.assert_array_equal(prepared.event_start, expected)


def test_prepare_refuses_local_times_that_do_not_exist() -> None:
    local = pd.DatetimeIndex(["2025-03-30 02:30"])
    with pytest.raises(InvalidValue, match=r"do not exist or are ambiguous in Europe/Amsterdam"):
        prepare(pd.Series([1.0], index=local), timezone=AMS)


def test_prepare_floors_starts_to_the_resolution_on_the_sensor_clock() -> None:
    stamps = pd.DatetimeIndex(["2025-01-01T10:07+00:00"])
    prepared = prepare(pd.Series([1.0], index=stamps), sensor_resolution="PT1H")
    np.testing.assert_array_equal(prepared.event_start, utc("2025-01-01T10:00"))
    # India is 5:30 ahead of UTC: local hours start at half past the UTC hour.
    kolkata = prepare(
        pd.Series([1.0], index=stamps), sensor_resolution="PT1H", sensor_timezone="Asia/Kolkata"
    )
    np.testing.assert_array_equal(kolkata.event_start, utc("2025-01-01T09:30"))


# --- prepare_beliefs: units and resolution ----------------------------------------------------


def test_prepare_converts_into_the_sensor_unit() -> None:
    prepared = prepare(quarter_hours([1500.0]), unit="W")
    np.testing.assert_allclose(prepared.value, [1.5])
    celsius = prepare(quarter_hours([212.0]), unit="degF", sensor_unit="degC")
    np.testing.assert_allclose(celsius.value, [100.0])
    prices = prepare(quarter_hours([80.0]), unit="EUR/MWh", sensor_unit="EUR/kWh")
    np.testing.assert_allclose(prices.value, [0.08])


def test_prepare_converts_energy_per_event_into_power() -> None:
    prepared = prepare(quarter_hours([1.0, 2.0]), unit="kWh")
    np.testing.assert_allclose(prepared.value, [4.0, 8.0])


def test_prepare_refuses_an_incompatible_unit() -> None:
    with pytest.raises(UnitError, match=r"from 'EUR' .* to 'kW'"):
        prepare(quarter_hours([1.0]), unit="EUR")


def test_prepare_refuses_energy_into_power_for_instantaneous_events() -> None:
    # No frequency on the index, an instantaneous sensor: nothing says how long events last.
    index = pd.DatetimeIndex(["2025-01-01T00:00Z", "2025-01-01T00:15Z"])
    points = pd.Series([1.0, 2.0], index=index)
    with pytest.raises(UnitError, match=r"'kWh' and 'kW' needs the duration"):
        prepare(points, unit="kWh", sensor_resolution="PT0S")
    given = prepare(points, unit="kWh", sensor_resolution="PT0S", resolution="PT15M")
    np.testing.assert_array_equal(given.value, [4.0, 8.0])


def test_prepare_sums_energy_when_joining_events() -> None:
    prepared = prepare(
        quarter_hours([1.0, 2.0, 3.0, 4.0, 5.0]),
        unit="kWh",
        sensor_unit="kWh",
        sensor_resolution="PT1H",
    )
    np.testing.assert_array_equal(prepared.value, [10.0, 5.0])
    np.testing.assert_array_equal(prepared.event_start, utc("2024-12-31T23:00", "2025-01-01T00:00"))
    # The second hour has one quarter of four: an incomplete sum.
    np.testing.assert_array_equal(prepared.flags, [Flag.OK, Flag.SUSPECT])


def test_prepare_averages_power_when_joining_events() -> None:
    prepared = prepare(quarter_hours([1.0, 2.0, 3.0, 6.0]), sensor_resolution="PT1H")
    np.testing.assert_array_equal(prepared.value, [3.0])
    np.testing.assert_array_equal(prepared.flags, [0])


def test_prepare_joins_the_nth_beliefs_about_each_part() -> None:
    starts = pd.date_range("2025-01-01T00:00Z", periods=2, freq="30min")
    frame = pd.DataFrame(
        {
            "event_start": np.repeat(starts, 2),
            "belief_time": pd.DatetimeIndex(
                ["2024-12-31T12:00Z", "2024-12-31T18:00Z", "2024-12-31T12:05Z", "2024-12-31T18:05Z"]
            ),
            "value": [1.0, 2.0, 3.0, 4.0],
        }
    )
    prepared = prepare(frame, unit="kWh", sensor_unit="kWh", sensor_resolution="PT1H")
    np.testing.assert_array_equal(prepared.value, [4.0, 6.0])
    np.testing.assert_array_equal(prepared.belief_time, utc("2024-12-31T12:05", "2024-12-31T18:05"))


def test_prepare_divides_energy_and_repeats_power_when_splitting_events() -> None:
    hours = pd.Series([4.0], index=pd.DatetimeIndex(["2025-01-01T00:00Z"]))
    energy = prepare(hours, unit="kWh", sensor_unit="kWh", resolution="PT1H")
    np.testing.assert_array_equal(energy.value, [1.0, 1.0, 1.0, 1.0])
    power = prepare(hours, resolution="PT1H")
    np.testing.assert_array_equal(power.value, [4.0, 4.0, 4.0, 4.0])
    expected = utc("2025-01-01T00:00", "2025-01-01T00:15", "2025-01-01T00:30", "2025-01-01T00:45")
    np.testing.assert_array_equal(power.event_start, expected)


def test_prepare_refuses_a_resolution_that_neither_divides_nor_multiplies() -> None:
    with pytest.raises(
        InvalidValue, match=r"cannot resample events of P0DT0H20M0S into P0DT0H15M0S"
    ):
        prepare(quarter_hours([1.0]), resolution="PT20M")


def test_prepare_infers_the_resolution_across_gaps() -> None:
    index = pd.DatetimeIndex(["2025-01-01T00:00Z", "2025-01-01T00:30Z", "2025-01-01T01:15Z"])
    prepared = prepare(pd.Series([1.0, 2.0, 3.0], index=index))
    assert len(prepared) == 3


# --- prepare_beliefs: belief times ------------------------------------------------------------


def test_prepare_takes_belief_times_from_a_column() -> None:
    frame = pd.DataFrame(
        {
            "event_start": pd.DatetimeIndex(["2025-01-01T00:00Z"]),
            "belief_time": pd.DatetimeIndex(["2024-12-31T12:00+01:00"]),
            "value": [1.0],
        }
    )
    prepared = prepare(frame)
    np.testing.assert_array_equal(prepared.belief_time, utc("2024-12-31T11:00"))


def test_prepare_derives_belief_times_from_horizons_under_the_rule() -> None:
    frame = pd.DataFrame(
        {
            "event_start": pd.DatetimeIndex(["2025-01-01T00:00Z", "2025-01-01T00:15Z"]),
            "belief_horizon": pd.to_timedelta(["1h", "0s"]),
            "value": [1.0, 2.0],
        }
    )
    prepared = prepare(frame)  # ex post: known at the event's end
    np.testing.assert_array_equal(prepared.belief_time, utc("2024-12-31T23:15", "2025-01-01T00:30"))
    day_ahead = prepare(frame, rule=XDaysAgoAtYOClock(1, 12))
    np.testing.assert_array_equal(
        day_ahead.belief_time, utc("2024-12-31T10:00", "2024-12-31T11:00")
    )


def test_prepare_takes_one_belief_time_or_one_horizon_for_all() -> None:
    series = quarter_hours([1.0, 2.0], start="2025-01-01T00:00Z")
    at = prepare(series, belief_time="2024-12-31T00:00+01:00")
    np.testing.assert_array_equal(at.belief_time, utc("2024-12-30T23:00", "2024-12-30T23:00"))
    ahead = prepare(series, horizon=timedelta(hours=1))
    np.testing.assert_array_equal(ahead.belief_time, utc("2024-12-31T23:15", "2024-12-31T23:30"))


def test_prepare_falls_back_on_now_and_the_clock() -> None:
    series = quarter_hours([1.0])
    np.testing.assert_array_equal(prepare(series).belief_time, utc("2025-06-01T12:00"))
    before = np.datetime64(datetime.now(UTC).replace(tzinfo=None), "ns")
    clock = prepare_beliefs(
        series, sensor_unit="kW", sensor_resolution="PT15M", sensor_timezone=AMS
    )
    assert before <= clock.belief_time[0] <= before + np.timedelta64(60, "s")


def test_prepare_refuses_belief_times_given_twice() -> None:
    frame = pd.DataFrame(
        {
            "event_start": pd.DatetimeIndex(["2025-01-01T00:00Z"]),
            "belief_time": pd.DatetimeIndex(["2024-12-31T12:00Z"]),
            "value": [1.0],
        }
    )
    with pytest.raises(InvalidValue, match=r"given twice, by column 'belief_time' and horizon="):
        prepare(frame, horizon="PT1H")


def test_prepare_refuses_a_naive_belief_time() -> None:
    with pytest.raises(InvalidValue, match=r"belief_time=.* is naive; give a timezone-aware"):
        prepare(quarter_hours([1.0]), belief_time=datetime(2025, 1, 1))


# --- prepare_beliefs: values, sources, duplicates ---------------------------------------------


def test_prepare_drops_nan_or_keeps_it_flagged_missing() -> None:
    series = quarter_hours([1.0, np.nan, 3.0])
    assert len(prepare(series)) == 2
    kept = prepare(series, nan="missing")
    np.testing.assert_array_equal(kept.flags, [0, Flag.MISSING, 0])
    assert np.isnan(kept.value[1])


def test_prepare_refuses_an_unknown_nan_policy() -> None:
    with pytest.raises(InvalidValue, match=r"nan must be 'drop' or 'missing', got 'zero'"):
        prepare(quarter_hours([1.0]), nan="zero")


def test_prepare_sorts_and_keeps_the_last_of_duplicate_beliefs() -> None:
    frame = pd.DataFrame(
        {
            "event_start": pd.DatetimeIndex(
                ["2025-01-01T00:15Z", "2025-01-01T00:00Z", "2025-01-01T00:15Z"]
            ),
            "source": ["b", "a", "b"],
            "value": [1.0, 2.0, 3.0],
        }
    )
    prepared = prepare(frame)
    np.testing.assert_array_equal(prepared.value, [2.0, 3.0])
    np.testing.assert_array_equal(prepared.source, ["a", "b"])


def test_prepare_keeps_quantiles_and_flags_from_columns() -> None:
    frame = pd.DataFrame(
        {
            "event_start": pd.DatetimeIndex(["2025-01-01T00:00Z"] * 2),
            "cumulative_probability": [0.9, 0.1],
            "flags": [int(Flag.VALIDATED), 0],
            "value": [2.0, 1.0],
        }
    )
    prepared = prepare(frame)
    np.testing.assert_array_equal(prepared.cumulative_probability, [0.1, 0.9])
    np.testing.assert_array_equal(prepared.flags, [0, Flag.VALIDATED])


@pytest.mark.parametrize(
    ("columns", "options", "message"),
    [
        (
            {"colour": ["red"]},
            {},
            r"unknown columns \['colour'\]; the columns .* are \['event_start'",
        ),
        ({"source": ["a"]}, {"source": "b"}, r"a 'source' column and source='b' was given too"),
        ({"source": [None]}, {}, r"column 'source' has empty entries"),
        (
            {"cumulative_probability": [1.5]},
            {},
            r"cumulative_probability must lie in \[0, 1\], got 1\.5",
        ),
        ({"flags": [-1]}, {}, r"flags must be whole numbers in \[0, 2\*\*32 - 1\]"),
        ({"value": ["high"]}, {}, r"column 'value' must hold numbers"),
    ],
)
def test_prepare_refuses_bad_columns(
    columns: dict[str, list[object]], options: dict[str, object], message: str
) -> None:
    frame = pd.DataFrame({"event_start": pd.DatetimeIndex(["2025-01-01T00:00Z"]), "value": [1.0]})
    for name, values in columns.items():
        frame[name] = values
    with pytest.raises(InvalidValue, match=message):
        prepare(frame, **options)


def test_prepare_refuses_a_frame_without_values_and_other_objects() -> None:
    frame = pd.DataFrame({"event_start": pd.DatetimeIndex(["2025-01-01T00:00Z"])})
    with pytest.raises(InvalidValue, match=r"missing columns \['value'\]"):
        prepare(frame)
    with pytest.raises(InvalidValue, match=r"cannot ingest a list"):
        prepare([1.0, 2.0])
    with pytest.raises(
        InvalidValue, match=r"needs a DatetimeIndex of event starts, got a RangeIndex"
    ):
        prepare(pd.Series([1.0]))
    with pytest.raises(InvalidValue, match=r"timezone 'Nowhere' is unknown"):
        prepare(quarter_hours([1.0]), sensor_timezone="Nowhere")


def test_prepare_reads_a_frame_indexed_like_a_beliefs_frame() -> None:
    index = pd.MultiIndex.from_arrays(
        [
            pd.DatetimeIndex(["2025-01-01T00:00Z"]),
            pd.DatetimeIndex(["2024-12-31T00:00Z"]),
            ["meter"],
            [0.5],
        ],
        names=["event_start", "belief_time", "source", "cumulative_probability"],
    )
    frame = pd.DataFrame({"event_value": [7.0]}, index=index)
    prepared = prepare(frame)
    np.testing.assert_array_equal(prepared.value, [7.0])
    np.testing.assert_array_equal(prepared.belief_time, utc("2024-12-31T00:00"))


def test_prepare_reads_xarray_with_naive_utc_times_and_its_units() -> None:
    array = xr.DataArray(
        [1.0, 2.0],
        dims="time",
        coords={"time": utc("2025-01-01T00:00", "2025-01-01T00:15")},
        attrs={"units": "MW"},
    )
    prepared = prepare(array)
    np.testing.assert_array_equal(prepared.event_start, utc("2025-01-01T00:00", "2025-01-01T00:15"))
    np.testing.assert_array_equal(prepared.value, [1000.0, 2000.0])


def test_prepare_reads_a_series_layout_dataset_leaving_out_empty_cells() -> None:
    dataset = xr.Dataset(
        {
            "value": (("event_start", "source"), [[1.0, np.nan], [2.0, 3.0]], {"units": "kW"}),
            "belief_time": (
                ("event_start", "source"),
                np.array(
                    [["2025-01-01T01:00", "NaT"], ["2025-01-01T01:00", "2025-01-01T02:00"]],
                    "datetime64[ns]",
                ),
            ),
        },
        coords={"event_start": utc("2025-01-01T00:00", "2025-01-01T00:15"), "source": ["a", "b"]},
        attrs={"resolution": "PT15M", "timezone": AMS},
    )
    prepared = prepare(dataset)
    np.testing.assert_array_equal(prepared.source, ["a", "a", "b"])
    np.testing.assert_array_equal(prepared.value, [1.0, 2.0, 3.0])
