"""Mesh's time information functions: TIME_MASK, Time, TimeSpan, TimeToString, IsTimeValid and
the time point parts, with the worked examples of their pages.

Pages: Volue-Public/energy-smp-docs, docs/mesh/calculations/functions/<page>.md, and
docs/mesh/calculations/timepoint-macros.md for time specifications.
"""

from __future__ import annotations

import pandas as pd
import pytest
import xarray as xr

from workbench.calc import MemoryResolver, evaluate, timespec
from workbench.errors import ExpressionError

MASK = "@TIME_MASK({frequency}, {{'DAY+07h', 'DAY+10h', 'DAY+14h','DAY+18h'}}, {{1,2,3,4}}, {res})"


def run(text: str, start: str = "2022-01-01", end: str = "2022-01-02T02:00") -> object:
    return evaluate(text, MemoryResolver(), start, end)


def points(text: str, start: str = "2022-01-01", end: str = "2022-01-02T02:00") -> dict[str, float]:
    out = run(text, start, end)
    assert isinstance(out, xr.DataArray)
    return {
        pd.Timestamp(t).strftime("%Y-%m-%dT%H:%M"): round(float(v), 2)
        for t, v in zip(out.event_start.values, out.values, strict=True)
    }


def test_time_mask_day_on_the_standard_calendar() -> None:
    # time_mask.md, Day frequency, example 1: the time points are UTC+1 without DST
    got = points(MASK.format(frequency="'DAY'", res="'VARINT'"), end="2022-01-02T14:00")
    assert got == {
        "2022-01-01T00:00": 4.0,  # the value held from 2021-12-31T17:00Z
        "2022-01-01T06:00": 1.0,
        "2022-01-01T09:00": 2.0,
        "2022-01-01T13:00": 3.0,
        "2022-01-01T17:00": 4.0,
        "2022-01-02T06:00": 1.0,
        "2022-01-02T09:00": 2.0,
        "2022-01-02T13:00": 3.0,
    }


def test_time_mask_in_utc_and_in_local_time() -> None:
    # example 2: 'DAY<UTC>' puts DAY+07h at 07:00Z
    utc = points(MASK.format(frequency="'DAY<UTC>'", res="'VARINT'"), end="2022-01-02T11:00")
    assert list(utc)[1:] == [
        "2022-01-01T07:00",
        "2022-01-01T10:00",
        "2022-01-01T14:00",
        "2022-01-01T18:00",
        "2022-01-02T07:00",
        "2022-01-02T10:00",
    ]
    # 'DAY<LT>' in summer time (UTC+2)
    local = points(
        MASK.format(frequency="'DAY<LT>'", res="'VARINT'"), "2022-04-01", "2022-04-02T09:00"
    )
    assert local == {
        "2022-04-01T00:00": 4.0,
        "2022-04-01T05:00": 1.0,
        "2022-04-01T08:00": 2.0,
        "2022-04-01T12:00": 3.0,
        "2022-04-01T16:00": 4.0,
        "2022-04-02T05:00": 1.0,
        "2022-04-02T08:00": 2.0,
    }


def test_time_mask_to_hours_step_and_linear() -> None:
    # example 3: an hourly result holds each value from its time point on
    hourly = points(MASK.format(frequency="'DAY<UTC>'", res="'HOUR'"))
    expected = [4.0] * 7 + [1.0] * 3 + [2.0] * 4 + [3.0] * 4 + [4.0] * 8
    assert list(hourly.values()) == expected
    # with <Linear> the values between the points are interpolated: between 07:00 and 18:00
    # the page shows 1.00, 1.33, 1.67, 2.00, 2.25, 2.50, 2.75, 3.00, 3.25, 3.50, 3.75, 4.00
    linear = points(MASK.format(frequency="'DAY<UTC><Linear>'", res="'HOUR'"))
    day = [linear[f"2022-01-01T{h:02d}:00"] for h in range(7, 19)]
    assert day == [1.0, 1.33, 1.67, 2.0, 2.25, 2.5, 2.75, 3.0, 3.25, 3.5, 3.75, 4.0]


def test_time_mask_forms_and_errors() -> None:
    # TIME_MASK(S, D): absolute time points, hourly
    got = points("@TIME_MASK({'UTC2022010103', 'UTC2022010105'}, {1, 0})", end="2022-01-01T07:00")
    assert list(got.values())[3:] == [1, 1, 0, 0]
    assert all(v != v for v in list(got.values())[:3])  # missing before the first time point
    # HOURLY stands for 24 time points, one value each
    text = "@TIME_MASK('DAY<UTC>', {'HOURLY'}, {" + ", ".join(str(h) for h in range(24)) + "})"
    assert list(points(text, end="2022-01-01T05:00").values()) == [0, 1, 2, 3, 4]
    with pytest.raises(ExpressionError, match="4 time points but 3 values"):
        run("@TIME_MASK('DAY', {'DAY+1h', 'DAY+2h', 'DAY+3h', 'DAY+4h'}, {1, 2, 3})")
    with pytest.raises(ExpressionError, match="calendar file"):
        run("@TIME_MASK('WEEKDAY', 'MyHolidayfile.txt')")
    with pytest.raises(ExpressionError, match="frequency 'FORTNIGHT' is not known"):
        run("@TIME_MASK('FORTNIGHT', {'DAY'}, {1})")


def test_time_specifications_from_the_macro_page(monkeypatch: pytest.MonkeyPatch) -> None:
    # timepoint-macros.md: current time Wednesday 2025-10-22 10:41:49 local (DST: 08:41:49Z)
    monkeypatch.setattr(timespec, "now_ns", lambda: pd.Timestamp("2025-10-22T08:41:49").value)
    expected = {
        "20251022": "UTC20251021230000",
        "202510220143": "UTC20251022004300",
        "LOCAL20251022": "UTC20251021220000",
        "DAY+2h": "UTC20251022010000",
        "UTCDAY+2h": "UTC20251022020000",
        "LOCALDAY+2h": "UTC20251022000000",
    }
    for spec, text in expected.items():
        assert run(f"@TimeToString(@Time('{spec}'))") == text, spec
    with pytest.raises(ExpressionError, match="is not understood"):
        run("@Time('tomorrow')")


def test_time_span_sop_eop_and_parts() -> None:
    # time.md and timespan.md: ticks, so that SOP - TimeSpan('HOUR') * n is n hours earlier
    assert run("@TimeSpan('HOUR')") == 36_000_000_000.0
    assert run("@TimeSpan('MONTH')") == 30 * 24 * 36_000_000_000.0
    assert run("@Time('EOP') - @Time('SOP')") == 26 * 36_000_000_000.0
    assert run("@TimeToString(@Time('SOP') - @TimeSpan('HOUR') * 3)") == "UTC20211231210000"
    assert run("@Time('SOP')") == 637_765_920_000_000_000.0  # 2022-01-01T00:00Z in .NET ticks
    # time_point_information.md: parts on the standard calendar (UTC+1): 2022-01-01T00:00Z is
    # 01:00 on Saturday 1 January
    parts = {
        "Minute": 0,
        "Hour": 1,
        "Day": 1,
        "Month": 1,
        "Year": 2022,
        "WeekDay": 6,
        "YearDay": 1,
        "Week": 52,
    }
    for name, value in parts.items():
        assert run(f"@{name}(@Time('SOP'))") == value, name
    assert run("@Hour(@Time('UTC202207011530'))") == 16.0
    # is_time_valid.md
    assert run("@IsTimeValid(@Time('SOP'))") == 1.0
    assert run("@IsTimeValid(-1)") == 0.0
    # Time(s, d): relative to the time point given
    assert run("@TimeToString(@Time('UTCDAY+1d', @Time('UTC20200229')))") == "UTC20200301000000"
