"""A full-path look-up walks (parent_id, name), never every sibling (SQLite, no statistics)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from conftest import MakeModel, count_statements, owns

import workbench as wb


def test_full_path_lookup_uses_the_parent_and_name_index(
    tmp_path: Path, make_model: MakeModel
) -> None:
    db = tmp_path / "plan.db"
    ws = wb.connect(f"sqlite:///{db}")
    types = {
        "Plant": {},
        "Area": {"To_Plants": owns("Plant")},
        "System": {"To_Areas": owns("Area")},
    }
    made = make_model(
        ws, "M", definition="D", types=types, children={"To_Areas": ["A0", "A1", "A2"]}
    )
    for a in made.objects.values():
        a.add_children("To_Plants", [f"P{i}" for i in range(200)], made.types["Plant"])
    with count_statements(ws.engine) as seen:
        assert ws.get("Model/M.To_Areas/A1.To_Plants/P150").name == "P150"
    statement, params = seen[-1], seen.parameters[-1]
    ws.engine.dispose()
    with sqlite3.connect(db) as conn:
        plan = " ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + statement, params))
    assert "owner_attribute_id (owner_attribute_id=?)" not in plan, plan
    assert "parent_id=? AND name=?" in plan, plan
