"""Load benchmark: 16 readers and 4 writers on one PostgreSQL store at once, for 60 seconds.

Every reader and writer is a process of its own, connected as a member of the account that owns
the sensors (so the workspace's access checks run on every call). Readers ask for the most
recent beliefs of a random sensor over a random week; writers ingest forecast runs (a new belief
time each, 14 days of hourly events) into random sensors. Prints throughput and p50/p99
latencies, then counts the stored beliefs: nothing may be lost.

Then row-level security: the same most-recent query in plain SQL as the store's owner before and
after ``secure_store`` (the owner bypasses the policies: the figure should not move) and as the
member's own database role (the policies' cost). A schema of its own and roles of its own, all
dropped afterwards::

    python benchmarks/bench_load.py [--seconds 60] [--readers 16] [--writers 4] [--postgres URL]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

import workbench as wb
from workbench.api import accounts
from workbench.api.security import secure_store

PG_URL = os.environ.get(
    "WORKBENCH_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ADMIN, MEMBER, SECRET = "bench@operators.example", "reader@load.example", "benchmark only"
SENSORS, DAYS, HISTORY_RUNS = 20, 365, 4  # each sensor: a year of hourly events, 4 beliefs each
WINDOW, RUN_HOURS = pd.Timedelta(days=7), 14 * 24
START = pd.Timestamp("2025-01-01", tz="UTC")


# -- the store ----------------------------------------------------------------------------


@contextmanager
def postgres_store(url: str, tag: str) -> Iterator[tuple[wb.Workspace, str]]:
    """An empty store in a schema of its own, and its URL; the schema and roles dropped after."""
    schema = f"bench_{tag}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    scoped = sa.make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    text = scoped.render_as_string(hide_password=False)
    try:
        ws = wb.init_store(text, admin=ADMIN, secret=SECRET)
        yield ws, text
        ws.engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            roles = conn.execute(
                sa.text("SELECT rolname FROM pg_roles WHERE starts_with(rolname, :p)"),
                {"p": f"b{tag}_"},
            ).scalars()
            for role in sorted(roles, key=lambda r: r.endswith("_users")):  # the group last
                conn.execute(sa.text(f'DROP OWNED BY "{role}"'))
                conn.execute(sa.text(f'DROP ROLE "{role}"'))
        admin.dispose()


def history(sensor: int) -> pd.DataFrame:
    """A year of hourly events, each believed ``HISTORY_RUNS`` times (1..4 days ahead)."""
    events = pd.date_range(START, periods=DAYS * 24, freq="1h")
    frames = [
        pd.DataFrame(
            {
                "event_start": events,
                "belief_time": events - pd.Timedelta(days=ahead),
                "value": np.random.default_rng(sensor * 10 + ahead).normal(50, 10, len(events)),
            }
        )
        for ahead in range(1, HISTORY_RUNS + 1)
    ]
    return pd.concat(frames, ignore_index=True)


def populate(ws: wb.Workspace) -> list[int]:
    """The account Load with its member, a model and ``SENSORS`` sensors with history."""
    accounts.create_account(ws, "Load")
    accounts.add_user(ws, MEMBER, "Load", SECRET)
    md = ws.create_model_definition("Bench")
    plant = md.create_object_definition("Plant")
    system = md.create_object_definition("System")
    system.add_attribute("To_Plants", "ownership_many", target=plant)
    model = ws.create_model("Load", md, system, account="Load")
    ids = []
    for child in model.add_children("To_Plants", [f"P{i}" for i in range(SENSORS)], plant):
        sensor = child.add_sensor("power", unit="MW", resolution="1h")
        sensor.ingest(history(sensor.id), source="history", source_type="forecaster")
        ids.append(sensor.id)
    return ids


def count_beliefs(ws: wb.Workspace) -> int:
    with ws.engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM beliefs")).scalar_one())


# -- the workers (separate processes) -------------------------------------------------------


def reader(url: str, sensors: list[int], seed: int, sync: Any, stop_at: Any, done: Any) -> Any:
    from workbench.api.handles.sensors import get_sensor

    ws = wb.connect(url, user=MEMBER, secret=SECRET)
    handles = [get_sensor(ws, i) for i in sensors]
    rng, latencies = random.Random(seed), []
    span = DAYS * 24 - WINDOW / pd.Timedelta(hours=1)
    _ready(sync)
    while time.time() < stop_at.value:
        start = START + pd.Timedelta(hours=rng.randrange(int(span)))
        begin = time.perf_counter()
        ds = rng.choice(handles).beliefs(start, start + WINDOW, most_recent=True)
        latencies.append(time.perf_counter() - begin)
        assert ds.sizes["event_start"] == WINDOW / pd.Timedelta(hours=1)
        with done.get_lock():
            done.value += 1
    ws.engine.dispose()
    return latencies


def writer(url: str, sensors: list[int], w: int, sync: Any, stop_at: Any, done: Any) -> Any:
    from workbench.api.handles.sensors import get_sensor

    ws = wb.connect(url, user=MEMBER, secret=SECRET)
    handles = [get_sensor(ws, i) for i in sensors]
    rng, latencies, written, run = random.Random(1000 + w), [], 0, 0
    hours = pd.to_timedelta(np.arange(RUN_HOURS), unit="h")
    _ready(sync)
    while time.time() < stop_at.value:
        first = START + pd.Timedelta(hours=rng.randrange(DAYS * 24 - RUN_HOURS))
        # a belief time no other run has: writer w, run number, in seconds before the events
        believed = first - pd.Timedelta(days=10) + pd.Timedelta(seconds=run * 100 + w)
        frame = pd.DataFrame(
            {"event_start": first + hours, "value": np.full(RUN_HOURS, float(run))}
        )
        begin = time.perf_counter()
        written += rng.choice(handles).ingest(
            frame, source=f"writer{w}", source_type="forecaster", belief_time=believed
        )
        latencies.append(time.perf_counter() - begin)
        run += 1
        with done.get_lock():
            done.value += RUN_HOURS
    ws.engine.dispose()
    return latencies, written


def _ready(sync: tuple[Any, Any]) -> None:
    """Tell the parent this worker is set up, then wait for the start."""
    ready, go = sync
    ready.wait()
    go.wait()


def _work(kind: str, args: tuple[Any, ...], results: Any) -> None:
    results.put((kind, reader(*args) if kind == "read" else writer(*args)))


# -- the run --------------------------------------------------------------------------------


def run_load(
    url: str, sensors: list[int], seconds: float, readers: int, writers: int
) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    ready, go = ctx.Barrier(readers + writers + 1), ctx.Event()
    stop_at, reads, beliefs = ctx.Value("d", 0.0), ctx.Value("q", 0), ctx.Value("q", 0)
    procs = [
        ctx.Process(
            target=_work, args=("read", (url, sensors, i, (ready, go), stop_at, reads), results)
        )
        for i in range(readers)
    ] + [
        ctx.Process(
            target=_work, args=("write", (url, sensors, w, (ready, go), stop_at, beliefs), results)
        )
        for w in range(writers)
    ]
    for p in procs:
        p.start()
    ready.wait()  # every worker has imported, logged in and found its sensors
    stop_at.value = time.time() + seconds
    go.set()
    columns = [TextColumn("{task.description}"), BarColumn(), TimeRemainingColumn()]
    with Progress(*columns) as bar:
        task = bar.add_task("load", total=seconds)
        while (left := stop_at.value - time.time()) > 0:
            bar.update(
                task,
                completed=seconds - left,
                description=f"{reads.value:,} reads, {beliefs.value:,} beliefs written",
            )
            time.sleep(0.5)
        collected = [results.get() for _ in procs]
        bar.update(
            task,
            completed=seconds,
            description=f"{reads.value:,} reads, {beliefs.value:,} beliefs written",
        )

    for p in procs:
        p.join()
    reads_done = [r for kind, r in collected if kind == "read"]
    writes_done = [r for kind, r in collected if kind == "write"]
    read_ms = [x * 1e3 for lat in reads_done for x in lat]
    write_ms = [x * 1e3 for lat, _ in writes_done for x in lat]
    written = sum(n for _, n in writes_done)
    return {"read_ms": read_ms, "write_ms": write_ms, "written": written}


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def report_load(figures: dict[str, Any], seconds: float, readers: int, writers: int) -> None:
    read_ms, write_ms = figures["read_ms"], figures["write_ms"]
    print(f"\n{readers} readers + {writers} writers for {seconds:.0f} s")
    print(
        f"  reads          {len(read_ms) / seconds:10,.1f} queries/s   "
        f"p50 {pct(read_ms, 50):7.1f} ms   p99 {pct(read_ms, 99):7.1f} ms"
    )
    print(
        f"  writes         {figures['written'] / seconds:10,.0f} beliefs/s   "
        f"p50 {pct(write_ms, 50):7.1f} ms   p99 {pct(write_ms, 99):7.1f} ms "
        f"({len(write_ms)} runs of {RUN_HOURS} beliefs)"
    )


# -- row-level security: what it costs the owner and a member --------------------------------

_RECENT = (
    "SELECT event_start, source_id, belief_time, value FROM latest_beliefs "
    "WHERE sensor_id = %s AND event_start >= %s AND event_start < %s ORDER BY event_start"
)


@contextmanager
def raw(url: str, role: str | None) -> Iterator[Any]:
    """A plain psycopg connection to the store as its owner, or (SET ROLE) as ``role``."""
    import psycopg

    u = sa.make_url(url)
    options = u.query.get("options")
    conn = psycopg.connect(
        host=u.host,
        port=u.port or 5432,
        dbname=u.database,
        user=u.username,
        options=options if isinstance(options, str) else "",
        autocommit=True,
    )
    if role is not None:
        conn.execute(f'SET ROLE "{role}"')
    try:
        yield conn
    finally:
        conn.close()


def _week(rng: random.Random, sensors: list[int]) -> tuple[int, int, int]:
    first = int((START - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(microseconds=1))
    start = first + rng.randrange(DAYS * 24 - 24 * 7) * 3_600_000_000
    return rng.choice(sensors), start, start + int(WINDOW / pd.Timedelta(microseconds=1))


def raw_median_ms(url: str, sensors: list[int], role: str | None, n: int = 300) -> float:
    """The median time of a most-recent query over a week in plain SQL (as ``role`` if given)."""
    rng, times = random.Random(7), []
    with raw(url, role) as conn:
        for _ in range(n):
            args = _week(rng, sensors)
            begin = time.perf_counter()
            rows = conn.execute(_RECENT, args).fetchall()
            times.append(time.perf_counter() - begin)
            assert len(rows) >= 24 * 7, "a role saw fewer beliefs than the owner"
    return statistics.median(times) * 1e3


def owner_plan(url: str, sensors: list[int]) -> str:
    with raw(url, None) as conn:
        rows = conn.execute("EXPLAIN (COSTS OFF) " + _RECENT, _week(random.Random(1), sensors))
        return "\n".join(r[0] for r in rows.fetchall())


def security_costs(ws: wb.Workspace, url: str, sensors: list[int], tag: str) -> None:
    owner_before, plan_before = raw_median_ms(url, sensors, None), owner_plan(url, sensors)
    report = secure_store(ws, group=f"b{tag}_users", prefix=f"b{tag}_u")
    member = next(r for r, email in report.roles_created.items() if email == MEMBER)
    owner_after, plan_after = raw_median_ms(url, sensors, None), owner_plan(url, sensors)
    as_member = raw_median_ms(url, sensors, member)
    same = "the same plan" if plan_after == plan_before else "A DIFFERENT PLAN"
    print("\nplain SQL most-recent query over a week (median of 300)")
    print(f"  owner, before securing   {owner_before:6.2f} ms")
    print(f"  owner, after securing    {owner_after:6.2f} ms   ({same}: the owner bypasses RLS)")
    print(f"  member's role (policies) {as_member:6.2f} ms   (ratio {as_member / owner_after:.1f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=PG_URL, help="a PostgreSQL URL")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the load runs")
    parser.add_argument("--readers", type=int, default=16)
    parser.add_argument("--writers", type=int, default=4)
    args = parser.parse_args()
    tag = uuid.uuid4().hex[:8]  # names the schema and the roles
    with postgres_store(args.postgres, tag) as (ws, url):
        begin = time.perf_counter()
        sensors = populate(ws)
        before = count_beliefs(ws)
        print(
            f"{SENSORS} sensors, {before:,} beliefs stored in {time.perf_counter() - begin:.1f} s"
        )
        figures = run_load(url, sensors, args.seconds, args.readers, args.writers)
        report_load(figures, args.seconds, args.readers, args.writers)
        after = count_beliefs(ws)
        lost = before + figures["written"] - after
        print(
            f"  stored beliefs {before:,} + {figures['written']:,} written = {after:,} counted: "
            f"{'nothing lost' if lost == 0 else f'{lost:,} MISSING'}"
        )
        security_costs(ws, url, sensors, tag)
        if lost:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
