"""Sensors seen from their object: add and list them; deleting the object deletes their beliefs."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from conftest import MakeModel

import workbench as wb


def test_object_sensors_and_delete_takes_beliefs_along(
    ws: wb.Workspace, make_model: MakeModel
) -> None:
    a = make_model(ws, "M", definition="D", children={"To_Plants": ["A"]}).objects["A"]
    s = a.add_sensor("power", unit="MW", resolution="1h")
    assert [x.name for x in a.sensors()] == ["power"]
    index = pd.date_range("2025-01-01", periods=24, freq="1h", tz="UTC")
    s.ingest(
        pd.Series(range(24), index=index, dtype=float),
        source="meter",
        belief_time=pd.Timestamp("2025-01-02", tz="UTC"),
    )
    with ws.engine.connect() as c:
        assert c.execute(sa.text("select count(*) from beliefs")).scalar() == 24
    a.delete()
    with ws.engine.connect() as c:
        assert c.execute(sa.text("select count(*) from beliefs")).scalar() == 0
        assert c.execute(sa.text("select count(*) from latest_beliefs")).scalar() == 0
        assert c.execute(sa.text("select count(*) from sensors")).scalar() == 0
