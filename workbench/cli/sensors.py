"""``workbench sensors`` and ``workbench beliefs``: sensors on objects, importing and showing beliefs.

A sensor is named on the command line as ``OBJECT_PATH:NAME`` (``Model/Demo/PlantA:power``) or by
its id; a bare model name stands for ``Model/NAME``.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from workbench.cli.common import console, fail, open_workspace, say
from workbench.cli.store import object_path
from workbench.cli.terminal import cells, is_terminal, terminal_safe

if TYPE_CHECKING:
    import pandas as pd

    from workbench.api import Sensor, Workspace

__all__ = ["beliefs_app", "sensors_app"]

sensors_app = typer.Typer(
    help="Sensors (physical time series): add and list them.", no_args_is_help=True
)
beliefs_app = typer.Typer(
    help="Beliefs of sensors: import and export files, show them.", no_args_is_help=True
)

_SENSOR = typer.Argument(
    help="The sensor: OBJECT_PATH:NAME (Model/Demo/PlantA:power) or its id.", show_default=False
)
_START = typer.Option(help="Events from this time (with an offset).")
_END = typer.Option(help="Events before this time.")
_AS_OF = typer.Option(help="Only beliefs formed at or before this time.")


class Format(StrEnum):
    """How ``beliefs show`` writes its rows."""

    table = "table"
    csv = "csv"


def sensor_key(text: str) -> int | str:
    """An id as an int; ``OBJECT_PATH:NAME`` with ``Model/`` added to a bare model name."""
    if text.strip().isdigit():
        return int(text)
    path, colon, name = text.rpartition(":")
    return f"{object_path(path)}:{name}" if colon and path else text


def _sensor(ws: Workspace, text: str) -> Sensor:
    key = sensor_key(text)
    if isinstance(key, str) and ":" not in key:
        fail(
            f"name a sensor as OBJECT_PATH:NAME (Model/Demo/PlantA:power) or by its id, got {text!r}"
        )
    return ws.sensor(key)


@sensors_app.command("add")
def add(
    ctx: typer.Context,
    path: Annotated[str, typer.Argument(help="The object: a model name or Model/M/A/B.")],
    name: Annotated[str, typer.Argument(help="The sensor's name (unique on its object).")],
    unit: Annotated[str, typer.Option(help="A unit: MW, kWh, degC, EUR/MWh, % ('' = none).")] = "",
    resolution: Annotated[
        str, typer.Option(help="The events' duration: PT15M, 1h, P1D (0 = instants).")
    ] = "0s",
    timezone: Annotated[str, typer.Option(help="An IANA zone such as Europe/Oslo.")] = "UTC",
    catalog_path: Annotated[
        str, typer.Option(help="The resource-catalog folder, such as Hydro/Plants.")
    ] = "",
    knowledge_time: Annotated[
        str,
        typer.Option(
            help="When events become known: ex_post, ex_ante, or a rule as JSON "
            '(\'{"type": "x_days_ago_at_y_oclock", "x": 1, "y": 12}\').'
        ),
    ] = "ex_post",
    curve_type: Annotated[str, typer.Option(help="step or linear.")] = "step",
) -> None:
    """Add a sensor to an object."""
    ws = open_workspace(ctx)
    sensor = ws.object(object_path(path)).add_sensor(
        name,
        unit=unit,
        timezone=timezone,
        resolution=resolution,
        knowledge_time=knowledge_time,
        curve_type=curve_type,  # type: ignore[arg-type]  # checked by add_sensor
        catalog_path=catalog_path,
    )
    say(f"Added the sensor {sensor.full_name} (id {sensor.id}): {_describe(sensor)}.")


def _describe(sensor: Sensor) -> str:
    unit = sensor.unit or "dimensionless"
    return (
        f"{unit}, {_duration(sensor)}, {sensor.timezone}, {sensor.knowledge_time.to_dict()['type']}"
    )


def _duration(sensor: Sensor) -> str:
    return (
        "instants" if sensor.resolution == sensor.resolution * 0 else sensor.resolution.isoformat()
    )


@sensors_app.command("list")
def list_(
    ctx: typer.Context,
    catalog_path: Annotated[
        str | None,
        typer.Argument(
            help="Only sensors in this catalog folder and below it.", show_default=False
        ),
    ] = None,
) -> None:
    """List the sensors you may read, by catalog folder."""
    ws = open_workspace(ctx)
    table = Table("id", "sensor", "unit", "resolution", "timezone", "catalog", box=None)
    for sensor in ws.sensors(catalog_path):
        table.add_row(
            *cells(
                sensor.id,
                sensor.full_name,
                sensor.unit,
                _duration(sensor),
                sensor.timezone,
                sensor.catalog_path,
            )
        )
    _print(table)


def _print(table: Table) -> None:
    # full names and times are never cut: wider than the terminal, the lines wrap instead
    wide = Measurement.get(console, console.options.update_width(100_000), table)
    width = max(console.width, wide.maximum)
    Console(width=width, highlight=False).print(table)


class FileFormat(StrEnum):
    """The file formats of ``beliefs export`` and ``beliefs import``."""

    csv = "csv"
    parquet = "parquet"
    xlsx = "xlsx"


@beliefs_app.command("import")
def import_(
    ctx: typer.Context,
    targets: Annotated[
        list[str],
        typer.Argument(
            metavar="[SENSOR] FILE",
            help="The sensor (OBJECT_PATH:NAME or id) and the file: CSV, Parquet or Excel, in "
            "long form (event_start, value and optionally sensor, belief_time, belief_horizon, "
            "source, cumulative_probability, flags) or wide form (event_start and one column "
            "per sensor full name, '@0.1' for a quantile). A file with a 'sensor' column or "
            "in wide form needs no SENSOR.",
            show_default=False,
        ),
    ],
    format: Annotated[
        FileFormat | None, typer.Option(help="The file's format (default: from its suffix).")
    ] = None,
    sheet: Annotated[
        str | None, typer.Option(help="The Excel sheet to read (default: the first).")
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="The source, when the file has no source column.")
    ] = None,
    source_type: Annotated[
        str, typer.Option(help="The type of a new source: user, meter, forecaster, ...")
    ] = "user",
    unit: Annotated[
        str | None, typer.Option(help="The values' unit (default: the sensor's).")
    ] = None,
    belief_time: Annotated[
        str | None,
        typer.Option(help="When the beliefs were formed, if the file does not say (default: now)."),
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option(
            help="The zone of timestamps without an offset; the hour repeated when clocks go "
            "back is told apart by row order (first summer time, then winter time)."
        ),
    ] = None,
    missing: Annotated[
        bool, typer.Option("--missing", help="Store empty values flagged missing (default: drop).")
    ] = False,
    skip_unchanged: Annotated[
        bool, typer.Option(help="Leave out beliefs that repeat the latest known value.")
    ] = False,
) -> None:
    """Import beliefs from a file: all of them or, on any error, none.

    Parquet files are read in batches, in bounded memory, with a progress bar.
    """
    from workbench.interop.files import import_beliefs

    if len(targets) not in (1, 2):
        fail(f"give [SENSOR] FILE, got {len(targets)} arguments: {targets}")
    file = Path(targets[-1])
    ws = open_workspace(ctx)
    target = _sensor(ws, targets[0]) if len(targets) == 2 else None
    stored = import_beliefs(
        ws,
        file,
        target,
        format=None if format is None else format.value,  # type: ignore[arg-type]
        sheet=sheet,
        source=source,
        source_type=source_type,
        unit=unit,
        belief_time=belief_time,
        timezone=timezone,
        nan="missing" if missing else "drop",
        skip_unchanged=skip_unchanged,
        progress=True,
    )
    for name, count in stored.items():
        say(f"Stored {count} beliefs from {file} in {name}.")


@beliefs_app.command("export")
def export(
    ctx: typer.Context,
    sensors: Annotated[
        list[str],
        typer.Argument(
            metavar="SENSOR...",
            help="The sensors: OBJECT_PATH:NAME (Model/Demo/PlantA:power) or ids.",
            show_default=False,
        ),
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The file to write ('-': standard output).")
    ] = Path("-"),
    format: Annotated[
        FileFormat | None,
        typer.Option(help="csv, parquet or xlsx (default: from the file's suffix, else csv)."),
    ] = None,
    wide: Annotated[
        bool,
        typer.Option(
            "--wide/--long",
            help="One row per event and a column per sensor (and quantile), most recent "
            "beliefs; or one row per belief with every belief dimension.",
        ),
    ] = False,
    start: Annotated[str | None, _START] = None,
    end: Annotated[str | None, _END] = None,
    as_of: Annotated[str | None, _AS_OF] = None,
    timezone: Annotated[
        str, typer.Option(help="The zone times are written in, with their offsets.")
    ] = "UTC",
    source: Annotated[
        list[str] | None, typer.Option(help="Only beliefs of this source (repeat for more).")
    ] = None,
) -> None:
    """Export sensors' beliefs to a CSV, Parquet or Excel file."""
    from workbench.interop.files import beliefs_table
    from workbench.interop.formats import file_format, write_table

    ws = open_workspace(ctx)
    targets = [_sensor(ws, text) for text in sensors]
    kind = file_format(output, None if format is None else format.value)
    table = beliefs_table(
        ws, targets, wide=wide, start=start, end=end, as_of=as_of, timezone=timezone,
        sources=source or None,
    )  # fmt: skip
    if str(output) == "-":
        if is_terminal(sys.stdout):  # no store text may drive the terminal
            for name in ("sensor", "source"):
                if name in table.columns:
                    table[name] = table[name].map(terminal_safe)
        write_table(table, output, kind)
        return
    rows = write_table(table, output, kind)
    say(f"Wrote {rows} rows of {len(targets)} sensors to {output}.")


@beliefs_app.command("show")
def show(
    ctx: typer.Context,
    sensor: Annotated[str, _SENSOR],
    start: Annotated[str | None, _START] = None,
    end: Annotated[str | None, _END] = None,
    as_of: Annotated[str | None, _AS_OF] = None,
    most_recent: Annotated[
        bool,
        typer.Option(
            "--most-recent/--all",
            help="The latest belief per event and source, or every belief.",
        ),
    ] = True,
    format: Annotated[Format, typer.Option(help="A terminal table or CSV text.")] = Format.table,
) -> None:
    """Show a sensor's beliefs as a table (times in the sensor's zone) or as CSV (UTC).

    CSV written to a file or a pipe holds the data exactly, quoted as CSV needs; on a terminal,
    control characters in source names are shown as escapes (``\\x1b``), as in the table.
    """
    ws = open_workspace(ctx)
    target = _sensor(ws, sensor)
    ds = target.beliefs(start, end, as_of=as_of, most_recent=most_recent)
    frame = ds.beliefs.to_pandas()
    if format is Format.csv:
        _write_csv(frame)
        return
    if frame.empty:
        say(f"{target.full_name} has no beliefs that match.")
        return
    _print(_table(frame, target))


def _write_csv(frame: pd.DataFrame) -> None:
    """CSV on stdout: exact data for a file or a pipe; on a terminal, sources escaped."""
    if is_terminal(sys.stdout):
        frame = frame.rename(index=terminal_safe, level="source")
    frame.to_csv(sys.stdout)


def _table(frame: pd.DataFrame, sensor: Sensor) -> Table:
    unit = f" [{sensor.unit}]" if sensor.unit else ""
    table = Table(box=None, title=Text(terminal_safe(f"{sensor.full_name}: {len(frame)} beliefs")))
    headers = f"event_start ({sensor.timezone})", "belief_time", "source", "probability"
    for header in cells(*headers, f"value{unit}", "flags"):
        table.add_column(header)
    import pandas as pd

    index = frame.index
    starts = pd.DatetimeIndex(index.get_level_values("event_start")).tz_convert(sensor.timezone)
    times = pd.DatetimeIndex(index.get_level_values("belief_time")).tz_convert(sensor.timezone)
    sources = index.get_level_values("source")
    probabilities = index.get_level_values("cumulative_probability")
    for i, (value, flags) in enumerate(zip(frame["value"], frame["flags"], strict=True)):
        table.add_row(
            *cells(
                starts[i].isoformat(),
                times[i].isoformat(),
                sources[i],
                f"{probabilities[i]:g}",
                f"{value:g}",
                flags,
            )
        )
    return table
