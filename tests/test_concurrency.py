"""Several processes at once: ingestion loses and duplicates nothing, stale edits are refused.

Eight processes (``spawn``, as separate notebooks or services would be) write into one store at
the same time, on SQLite (one file, writers take turns) and on PostgreSQL.
"""

from __future__ import annotations

import multiprocessing
import random
import time
from collections.abc import Iterator
from multiprocessing.pool import Pool

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import ADMIN, SECRET, MakeModel, attr, plants

import workbench as wb
from workbench.api.handles.sensors import get_sensor
from workbench.errors import ConcurrentEdit

PROCESSES = 8
PER_PROCESS = 20_000
SHARED = 1_000  # beliefs every process sends, identical: stored once
OWN = PER_PROCESS - SHARED
EDITS = 60  # per process
T0 = pd.Timestamp("2025-01-01", tz="UTC")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pool() -> Iterator[Pool]:
    """Eight worker processes, started once for every test here."""
    with multiprocessing.get_context("spawn").Pool(PROCESSES) as workers:
        workers.map(_warm_up, range(PROCESSES))
        yield workers


def _warm_up(_: int) -> None:
    import workbench.api.handles.sensors  # noqa: F401  (the imports take a second; not in the timing)


def _connect(url: str) -> wb.Workspace:
    return wb.connect(url, user=ADMIN, secret=SECRET)


# -- ingestion ------------------------------------------------------------------------------


def _frame(p: int) -> pd.DataFrame:
    """Process ``p``'s beliefs: its own (source ``meter<p % 4>``, belief time p // 4 hours after
    T0, so processes p and p + 4 overlap on events and source) and the shared ones."""
    own = np.arange(OWN)
    shared = np.arange(SHARED)
    hours = pd.to_timedelta(np.concatenate([own, shared]), unit="h")
    return pd.DataFrame(
        {
            "event_start": T0 + hours,
            "belief_time": [T0 - pd.Timedelta(hours=48 - p // 4)] * OWN
            + [T0 - pd.Timedelta(days=3)] * SHARED,
            "source": [f"meter{p % 4}"] * OWN + ["shared"] * SHARED,
            "value": np.concatenate([p * 1e6 + own, -shared.astype(float)]),
        }
    )


def _ingest(args: tuple[str, int, int]) -> int:
    url, sensor_id, p = args
    ws = _connect(url)
    try:
        return get_sensor(ws, sensor_id).ingest(_frame(p), source_type="meter")
    finally:
        ws.engine.dispose()


def _expected() -> pd.DataFrame:
    frames = [_frame(p) for p in range(PROCESSES)]
    everything = pd.concat(frames).drop_duplicates()
    return everything.sort_values(["event_start", "source", "belief_time"]).reset_index(drop=True)


def _stored(ws: wb.Workspace, table: str, sensor_id: int) -> pd.DataFrame:
    sql = (
        f"SELECT b.event_start, b.belief_time, s.name AS source, b.value FROM {table} b "
        "JOIN sources s ON s.id = b.source_id WHERE b.sensor_id = :i"
    )
    with ws.engine.connect() as conn:
        rows = pd.DataFrame(conn.execute(sa.text(sql), {"i": sensor_id}).all())
    for column in ("event_start", "belief_time"):
        rows[column] = pd.to_datetime(rows[column], unit="us", utc=True)
    return rows.sort_values(["event_start", "source", "belief_time"]).reset_index(drop=True)


def test_concurrent_ingestion_loses_and_duplicates_nothing(
    ws: wb.Workspace, pool: Pool, make_model: MakeModel
) -> None:
    model = make_model(ws, "M", types={"Plant": {}}).model
    sensor = model.add_sensor("power", unit="MW", resolution="1h")
    url = ws.engine.url.render_as_string(hide_password=False)
    ws.engine.dispose()  # SQLite: no connection of ours holds the file meanwhile
    counts = pool.map(_ingest, [(url, sensor.id, p) for p in range(PROCESSES)])
    assert counts == [PER_PROCESS] * PROCESSES  # every process was told all were stored
    expected = _expected()
    assert len(expected) == PROCESSES * OWN + SHARED
    stored = _stored(ws, "beliefs", sensor.id)
    assert len(stored) == len(expected)  # none lost, none twice
    pd.testing.assert_frame_equal(stored, expected[stored.columns], check_dtype=False)
    # the latest table holds, per event and source, the belief of the later process
    latest = expected.groupby(["event_start", "source"], as_index=False).last()
    pd.testing.assert_frame_equal(
        _stored(ws, "latest_beliefs", sensor.id), latest[stored.columns], check_dtype=False
    )


# -- optimistic locking ---------------------------------------------------------------------


def _edit(args: tuple[str, list[int], int]) -> tuple[int, int, list[tuple[int, int, str, str]]]:
    """Edit the objects in turn; returns attempts, refusals and (object, version made,
    attribute, value) of each edit that landed."""
    url, object_ids, p = args
    ws = _connect(url)
    rng = random.Random(p)
    attempts, refused, landed = 0, 0, []
    try:
        for i in range(EDITS):
            obj = ws.object(object_ids[(i + p) % len(object_ids)])
            attribute = ("Note", "Owner")[i % 2]
            value = f"p{p}-{i}"
            read = obj.version
            time.sleep(rng.random() / 500)  # someone else may write meanwhile
            attempts += 1
            try:
                obj[attribute] = value
            except ConcurrentEdit as exc:
                assert "refresh() it and try again" in str(exc)
                refused += 1
                continue
            landed.append((obj.id, read + 1, attribute, value))
    finally:
        ws.engine.dispose()
    return attempts, refused, landed


def test_concurrent_edits_land_or_are_refused(
    ws: wb.Workspace, pool: Pool, make_model: MakeModel
) -> None:
    texts = {"Note": attr("string", default=""), "Owner": attr("string", default="")}
    made = make_model(ws, "M", types=plants(texts), children={"To_Plants": ["A", "B", "C", "D"]})
    objects = list(made.objects.values())
    ids = [o.id for o in objects]
    before = {o.id: o.version for o in objects}
    url = ws.engine.url.render_as_string(hide_password=False)
    ws.engine.dispose()
    results = pool.map(_edit, [(url, ids, p) for p in range(PROCESSES)])
    landed = [edit for _, _, edits in results for edit in edits]
    refused = sum(r for _, r, _ in results)
    assert sum(a for a, _, _ in results) == PROCESSES * EDITS == len(landed) + refused
    assert refused > 0, "the processes never collided: the test proves nothing"
    for oid in ids:
        mine = sorted(e for e in landed if e[0] == oid)
        versions = [e[1] for e in mine]
        # every landed edit made a version of its own: none overwrote another unseen
        assert versions == list(range(before[oid] + 1, before[oid] + 1 + len(mine)))
        obj = ws.object(oid)
        assert obj.version == before[oid] + len(mine)
        for attribute in ("Note", "Owner"):
            last = [e[3] for e in mine if e[2] == attribute]
            assert obj[attribute] == (last[-1] if last else "")
