"""A FlexMeasures 1.0.1 database built by FlexMeasures itself (``flexmeasures db upgrade``,
``add toy-account``, ``add beliefs``), imported and compared belief by belief with what
FlexMeasures' own ``TimedBelief.search`` reports (its belief times from horizons)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

import workbench as wb
from workbench.interop.flexmeasures import import_flexmeasures

KEYS = ["event_start", "belief_time", "source", "cumulative_probability"]


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for column in ("event_start", "belief_time"):
        frame[column] = pd.DatetimeIndex(frame[column]).tz_convert("UTC").as_unit("ns")
    return frame.sort_values(KEYS).reset_index(drop=True)


@pytest.fixture(scope="module")
def fm_beliefs(fm_url: str) -> dict[int, pd.DataFrame]:
    """Every belief of every sensor as FlexMeasures reports it, by sensor id."""
    from flexmeasures.app import create
    from flexmeasures.data.models.time_series import Sensor, TimedBelief

    app = create(env="development")
    out: dict[int, pd.DataFrame] = {}
    with app.app_context():
        for sensor in Sensor.query.all():
            bdf = TimedBelief.search(sensor, most_recent_beliefs_only=False)
            if bdf.empty:
                continue
            bdf = bdf.convert_index_from_belief_horizon_to_time()
            index = bdf.index
            out[sensor.id] = _sorted(
                pd.DataFrame(
                    {
                        "event_start": index.get_level_values("event_start"),
                        "belief_time": index.get_level_values("belief_time"),
                        "source": [s.name for s in index.get_level_values("source")],
                        "cumulative_probability": index.get_level_values("cumulative_probability"),
                        "value": bdf["event_value"].to_numpy(),
                    }
                )
            )
    return out


def _ours(sensor: Any) -> pd.DataFrame:
    frame = sensor.beliefs().beliefs.to_pandas().reset_index()
    frame["source"] = frame["source"].astype(str)
    return _sorted(frame[[*KEYS, "value"]])


def test_every_belief_arrives_as_flexmeasures_reports_it(
    ws: wb.Workspace, fm_url: str, fm_beliefs: dict[int, pd.DataFrame]
) -> None:
    summary = import_flexmeasures(ws, fm_url)
    total = sum(len(f) for f in fm_beliefs.values())
    assert total > 0 and summary.added["beliefs"] == total
    by_fm_id = {s.attributes["flexmeasures_id"]: s for s in ws.sensors()}
    assert set(fm_beliefs) <= set(by_fm_id)
    for fm_id, expected in fm_beliefs.items():
        pd.testing.assert_frame_equal(
            _ours(by_fm_id[fm_id]), expected, check_dtype=False, check_categorical=False
        )
    again = import_flexmeasures(ws, fm_url)
    assert again.added == {} and again.existing["beliefs"] == total


def test_the_toy_account_and_its_assets_map_to_a_model(ws: wb.Workspace, fm_url: str) -> None:
    summary = import_flexmeasures(ws, fm_url)
    assert "Toy Account" in {a.name for a in ws.accounts()}
    kinds = {c.type_name for c in ws.object("Model/Toy Account").children()}
    assert "building" in kinds
    prices = [s for s in ws.sensors() if s.knowledge_time.kind == "x_days_ago_at_y_oclock"]
    assert prices and prices[0].full_name.startswith("Model/Public assets")
    assert summary.added["sensors"] == len(ws.sensors())
