"""Importing a FlexMeasures database: beliefs per second from a FlexMeasures-shaped PostgreSQL
schema into a workbench PostgreSQL store, beside FlexMeasures' own ``TimedBelief.search`` over
the same beliefs (run in ``.venv-interop`` when it exists).

    python benchmarks/bench_import_fm.py [--beliefs 1000000] [--postgres URL]

The FlexMeasures side is built with FlexMeasures 1.0's table shapes (as the tests do) and
filled by ``generate_series``: two hourly sensors (one ``ex_post``, one
``x_days_ago_at_y_oclock``), 10 horizons per event, one source.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]
from stores import postgres_store  # noqa: E402

import workbench as wb  # noqa: E402
from workbench.store import flexmeasures_source as fm  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
INTEROP_PYTHON = ROOT / ".venv-interop" / "bin" / "python"
AMS = "Europe/Amsterdam"

_SEARCH = """
import json, sys, time
from flexmeasures.app import create
from flexmeasures.data.models.time_series import Sensor, TimedBelief
app = create(env="development")
out = {}
with app.app_context():
    started = time.perf_counter(); n = 0
    for sensor in Sensor.query.all():
        bdf = TimedBelief.search(sensor, most_recent_beliefs_only=False)
        bdf = bdf.convert_index_from_belief_horizon_to_time()
        n += len(bdf)
    out = {"beliefs": n, "seconds": time.perf_counter() - started}
print(json.dumps(out))
"""


@contextmanager
def database(url: str) -> Iterator[str]:
    """A fresh database on the server of ``url`` (FlexMeasures' app takes a database, not a
    schema), dropped afterwards."""
    name = f"bench_fm_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield sa.make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def build(url: str, n: int) -> None:
    engine = sa.create_engine(url)
    fm.FM_METADATA.create_all(engine)
    t = fm.FM_METADATA.tables
    per_sensor = n // 2
    events = per_sensor // 10
    with engine.begin() as conn:
        conn.execute(t["alembic_version"].insert(), [{"version_num": "3bc1e29ca1f4"}])
        conn.execute(t["account"].insert(), [{"id": 1, "name": "Bench", "attributes": {}}])
        conn.execute(t["generic_asset_type"].insert(), [{"id": 1, "name": "site"}])
        conn.execute(
            t["generic_asset"].insert(),
            [
                {
                    "id": 1,
                    "name": "site",
                    "account_id": 1,
                    "generic_asset_type_id": 1,
                    "attributes": {},
                    "flex_context": {},
                    "flex_model": {},
                },
            ],
        )
        conn.execute(
            t["sensor"].insert(),
            [
                {
                    "id": 1,
                    "name": "power",
                    "unit": "MW",
                    "timezone": AMS,
                    "event_resolution": timedelta(hours=1),
                    "knowledge_horizon_fnc": "ex_post",
                    "knowledge_horizon_par": {"ex_post_horizon": "P0D"},
                    "attributes": {},
                    "generic_asset_id": 1,
                },
                {
                    "id": 2,
                    "name": "prices",
                    "unit": "EUR/MWh",
                    "timezone": AMS,
                    "event_resolution": timedelta(hours=1),
                    "knowledge_horizon_fnc": "x_days_ago_at_y_oclock",
                    "knowledge_horizon_par": {"x": 1, "y": 12, "z": AMS},
                    "attributes": {},
                    "generic_asset_id": 1,
                },
            ],
        )
        conn.execute(
            t["data_source"].insert(),
            [{"id": 1, "name": "bench", "type": "forecaster", "attributes": {}}],
        )
        conn.execute(
            sa.text(
                "INSERT INTO timed_belief (event_start, belief_horizon, cumulative_probability,"
                " event_value, sensor_id, source_id)"
                " SELECT timestamptz '2024-01-01 00:00+00' + e * interval '1 hour', h * interval '1 hour',"
                " 0.5, random() * 100, s, 1"
                " FROM generate_series(0, :events - 1) e, generate_series(0, 9) h, generate_series(1, 2) s"
            ),
            {"events": events},
        )
        for table in ("account", "generic_asset_type", "generic_asset", "sensor", "data_source"):
            # FlexMeasures' app adds rows of its own when it starts: ids go on after ours
            conn.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
            )
        conn.execute(sa.text("ANALYZE timed_belief"))
    engine.dispose()


def fill(url: str, n: int) -> None:
    """Add ``n`` beliefs to a database FlexMeasures built (``INTEROP_KEEP_DATABASE=1
    scripts/interop_env.sh`` keeps one): to its sensors "discharging" and "day-ahead prices"."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO timed_belief (event_start, belief_horizon, cumulative_probability,"
                " event_value, sensor_id, source_id)"
                " SELECT timestamptz '2020-01-01 00:00+00' + e * interval '1 hour',"
                " h * interval '1 hour', 0.5, random() * 100, s.id, (SELECT min(id) FROM data_source)"
                " FROM generate_series(0, :events - 1) e, generate_series(0, 9) h,"
                " (SELECT min(id) AS id FROM sensor WHERE name IN ('discharging', 'day-ahead prices')"
                "  GROUP BY name) s"
            ),
            {"events": n // 20},
        )
        conn.execute(sa.text("ANALYZE timed_belief"))
    engine.dispose()


def flexmeasures_search(url: str) -> dict[str, float] | None:
    if not INTEROP_PYTHON.exists():
        return None
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as home:
        plain = url.replace("postgresql+psycopg://", "postgresql://")
        Path(home, ".flexmeasures.cfg").write_text(
            f'SQLALCHEMY_DATABASE_URI = "{plain}"\nSECRET_KEY = "bench"\n'
            'SECURITY_TWO_FACTOR_LOGIN_VALIDITY = "7 days"\n'
        )
        env = {
            **os.environ,
            "HOME": home,
            "FLEXMEASURES_ENV": "development",
            "LOGGING_LEVEL": "WARNING",
        }
        done = subprocess.run(
            [str(INTEROP_PYTHON), "-c", _SEARCH],
            env=env,
            cwd=home,
            capture_output=True,
            text=True,
            timeout=3600,
        )
    if done.returncode != 0:
        print("FlexMeasures search failed:", done.stderr[-1500:])
        return None
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--beliefs", type=int, default=1_000_000)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--flexmeasures-url", help="a database FlexMeasures built, to add to")
    args = parser.parse_args()
    with database(args.postgres) as scratch:
        fm_url = args.flexmeasures_url or scratch
        fm_url = fm_url.replace("postgresql://", "postgresql+psycopg://", 1)
        started = time.perf_counter()
        (fill if args.flexmeasures_url else build)(fm_url, args.beliefs)
        print(
            f"FlexMeasures-shaped database: {args.beliefs:,} beliefs built in "
            f"{time.perf_counter() - started:.1f} s"
        )
        plain = fm_url.replace("postgresql+psycopg://", "postgresql://")
        with postgres_store(args.postgres) as ws:
            summary = wb.import_flexmeasures(ws, plain)
            n = summary.added["beliefs"]
            print(
                f"import into a workbench PostgreSQL store: {n:,} beliefs in "
                f"{summary.seconds:.2f} s = {n / summary.seconds:,.0f} beliefs/s (target 200,000)"
            )
            again = wb.import_flexmeasures(ws, plain)
            print(
                f"import again (nothing new): {again.seconds:.2f} s = "
                f"{again.existing['beliefs'] / again.seconds:,.0f} beliefs/s checked"
            )
        search = flexmeasures_search(fm_url) if args.flexmeasures_url else None
        if search is None:
            print(
                "FlexMeasures' TimedBelief.search: skipped (no .venv-interop; run "
                "scripts/interop_env.sh first)"
            )
        else:
            rate = search["beliefs"] / search["seconds"]
            print(
                f"FlexMeasures 1.0.1 TimedBelief.search (every belief, belief times): "
                f"{search['beliefs']:,.0f} beliefs in {search['seconds']:.2f} s = {rate:,.0f}/s; "
                f"the import is {n / summary.seconds / rate:.1f}x its rate"
            )


if __name__ == "__main__":
    main()
