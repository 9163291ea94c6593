"""Benchmark: the beliefs store on PostgreSQL, side by side with timely-beliefs 4.4.1's own tables.

Data (``timely_beliefs_reference.make_data``): one sensor, 10,000 quarter-hour events x 100
belief times = 1,000,000 beliefs, one source. Each side stores them in a PostgreSQL schema of its
own and then runs the most-recent search over all events, and the same as of the middle event's
start. The workbench ingests a DataFrame with ``Sensor.ingest`` and queries with
``Sensor.beliefs`` into an xarray Dataset; timely-beliefs builds a ``BeliefsDataFrame``, writes it
with ``DBTimedBelief.add_to_session`` (bulk, COPY on PostgreSQL) and searches with
``DBTimedBelief.search_session(most_recent_beliefs_only=True)`` into a BeliefsDataFrame. Both
selections are checked to be equal; each figure and each ratio is printed.

timely-beliefs runs in its own virtual environment (benchmarks/tb_env.sh makes
benchmarks/.tb-venv; it pins pandas < 3): this file starts itself there with ``--reference``.

    .venv/bin/python benchmarks/bench_store_vs_tb.py [--postgres URL] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from stores import postgres_store, schema_url  # noqa: E402
from timely_beliefs_reference import make_data, viewpoint_time  # noqa: E402
from timing import timed  # noqa: E402

TB_PYTHON = HERE / ".tb-venv" / "bin" / "python"
PG_URL = os.environ.get(
    "WORKBENCH_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# The targets for the workbench on PostgreSQL.
TARGETS = {"ingest /s": (500_000, "min"), "most recent ms": (60, "max"), "as of ms": (60, "max")}


def belief_frame(value_column: str) -> Any:
    """The benchmark's beliefs as a DataFrame (timezone-aware times, values in ``value_column``)."""
    import pandas as pd

    data = make_data()
    return pd.DataFrame(
        {
            "event_start": pd.DatetimeIndex(data["event_start"]).tz_localize("UTC"),
            "belief_time": pd.DatetimeIndex(data["belief_time"]).tz_localize("UTC"),
            value_column: data["value"],
        }
    )


def utc_naive(index: Any) -> np.ndarray:
    return index.tz_convert("UTC").tz_localize(None).as_unit("ns").to_numpy()


# -- timely-beliefs (runs in benchmarks/.tb-venv) --------------------------------------------


def reference(url: str, output: str, repeat: int) -> None:
    """Store and search the beliefs with timely-beliefs' DB classes; write figures and results."""
    from datetime import timedelta

    import pandas as pd
    import sqlalchemy as sa
    import timely_beliefs as tb
    from sqlalchemy.orm import Session
    from timely_beliefs.db_base import Base

    frame = belief_frame("event_value")
    with schema_url(url) as scoped:
        engine = sa.create_engine(scoped)
        Base.metadata.create_all(engine)
        with Session(engine) as session:
            sensor = tb.DBSensor("benchmark", unit="MW", event_resolution=timedelta(minutes=15))
            source = tb.DBBeliefSource("forecaster")
            session.add_all([sensor, source])
            session.commit()
            begin = time.perf_counter()
            beliefs = tb.BeliefsDataFrame(frame, sensor=sensor, source=source)
            build_s = time.perf_counter() - begin
            begin = time.perf_counter()
            tb.DBTimedBelief.add_to_session(session, beliefs, bulk_save_objects=True)
            session.commit()
            write_s = time.perf_counter() - begin

            def search(**filters: Any) -> Any:
                return tb.DBTimedBelief.search_session(
                    session,
                    sensor=sensor,
                    source=source,
                    most_recent_beliefs_only=True,
                    use_materialized_view=False,  # none was made; the plain tables
                    **filters,
                )

            moment = pd.Timestamp(viewpoint_time()).tz_localize("UTC")
            recent_s, recent = timed(search, repeat)
            as_of_s, as_of = timed(lambda: search(beliefs_before=moment), repeat)
        engine.dispose()

    def columns(found: Any, prefix: str) -> dict[str, np.ndarray]:
        index = found.index
        return {
            f"{prefix}_event_start": utc_naive(index.get_level_values("event_start")),
            f"{prefix}_belief_time": utc_naive(index.get_level_values("belief_time")),
            f"{prefix}_value": found["event_value"].to_numpy(dtype=np.float64),
        }

    np.savez(
        output,
        build_s=build_s,
        write_s=write_s,
        recent_s=recent_s,
        as_of_s=as_of_s,
        **columns(recent, "recent"),
        **columns(as_of, "as_of"),
    )
    print(f"timely-beliefs {tb.__version__}, pandas {pd.__version__}, SQLAlchemy {sa.__version__}")


def run_reference(url: str, repeat: int) -> dict[str, Any] | None:
    if not TB_PYTHON.exists():
        print(f"\n{TB_PYTHON} is missing; run benchmarks/tb_env.sh for the timely-beliefs figures")
        return None
    with tempfile.TemporaryDirectory() as tmp:
        output = os.path.join(tmp, "tb.npz")
        command = [str(TB_PYTHON), __file__, "--reference", output, "--postgres", url]
        subprocess.run([*command, "--repeat", str(repeat)], check=True)
        with np.load(output) as saved:
            return {key: saved[key] for key in saved.files}


# -- the workbench ---------------------------------------------------------------------------


def workbench_figures(url: str, repeat: int) -> dict[str, Any]:
    import pandas as pd

    frame = belief_frame("value")
    with postgres_store(url) as ws:
        md = ws.create_model_definition("Bench")
        model = ws.create_model("Bench", md, md.create_object_definition("Plant"))
        sensor = model.add_sensor("benchmark", unit="MW", resolution="15min")
        begin = time.perf_counter()
        stored = sensor.ingest(frame, source="forecaster", source_type="forecaster")
        ingest_s = time.perf_counter() - begin
        assert stored == len(frame)

        def search(**filters: Any) -> Any:
            return sensor.beliefs(most_recent=True, probabilistic=False, **filters)

        moment = pd.Timestamp(viewpoint_time()).tz_localize("UTC")
        recent_s, recent = timed(search, repeat)
        as_of_s, as_of = timed(lambda: search(as_of=moment), repeat)
    return {
        "ingest_s": ingest_s,
        "recent_s": recent_s,
        "as_of_s": as_of_s,
        "recent": recent,
        "as_of": as_of,
    }


def same_beliefs(ds: Any, tb: dict[str, Any], prefix: str) -> bool:
    """The Dataset's most recent beliefs equal timely-beliefs' (events, belief times, values)."""
    values = ds["value"].to_series().dropna()
    times = ds["belief_time"].to_series().loc[values.index]
    order = np.argsort(tb[f"{prefix}_event_start"], kind="stable")
    events = values.index.get_level_values("event_start").to_numpy()
    return bool(
        np.array_equal(events, tb[f"{prefix}_event_start"][order])
        and np.array_equal(times.to_numpy(), tb[f"{prefix}_belief_time"][order])
        and np.allclose(values.to_numpy(), tb[f"{prefix}_value"][order])
    )


def line(name: str, ours: float, theirs: float | None, unit: str, higher_is_better: bool) -> None:
    text = f"  {name:<16} workbench {ours:>12,.1f} {unit:<9}"
    if theirs is not None:
        ratio = ours / theirs if higher_is_better else theirs / ours
        text += f" timely-beliefs {theirs:>12,.1f} {unit:<9} workbench {ratio:,.1f}x faster"
    target = TARGETS.get(name)
    if target is not None:
        goal, kind = target
        ok = ours >= goal if kind == "min" else ours <= goal
        sign = ">=" if kind == "min" else "<="
        text += f"   (target {sign} {goal:,}: {'ok' if ok else 'MISSED'})"
    print(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=PG_URL, help="a PostgreSQL URL")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per search")
    parser.add_argument("--reference", metavar="OUTPUT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.reference:
        reference(args.postgres, args.reference, args.repeat)
        return
    n = len(make_data()["value"])
    print(f"{n:,} beliefs: 10,000 quarter-hour events x 100 belief times, one source, PostgreSQL")
    ours = workbench_figures(args.postgres, args.repeat)
    theirs = run_reference(args.postgres, args.repeat)
    tb_ingest = None if theirs is None else float(theirs["build_s"] + theirs["write_s"])
    print()
    line(
        "ingest /s", n / ours["ingest_s"], None if tb_ingest is None else n / tb_ingest, "/s", True
    )
    line("ingest s", ours["ingest_s"], tb_ingest, "s", False)
    if theirs is not None:
        print(
            f"  {'':<16} (timely-beliefs: BeliefsDataFrame {float(theirs['build_s']):.1f} s, "
            f"add_to_session and commit {float(theirs['write_s']):.1f} s)"
        )
    for key, name in (("recent_s", "most recent ms"), ("as_of_s", "as of ms")):
        reference_ms = None if theirs is None else float(theirs[key]) * 1e3
        line(name, ours[key] * 1e3, reference_ms, "ms", False)
    if theirs is not None:
        for prefix in ("recent", "as_of"):
            same = same_beliefs(ours[prefix], theirs, prefix)
            count = int(ours[prefix]["value"].count())
            print(f"  {prefix:<16} {count:,} beliefs selected; the same on both sides: {same}")


if __name__ == "__main__":
    main()
