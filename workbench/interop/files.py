"""Beliefs in and out of files: CSV, Parquet and Excel, in long or wide form.

Long form is one row per belief with every belief dimension (``sensor``, ``event_start``,
``belief_time``, ``source``, ``cumulative_probability``, ``value``, ``flags``); wide form is one
row per event with a column per sensor, named by its full name, and per quantile for
probabilistic sources (``<full name>@0.1``, see :func:`workbench.xr.quantile_column`).

An import is one transaction: every belief of the file is stored, or (on any error) none. A
Parquet file is read and stored batch by batch within that transaction, so Python's memory stays
bounded however large the file; each batch is prepared on its own (units, resolution) with the
events' resolution fixed from the first batch. Events finer than the sensor's resolution must be
joined whole, so for such a sensor the batches are gathered and stored at the end (memory then
grows with the file).

Examples
--------
>>> import tempfile, pandas as pd, workbench as wb
>>> from workbench.interop.files import export_beliefs, import_beliefs
>>> ws = wb.connect("sqlite://")
>>> md = ws.create_model_definition("Demo")
>>> model = ws.create_model("M", md, md.create_object_definition("Plant"))
>>> power = model.add_sensor("power", unit="MW", resolution="PT1H")
>>> index = pd.date_range("2025-01-01", periods=3, freq="1h", tz="UTC")
>>> power.ingest(pd.Series([1.0, 2.0, 3.0], index=index), source="meter",
...              belief_time="2025-01-02T00:00Z")
3
>>> path = tempfile.mkdtemp() + "/power.parquet"
>>> export_beliefs(ws, [power], path, timezone="Europe/Amsterdam")
3
>>> import_beliefs(ws, path)
{'Model/M:power': 3}
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from workbench.api import Sensor, Workspace
from workbench.beliefs import NanPolicy, parse_resolution
from workbench.beliefs.prepare import ROW_GROUPS
from workbench.beliefs.timing import Duration, infer_resolution, to_utc_naive
from workbench.errors import InvalidValue, NotFound
from workbench.interop.formats import FileFormat, file_format, open_table, write_table
from workbench.paths import escape_controls
from workbench.xr.frames import QUANTILE_MARK, to_frame

__all__ = ["beliefs_table", "export_beliefs", "import_beliefs", "read_wide_column"]

#: Columns that only a long-form file has.
_LONG = ("value", "event_value", "belief_time", "belief_horizon", "source", "flags", "sensor")
_LONG_ALSO = ("cumulative_probability",)


# -- export ---------------------------------------------------------------------------------


def export_beliefs(
    ws: Workspace,
    sensors: Sequence[Sensor | int | str],
    path: str | os.PathLike[str],
    *,
    format: FileFormat | None = None,
    wide: bool = False,
    start: Any = None,
    end: Any = None,
    as_of: Any = None,
    timezone: str | None = None,
    sources: Any = None,
    most_recent: bool = False,
) -> int:
    """Write sensors' beliefs to a file; returns the number of rows written.

    Parameters
    ----------
    sensors
        Sensor handles, ids or ``OBJECT_PATH:NAME`` keys; one the user cannot read is NotFound,
        as if it did not exist.
    path, format
        The file (``-``: standard output, CSV only) and ``"csv"``, ``"parquet"`` or ``"xlsx"``
        (default: from the suffix).
    wide, start, end, as_of, timezone, sources, most_recent
        See :func:`beliefs_table`.
    """
    kind = file_format(path, format)
    table = beliefs_table(
        ws,
        sensors,
        wide=wide,
        start=start,
        end=end,
        as_of=as_of,
        timezone=timezone,
        sources=sources,
        most_recent=most_recent,
    )
    return write_table(table, path, kind)


def beliefs_table(
    ws: Workspace,
    sensors: Sequence[Sensor | int | str],
    *,
    wide: bool = False,
    start: Any = None,
    end: Any = None,
    as_of: Any = None,
    timezone: str | None = None,
    sources: Any = None,
    most_recent: bool = False,
) -> pd.DataFrame:
    """Sensors' beliefs as one table, read in one transaction.

    Parameters
    ----------
    sensors
        Sensor handles, ids or ``OBJECT_PATH:NAME`` keys; one the user cannot read is NotFound,
        as if it did not exist.
    wide
        One row per event, one column per sensor (and quantile): the most recent beliefs as of
        ``as_of``; each sensor's beliefs must come from one source (choose with ``sources``).
        Otherwise long form: every belief, with a ``sensor`` column first.
    start, end, as_of, sources
        The filters of :meth:`workbench.Sensor.beliefs`.
    timezone
        The zone of the times, which keep their offsets (default: UTC).
    most_recent
        Long form: only the most recent belief per event, source and probability.
    """
    with ws.transaction():  # one snapshot of every sensor
        handles = [s if isinstance(s, Sensor) else ws.sensor(s) for s in sensors]
        frames = []
        for sensor in handles:
            ds = sensor.beliefs(
                start, end, as_of=as_of, sources=sources, most_recent=most_recent or wide
            )
            frame = to_frame(ds, wide=wide, timezone=timezone)
            if not wide:
                frame.insert(0, "sensor", sensor.full_name)
            frames.append(frame)
    return _combine(frames, wide)


def _combine(frames: list[pd.DataFrame], wide: bool) -> pd.DataFrame:
    if not frames:
        raise InvalidValue("name at least one sensor to export")
    if not wide:
        return pd.concat(frames, ignore_index=True)
    table = frames[0]
    for frame in frames[1:]:
        table = table.merge(frame, on="event_start", how="outer")
    return table.sort_values("event_start", kind="stable").reset_index(drop=True)


# -- import ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Options:
    """The keyword arguments of ``Sensor.ingest`` that apply to every batch."""

    source: str | None = None
    source_type: str = "user"
    unit: str | None = None
    belief_time: Any = None
    timezone: str | None = None
    resolution: Duration | None = None
    nan: NanPolicy = "drop"
    skip_unchanged: bool = False
    progress: bool = False

    def ingest(self, sensor: Sensor, frame: pd.DataFrame, resolution: Any) -> int:
        return sensor.ingest(
            frame,
            source=self.source,
            source_type=self.source_type,
            unit=self.unit,
            belief_time=self.belief_time,
            timezone=self.timezone,
            resolution=resolution,
            nan=self.nan,
            skip_unchanged=self.skip_unchanged,
            progress=self.progress,
        )


@dataclass
class _Feed:
    """One sensor's rows, stored batch by batch (or, when events must be joined, at the end)."""

    sensor: Sensor
    options: _Options
    streamed: bool
    resolution: Any = None
    decided: bool = False
    held: list[pd.DataFrame] | None = None
    stored: int = 0

    def add(self, frame: pd.DataFrame) -> None:
        if not self.streamed:
            self.stored += self.options.ingest(self.sensor, frame, self.options.resolution)
            return
        if not self.decided:
            self._decide(frame)
        if self.held is not None:
            self.held.append(frame)
        else:
            self.stored += self.options.ingest(self.sensor, frame, self.resolution)

    def _decide(self, frame: pd.DataFrame) -> None:
        """Fix the events' resolution from the first batch, so that every batch agrees."""
        self.decided = True
        target = self.sensor.resolution
        if self.options.resolution is not None:
            given = parse_resolution(self.options.resolution)
        elif target == pd.Timedelta(0):
            given = target
        else:
            keys = [frame[name] for name in ROW_GROUPS if name in frame.columns]
            starts, zone = to_utc_naive(
                frame["event_start"], "event_start", self.options.timezone, keys=keys
            )
            given = infer_resolution(starts, zone) or target
        self.resolution = given
        if pd.Timedelta(0) < given < target:
            self.held = []

    def finish(self) -> None:
        if self.held:
            whole = pd.concat(self.held, ignore_index=True)
            self.held = None
            self.stored += self.options.ingest(self.sensor, whole, self.resolution)


def import_beliefs(
    ws: Workspace,
    path: str | os.PathLike[str],
    sensor: Sensor | int | str | None = None,
    *,
    format: FileFormat | None = None,
    sheet: str | None = None,
    source: str | None = None,
    source_type: str = "user",
    unit: str | None = None,
    belief_time: Any = None,
    timezone: str | None = None,
    resolution: Duration | None = None,
    nan: NanPolicy = "drop",
    skip_unchanged: bool = False,
    batch_rows: int = 100_000,
    progress: bool = False,
) -> dict[str, int]:
    """Store the beliefs of a file, all or (on any error) none; returns the number stored per
    sensor full name.

    Parameters
    ----------
    path, format, sheet
        The file, its format (default: from the suffix) and, for Excel, the sheet's name
        (default: the first sheet).
    sensor
        The sensor of a long-form file without a ``sensor`` column. A wide file names its
        sensors in its column headers (full names, ``@<probability>`` for a quantile).
    source, source_type, unit, belief_time, timezone, resolution, nan, skip_unchanged
        As for :meth:`workbench.Sensor.ingest`. Without a belief-time column or
        ``belief_time``, the beliefs are formed at the start of the import. Naive times are
        read in ``timezone``; a wall time repeated when clocks go back is told apart by row
        order (first summer time, then winter time).
    batch_rows
        Rows per batch of a Parquet file.
    progress
        Show a progress bar of the rows read.
    """
    kind = file_format(path, format)
    reader = open_table(path, kind, sheet=sheet, batch_rows=batch_rows)
    streamed = kind == "parquet" and (reader.rows or 0) > batch_rows
    options = _Options(
        source, source_type, unit, belief_time, timezone, resolution, nan, skip_unchanged,
        progress=progress and not streamed,  # one batch: the store's bar, as Sensor.ingest's
    )  # fmt: skip
    if belief_time is None and not {"belief_time", "belief_horizon"} & set(reader.columns):
        options = replace(options, belief_time=pd.Timestamp.now("UTC"))
    wide = _is_wide(reader.columns, os.fspath(path))
    # Sensors are looked up before the transaction: a column name that is no sensor is
    # tried again as a quantile, and a failed call would doom the transaction.
    fixed = sensor if sensor is None or isinstance(sensor, Sensor) else ws.sensor(sensor)
    routes = _Routes(ws, options, streamed, fixed)
    if wide:
        routes.wide_columns(reader.columns)
    with ws.transaction():
        bar = _Bar(progress and streamed, reader.rows, os.fspath(path))
        try:
            for batch in reader.batches:
                routes.add(batch, wide)
                bar.update(len(batch))
            return routes.finish()
        finally:
            bar.close()


def _is_wide(columns: Sequence[str], path: str) -> bool:
    """Long form has a value column or another belief column; wide form has sensor columns."""
    if "event_start" not in columns:
        raise InvalidValue(f"{path!r} has no 'event_start' column; its columns are {list(columns)}")
    if not any(name in columns for name in (*_LONG, *_LONG_ALSO)):
        return True
    if "value" not in columns and "event_value" not in columns:
        raise InvalidValue(
            f"{path!r} has no 'value' column; a long-form file has the columns 'event_start', "
            "'value' and optionally 'sensor', 'belief_time', 'belief_horizon', 'source', "
            f"'cumulative_probability', 'flags' (got {list(columns)})"
        )
    return False


def read_wide_column(ws: Workspace, name: str) -> tuple[Sensor, float | None]:
    """The sensor (and quantile) a wide column names: a full name, or one with
    ``@<probability>``. A column naming no sensor the user may read is InvalidValue."""
    try:
        return ws.sensor(name), None
    except NotFound:
        pass
    base, mark, level = name.rpartition(QUANTILE_MARK)
    if mark:
        try:
            probability = float(level)
        except ValueError:
            probability = -1.0
        if 0.0 <= probability <= 1.0:
            try:
                return ws.sensor(base), probability
            except NotFound:
                pass
    raise InvalidValue(
        f"the column {name!r} names no sensor: the columns of a wide file are 'event_start' "
        "and sensor full names such as 'Model/Demo/PlantA:power', with '@0.1' for a quantile"
    )


class _Routes:
    """Which rows go to which sensor, and the feeds that store them."""

    def __init__(
        self, ws: Workspace, options: _Options, streamed: bool, sensor: Sensor | None
    ) -> None:
        self.ws, self.options, self.streamed, self.sensor = ws, options, streamed, sensor
        self.feeds: dict[int, _Feed] = {}
        self.columns: dict[str, tuple[Sensor, float | None]] = {}

    def feed(self, sensor: Sensor) -> _Feed:
        if sensor.id not in self.feeds:
            self.feeds[sensor.id] = _Feed(sensor, self.options, self.streamed)
        return self.feeds[sensor.id]

    def wide_columns(self, columns: Sequence[str]) -> None:
        if self.sensor is not None:
            raise InvalidValue(
                "a wide file names its sensors in its column headers; leave out the sensor"
            )
        self.columns = {c: read_wide_column(self.ws, c) for c in columns if c != "event_start"}
        if not self.columns:
            raise InvalidValue("the file has no column of values besides 'event_start'")

    def add(self, batch: pd.DataFrame, wide: bool) -> None:
        if wide:
            self._add_wide(batch)
        elif "sensor" in batch.columns:
            self._add_named(batch)
        elif self.sensor is None:
            raise InvalidValue(
                "the file has no 'sensor' column; name the sensor its beliefs are about"
            )
        else:
            self.feed(self.sensor).add(batch)

    def _add_named(self, batch: pd.DataFrame) -> None:
        names = batch["sensor"]
        if names.isna().any():
            raise InvalidValue("the column 'sensor' has empty entries; name every row's sensor")
        for name, rows in batch.groupby(names.astype(str), sort=False):
            target = self.ws.sensor(str(name))
            if self.sensor is not None and target.id != self.sensor.id:
                raise InvalidValue(
                    f"the file holds beliefs of {str(name)!r}, not only of "
                    f"{self.sensor.full_name!r}; leave out the sensor to import them all"
                )
            self.feed(target).add(rows.drop(columns="sensor").reset_index(drop=True))

    def _add_wide(self, batch: pd.DataFrame) -> None:
        parts: dict[int, list[pd.DataFrame]] = {}
        for column, (sensor, probability) in self.columns.items():
            part = pd.DataFrame(
                {
                    "event_start": batch["event_start"],
                    "value": batch[column],
                    "cumulative_probability": 0.5 if probability is None else probability,
                }
            )
            parts.setdefault(sensor.id, []).append(part)
            self.feed(sensor)
        for sensor_id, pieces in parts.items():
            self.feeds[sensor_id].add(pd.concat(pieces, ignore_index=True))

    def finish(self) -> dict[str, int]:
        for feed in self.feeds.values():
            feed.finish()
        return {feed.sensor.full_name: feed.stored for feed in self.feeds.values()}


class _Bar:
    """A progress bar of the rows read, shown once the first batch is stored (so that an
    error in it, such as a refused write, comes alone)."""

    def __init__(self, enabled: bool, total: int | None, label: str) -> None:
        self.enabled, self.total, self.label = enabled, total, label
        self.bar: Any = None

    def update(self, rows: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(
                total=self.total, unit="rows", unit_scale=True, desc=escape_controls(self.label)
            )
        self.bar.update(rows)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
