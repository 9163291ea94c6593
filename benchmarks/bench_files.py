"""Benchmark of a streamed Parquet import: 10,000,000 one-minute beliefs in bounded memory.

Writes a Parquet file of ``--rows`` minutes (event_start, value) in pieces, then imports it
into one sensor with ``workbench.interop.files.import_beliefs`` (batches of ``--batch`` rows, one
transaction). Prints rows/s, the peak of Python's allocations during the import (tracemalloc,
``--trace``; it slows the import down) and the growth of the process's peak RSS, beside the
size of the whole file as a pandas frame::

    python benchmarks/bench_files.py [--rows 10000000] [--batch 100000] [--postgres URL]
        [--no-sqlite] [--trace]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from stores import postgres_store, sqlite_store

import workbench as wb
from workbench.interop.files import import_beliefs

T0 = pd.Timestamp("2025-01-01T00:00Z")


def write_file(path: Path, rows: int, piece: int = 1_000_000) -> float:
    """The file, written piece by piece; returns its size in MB as one pandas frame."""
    writer = None
    for begin in range(0, rows, piece):
        n = min(piece, rows - begin)
        starts = pd.date_range(T0 + pd.Timedelta(minutes=begin), periods=n, freq="1min")
        table = pa.table(
            {
                "event_start": pa.array(starts.as_unit("us")),
                "value": pa.array(np.arange(begin, begin + n, dtype=np.float64)),
            }
        )
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()
    # event_start (8 bytes, tz-aware) and value (8 bytes) per row, as pandas would hold them
    return rows * 16 / 1e6


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(ws: wb.Workspace, label: str, rows: int, batch: int, trace: bool) -> None:
    md = ws.create_model_definition("Bench")
    model = ws.create_model("Bench", md, md.create_object_definition("Plant"))
    sensor = model.add_sensor("power", unit="MW", resolution="PT1M")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.parquet"
        frame_mb = write_file(path, rows)
        file_mb = path.stat().st_size / 1e6
        before = rss_mb()
        if trace:
            tracemalloc.start()
        began = time.perf_counter()
        stored = import_beliefs(ws, path, sensor, source="meter", belief_time=T0, batch_rows=batch)
        seconds = time.perf_counter() - began
        peak = tracemalloc.get_traced_memory()[1] / 1e6 if trace else float("nan")
        if trace:
            tracemalloc.stop()
        grown = rss_mb() - before
    assert stored == {sensor.full_name: rows}, stored
    print(
        f"{label}: {rows:,} rows in {seconds:.1f} s = {rows / seconds:,.0f} rows/s; "
        f"file {file_mb:.0f} MB on disk, {frame_mb:.0f} MB as a frame; "
        f"peak RSS grew {grown:.0f} MB; tracemalloc peak {peak:.0f} MB (batches of {batch:,})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--postgres", default=None, help="also on PostgreSQL at this URL")
    parser.add_argument("--no-sqlite", action="store_true", help="only on PostgreSQL")
    parser.add_argument("--trace", action="store_true", help="measure with tracemalloc")
    args = parser.parse_args()
    if not args.no_sqlite:
        with sqlite_store() as ws:
            run(ws, "SQLite", args.rows, args.batch, args.trace)
    if args.postgres:
        with postgres_store(args.postgres) as ws:
            run(ws, "PostgreSQL", args.rows, args.batch, args.trace)


if __name__ == "__main__":
    main()
