"""The cost of one public call on SQLite and on PostgreSQL, side by side, and its round trips.

Two calls, each timed as a member of the account that owns the model and the sensor (signed in
with ``wb.connect(url, user=..., secret=...)``, so the access checks run on every call, as they
do for a team):

- *week read*: ``sensor.beliefs(start, end, most_recent=True)`` over one week (168 hourly
  events) of a sensor holding a year of hourly events, each believed 4 times;
- *path look-up*: ``ws.get(full path)`` of a plant three levels below the root of a model of
  3,273 objects (``Model/Bench.To_Areas/A3.To_Watercourses/A3W5.To_Plants/A3W5P17``).

Both stores are built the same way through the API: a fresh SQLite file and a PostgreSQL schema
of its own (dropped afterwards). After a warm-up the calls run alternately on the two stores,
each call its own transaction (plain calls), and again all inside one ``ws.transaction()`` for
reference. Prints the median and p90 of each, the ratio PostgreSQL / SQLite against its goal,
and the database round trips one call makes (pool pre-pings, BEGIN, statements, COMMIT or
ROLLBACK), counted with SQLAlchemy events on the workspace's engine and, beside them, as the
driver sent them (libpq's protocol trace; the sqlite3 trace callback), since the store runs its
belief reads on the driver's connection, past SQLAlchemy's cursor events::

    python benchmarks/bench_calls.py [--calls 300] [--postgres URL] [--sqlite PATH]

Exits with 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

import workbench as wb

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE)]

from stores import schema_url  # noqa: E402

PG_URL = os.environ.get(
    "WORKBENCH_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ADMIN, MEMBER, SECRET = "bench@operators.example", "member@team.example", "benchmark only"
ACCOUNT = "Team"
AREAS, WATERCOURSES, PLANTS = 8, 8, 50  # 8 + 64 + 3,200 objects below the root
DAYS, BELIEF_TIMES = 365, 4  # the sensor: a year of hourly events, each believed 4 times
START, WEEK = pd.Timestamp("2025-01-01", tz="UTC"), pd.Timedelta(days=7)
GOALS = {"week read": 1.6, "path look-up": 3.0}  # PostgreSQL / SQLite, at most
WARM_UP, COUNTED = 20, 20  # calls before timing; calls whose round trips are counted
BACKENDS = ("SQLite", "PostgreSQL")
NOTES = """
  event: what SQLAlchemy's events saw (before_cursor_execute; begin, commit, rollback; the
  wrapped dialect.do_ping). sent: what the driver ran (libpq's protocol trace on PostgreSQL,
  the sqlite3 trace callback on SQLite); statements sent beyond those seen ran on the driver's
  connection directly (the store reads beliefs that way), past SQLAlchemy's events.
  PostgreSQL (psycopg 3): BEGIN is a round trip of its own, sent before the first statement of
  a transaction on a non-autocommit connection; the pre-ping (run in autocommit, no BEGIN), each
  statement and COMMIT are one round trip each. SQLite runs in the process: its pre-ping, BEGIN
  and statements are local library calls, no network round trip (for reads the sqlite3 module
  sends no BEGIN or COMMIT to the library at all)."""


# -- the stores ------------------------------------------------------------------------------


@contextmanager
def sqlite_url(path: str | None) -> Iterator[str]:
    """The URL of a new SQLite file: ``path`` (kept afterwards) or a temporary one (removed)."""
    if path is not None:
        if os.path.exists(path):
            raise SystemExit(f"--sqlite {path}: the file exists; name a new one")
        yield f"sqlite:///{os.path.abspath(path)}"
        return
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{os.path.join(tmp, 'bench.db')}"


def history() -> pd.DataFrame:
    """A year of hourly events, each believed ``BELIEF_TIMES`` times (1..4 days ahead)."""
    events = pd.date_range(START, periods=DAYS * 24, freq="1h")
    rng = np.random.default_rng(1)
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "event_start": events,
                    "belief_time": events - pd.Timedelta(days=ahead),
                    "value": rng.normal(50, 10, len(events)),
                }
            )
            for ahead in range(1, BELIEF_TIMES + 1)
        ],
        ignore_index=True,
    )


def populate(ws: wb.Workspace, progress: Progress, backend: str) -> tuple[int, list[str], int]:
    """As the store's admin: the account with its member, the model and the sensor.

    Returns the sensor's id, the full paths of the plants and how many objects the model has.
    """
    ws.create_account(ACCOUNT)
    ws.add_user(MEMBER, ACCOUNT, SECRET)
    md = ws.create_model_definition("Bench", account=ACCOUNT)
    plant = md.create_object_definition("Plant", namespace="Hydro")
    plant.add_attribute("Capacity", "double", unit="MW", minimum=0.0, default=0.0)
    watercourse = md.create_object_definition("Watercourse")
    watercourse.add_attribute("To_Plants", "ownership_many", target=plant)
    area = md.create_object_definition("Area")
    area.add_attribute("To_Watercourses", "ownership_many", target=watercourse)
    system = md.create_object_definition("System")
    system.add_attribute("To_Areas", "ownership_many", target=area)
    model = ws.create_model("Bench", md, system, account=ACCOUNT)
    task = progress.add_task(f"{backend}: model", total=AREAS * WATERCOURSES)
    plants: list[wb.Object] = []
    for a in model.add_children("To_Areas", [f"A{i}" for i in range(AREAS)], area):
        names = [f"{a.name}W{j}" for j in range(WATERCOURSES)]
        for w in a.add_children("To_Watercourses", names, watercourse):
            names = [f"{w.name}P{k:02d}" for k in range(PLANTS)]
            plants += w.add_children("To_Plants", names, plant)
            progress.advance(task)
    progress.update(task, description=f"{backend}: sensor")
    sensor = plants[len(plants) // 2].add_sensor("power", unit="MW", resolution="1h")
    sensor.ingest(history(), source="history", source_type="forecaster")
    progress.update(task, description=f"{backend}: ready")
    objects = 1 + AREAS + AREAS * WATERCOURSES + len(plants)
    return sensor.id, [p.full_name for p in plants], objects


# -- the calls -------------------------------------------------------------------------------


def calls(ws: wb.Workspace, sensor_id: int, paths: list[str], n: int) -> dict[str, list[Any]]:
    """``n`` calls of each kind for ``ws``: the same weeks and paths on every store (seeded)."""
    sensor = ws.sensor(sensor_id)
    rng = random.Random(7)
    hours = DAYS * 24 - int(WEEK / pd.Timedelta(hours=1))
    starts = [START + pd.Timedelta(hours=rng.randrange(hours)) for _ in range(n)]
    picked = [rng.choice(paths) for _ in range(n)]
    return {
        "week read": [
            lambda t=t: sensor.beliefs(t, t + WEEK, most_recent=True)  # type: ignore[misc]
            for t in starts
        ],
        "path look-up": [lambda p=p: ws.get(p) for p in picked],  # type: ignore[misc]
    }


def check(ws: wb.Workspace, sensor_id: int, paths: list[str]) -> None:
    """The calls return what they should (a week of 168 events; the object named)."""
    ds = ws.sensor(sensor_id).beliefs(START, START + WEEK, most_recent=True)
    assert ds.sizes["event_start"] == 168, ds.sizes
    assert ws.get(paths[-1]).full_name == paths[-1]


def time_calls(
    work: dict[str, dict[str, list[Any]]], kind: str, progress: Progress, label: str
) -> dict[str, list[float]]:
    """Milliseconds of each call of ``kind``, alternating between the stores (who goes first
    alternates too, so that neither always runs just after the other)."""
    n = len(work[BACKENDS[0]][kind])
    times: dict[str, list[float]] = {b: [] for b in BACKENDS}
    task = progress.add_task(f"{kind}, {label}", total=n)
    for i in range(n):
        for b in BACKENDS if i % 2 == 0 else BACKENDS[::-1]:
            call = work[b][kind][i]
            begin = time.perf_counter()
            call()
            times[b].append((time.perf_counter() - begin) * 1e3)
        progress.advance(task)
    return times


# -- round trips -----------------------------------------------------------------------------

KINDS = ("pre-ping", "BEGIN", "statements", "COMMIT/ROLLBACK")


class Wire:
    """What the driver itself sends, on every connection the engine hands out while it is on.

    SQLAlchemy's events see what passes through SQLAlchemy; the store also runs some statements
    on the driver's connection directly (cursor of the driver), which no event sees. So the
    driver is asked too: on PostgreSQL libpq's protocol trace (``PGconn.trace``: every
    ReadyForQuery ends one round trip), on SQLite the sqlite3 module's trace callback (every
    statement the library runs, its own BEGIN and COMMIT included).
    """

    def __init__(self, engine: sa.Engine) -> None:
        self.engine, self.sqlite = engine, engine.dialect.name == "sqlite"
        self.traced: dict[int, tuple[Any, Any]] = {}
        self.texts: list[str] = []
        self.lines: list[str] = []

    def attach(self, driver: Any) -> None:
        if id(driver) in self.traced:
            return
        if self.sqlite:
            driver.set_trace_callback(self.texts.append)
            self.traced[id(driver)] = (driver, None)
            return
        from psycopg import pq

        log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed in detach)
        driver.pgconn.trace(os.dup(log.fileno()))  # flushed on untrace
        # flags only hold for a trace under way: set after it starts
        driver.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        self.traced[id(driver)] = (driver, log)

    def checkout(self, dbapi_connection: Any, *_: Any) -> None:
        self.attach(dbapi_connection)

    def detach(self) -> None:
        for driver, log in self.traced.values():
            if self.sqlite:
                driver.set_trace_callback(None)
                continue
            driver.pgconn.untrace()
            log.seek(0)
            self.lines += log.read().splitlines()
            log.close()
        self.traced.clear()

    def counts(self) -> dict[str, int]:
        """Transaction commands, and everything else (statements and pings) the driver sent;
        on PostgreSQL also the round trips."""
        if self.sqlite:
            words = [t.lstrip().split(None, 1)[0].upper() for t in self.texts if t.strip()]
            begins = sum(w == "BEGIN" for w in words)
            ends = sum(w in ("COMMIT", "ROLLBACK", "END") for w in words)
            return {"BEGIN": begins, "COMMIT/ROLLBACK": ends, "other": len(words) - begins - ends}
        fields = [line.split("\t") for line in self.lines]
        trips = sum(f[0] == "B" and f[2] == "ReadyForQuery" for f in fields if len(f) > 2)
        sent = [
            f[3].strip().strip('"').split(None, 1)[0].upper()
            for f in fields
            if len(f) > 3 and f[0] == "F" and f[2] == "Query"
        ]
        begins = sum(w == "BEGIN" for w in sent)
        ends = sum(w in ("COMMIT", "ROLLBACK") for w in sent)
        return {
            "BEGIN": begins,
            "COMMIT/ROLLBACK": ends,
            "other": trips - begins - ends,
            "round trips": trips,
        }


@contextmanager
def round_trips(engine: sa.Engine) -> Iterator[dict[str, dict[str, int]]]:
    """Count what the engine sends to the database while the block runs.

    Yields ``{"events": ..., "driver": ...}``, filled in when the block ends. Events: statements
    through ``before_cursor_execute``; BEGIN, COMMIT and ROLLBACK through the connection events;
    pool pre-pings by wrapping ``engine.dialect.do_ping`` (a pre-ping goes to the driver
    directly, through no cursor event). Driver: see :class:`Wire`.
    """
    counts = dict.fromkeys(KINDS, 0)
    result: dict[str, dict[str, int]] = {}

    def statement(*_: Any) -> None:
        counts["statements"] += 1

    def begin(*_: Any) -> None:
        counts["BEGIN"] += 1

    def end(*_: Any) -> None:
        counts["COMMIT/ROLLBACK"] += 1

    dialect = engine.dialect
    ping = dialect.do_ping

    def counted_ping(dbapi_connection: Any) -> bool:
        counts["pre-ping"] += 1
        return ping(dbapi_connection)

    wire = Wire(engine)
    with engine.connect() as conn:  # the pooled connection the next calls get: traced already
        wire.attach(conn.connection.driver_connection)
    listeners = [
        ("before_cursor_execute", statement),
        ("begin", begin),
        ("commit", end),
        ("rollback", end),
        ("checkout", wire.checkout),  # a connection opened meanwhile: traced from its checkout
    ]
    for name, fn in listeners:
        sa.event.listen(engine, name, fn)
    dialect.do_ping = counted_ping  # type: ignore[method-assign]
    try:
        yield result
    finally:
        del dialect.do_ping  # the class's method again
        for name, fn in listeners:
            sa.event.remove(engine, name, fn)
        wire.detach()
        result.update(events=counts, driver=wire.counts())


def count_trips(
    ws: wb.Workspace, call_list: list[Any], grouped: bool
) -> dict[str, dict[str, float]]:
    """Round trips per call: of ``COUNTED`` plain calls, or (grouped) of as many calls inside one
    ``ws.transaction()`` (its BEGIN, role re-read and COMMIT spread over them)."""
    with round_trips(ws.engine) as result:
        if grouped:
            with ws.transaction():
                for call in call_list[:COUNTED]:
                    call()
        else:
            for call in call_list[:COUNTED]:
                call()
    return {side: {k: v / COUNTED for k, v in c.items()} for side, c in result.items()}


# -- the report ------------------------------------------------------------------------------


def p90(values: list[float]) -> float:
    return float(np.percentile(values, 90))


def report_times(title: str, results: dict[str, dict[str, list[float]]], goals: bool) -> list[str]:
    """Print one table of medians and p90s; returns the calls whose goal was missed."""
    print(f"\n{title}")
    head = f"  {'call':<13} {'SQLite ms':>20} {'PostgreSQL ms':>20} {'ratio':>7}"
    if goals:
        head += f" {'goal':>8}  met?"
    print(head)
    print(f"  {'':<13} {'median / p90':>20} {'median / p90':>20}")
    missed = []
    for kind, times in results.items():
        lite, pg = (statistics.median(times[b]) for b in BACKENDS)
        ratio = pg / lite
        line = (
            f"  {kind:<13} {lite:>10.3f} / {p90(times['SQLite']):>7.3f}"
            f" {pg:>10.3f} / {p90(times['PostgreSQL']):>7.3f} {ratio:>6.2f}x"
        )
        if goals:
            met = ratio <= GOALS[kind]
            line += f" {f'<= {GOALS[kind]}x':>8}  {'yes' if met else 'NO'}"
            if not met:
                missed.append(kind)
        print(line)
    return missed


def _n(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def report_trips(title: str, trips: dict[str, dict[str, dict[str, dict[str, float]]]]) -> None:
    """Per call and store: what SQLAlchemy's events saw / what the driver sent."""
    print(f"\n{title}")
    print(
        f"  {'call':<13} {'store':<11} {'pre-ping':>8} {'BEGIN':>12} {'statements':>13} "
        f"{'COMMIT/ROLLBACK':>16}   network round trips"
    )
    print(f"  {'':<25} {'':>8} {'event/sent':>12} {'event/sent':>13} {'event/sent':>16}")
    for kind, by_backend in trips.items():
        for b in BACKENDS:
            ev, dr = by_backend[b]["events"], by_backend[b]["driver"]
            sent = dr["other"] - ev["pre-ping"]  # each pre-ping is one statement of the driver
            network = _n(dr["round trips"]) if "round trips" in dr else "none (in-process)"
            print(
                f"  {kind:<13} {b:<11} {_n(ev['pre-ping']):>8} "
                f"{_n(ev['BEGIN']) + ' / ' + _n(dr['BEGIN']):>12} "
                f"{_n(ev['statements']) + ' / ' + _n(sent):>13} "
                f"{_n(ev['COMMIT/ROLLBACK']) + ' / ' + _n(dr['COMMIT/ROLLBACK']):>16}   {network}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="timed calls of each kind")
    parser.add_argument("--postgres", default=PG_URL, help="a PostgreSQL URL")
    parser.add_argument(
        "--sqlite", help="a new SQLite file for the store (default: a temporary file)"
    )
    args = parser.parse_args(argv)
    n = max(args.calls, COUNTED)
    columns = [
        TextColumn("{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    ]
    with ExitStack() as stack:
        urls = {
            "SQLite": stack.enter_context(sqlite_url(args.sqlite)),
            "PostgreSQL": stack.enter_context(schema_url(args.postgres)),
        }
        members: dict[str, wb.Workspace] = {}
        work: dict[str, dict[str, list[Any]]] = {}
        with Progress(*columns) as progress:
            for b in BACKENDS:
                admin = wb.init_store(urls[b], admin=ADMIN, secret=SECRET)
                begin = time.perf_counter()
                try:
                    sensor_id, paths, objects = populate(admin, progress, b)
                finally:
                    admin.close()
                built = time.perf_counter() - begin
                member = wb.connect(urls[b], user=MEMBER, secret=SECRET)
                stack.callback(member.close)
                check(member, sensor_id, paths)
                members[b] = member
                work[b] = calls(member, sensor_id, paths, n)
                warm = calls(member, sensor_id, paths, WARM_UP)
                for call_list in warm.values():
                    for call in call_list:
                        call()
                progress.console.print(f"{b}: built in {built:.1f} s")
            plain = {k: time_calls(work, k, progress, "plain calls") for k in GOALS}
            grouped: dict[str, dict[str, list[float]]] = {}
            for kind in GOALS:
                with ExitStack() as tx:
                    for b in BACKENDS:
                        tx.enter_context(members[b].transaction())
                    grouped[kind] = time_calls(work, kind, progress, "one transaction")
        trips = {
            kind: {b: count_trips(members[b], work[b][kind], False) for b in BACKENDS}
            for kind in GOALS
        }
        trips_grouped = {
            kind: {b: count_trips(members[b], work[b][kind], True) for b in BACKENDS}
            for kind in GOALS
        }
        versions = {b: members[b].engine.dialect.server_version_info for b in BACKENDS}

    depth = paths[0].count("/") - 1  # below the model's root
    print(
        f"\nstores: SQLite {'.'.join(map(str, versions['SQLite'] or ()))} (a file), PostgreSQL "
        f"{'.'.join(map(str, versions['PostgreSQL'] or ()))}; signed in as {MEMBER}, a member of "
        f"account {ACCOUNT!r} that owns the model and the sensor"
    )
    print(
        f"week read: 168 hourly events of a sensor holding {DAYS * 24:,} events x "
        f"{BELIEF_TIMES} belief times ({DAYS * 24 * BELIEF_TIMES:,} beliefs), most_recent=True"
    )
    print(
        f"path look-up: ws.get of a plant {depth} levels below the root by its full name "
        f"(e.g. {paths[0]}) in a model of {objects:,} objects"
    )
    print(
        f"{n} calls of each kind per store after {WARM_UP} warm-up calls, load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    missed = report_times("plain calls (each its own transaction)", plain, goals=True)
    report_times("inside one ws.transaction() (reference)", grouped, goals=False)
    report_trips(f"round trips per plain call (mean of {COUNTED})", trips)
    report_trips(
        f"round trips per call inside one ws.transaction() of {COUNTED} calls", trips_grouped
    )
    print(NOTES)
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
