"""Sensors seen from their object: add and list them; deleting the object deletes their beliefs."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

import workbench as wb


def test_object_sensors_and_delete_takes_beliefs_along(ws: wb.Workspace) -> None:
    md = ws.create_model_definition("D")
    plant = md.create_object_definition("Plant")
    system = md.create_object_definition("System")
    system.add_attribute("To_Plants", "ownership_many", target=plant)
    m = ws.create_model("M", md, system)
    a = m.add_child("To_Plants", "A", plant)
    s = a.add_sensor("power", unit="MW", resolution="1h")
    assert [x.name for x in a.sensors()] == ["power"]
    index = pd.date_range("2025-01-01", periods=24, freq="1h", tz="UTC")
    s.ingest(pd.Series(range(24), index=index, dtype=float), source="meter",
             belief_time=pd.Timestamp("2025-01-02", tz="UTC"))
    with ws.engine.connect() as c:
        assert c.execute(sa.text("select count(*) from beliefs")).scalar() == 24
    a.delete()
    with ws.engine.connect() as c:
        assert c.execute(sa.text("select count(*) from beliefs")).scalar() == 0
        assert c.execute(sa.text("select count(*) from latest_beliefs")).scalar() == 0
        assert c.execute(sa.text("select count(*) from sensors")).scalar() == 0
