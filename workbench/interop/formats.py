"""Tables in files: writing a frame as CSV, Parquet or Excel, and reading one back in batches.

Parquet is read in batches of rows (``ParquetFile.iter_batches``), so a file of any size takes
bounded memory; CSV files and Excel sheets are read whole (an Excel sheet holds at most about a
million rows). Excel cells hold times as ISO texts with their UTC offset, since Excel dates
carry no timezone.
"""

from __future__ import annotations

import os
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeAlias, get_args

import numpy as np
import pandas as pd

from workbench.errors import InvalidValue

__all__ = [
    "FORMATS",
    "FileFormat",
    "TableReader",
    "file_format",
    "open_table",
    "write_table",
]

FileFormat: TypeAlias = Literal["csv", "parquet", "xlsx"]
FORMATS: tuple[FileFormat, ...] = get_args(FileFormat)
_SUFFIXES: dict[str, FileFormat] = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "xlsx",
}
_NAMES = {"csv": "CSV", "parquet": "Parquet", "xlsx": "Excel"}
#: Text columns: read as text whatever they hold (a source named "2024" stays a name).
_TEXT = {"source": str, "sensor": str}


def file_format(path: str | os.PathLike[str], format: str | None = None) -> FileFormat:
    """The format asked for, else the one the file's suffix says (``.csv``, ``.parquet``,
    ``.xlsx``); CSV for standard input/output (``-``).

    >>> file_format("prices.parquet")
    'parquet'
    """
    if format is not None:
        if format not in FORMATS:
            raise InvalidValue(f"unknown file format {format!r}; use one of {list(FORMATS)}")
        return format
    if os.fspath(path) == "-":
        return "csv"
    suffix = Path(path).suffix.lower()
    if suffix not in _SUFFIXES:
        raise InvalidValue(
            f"cannot tell the format of {os.fspath(path)!r} from its suffix {suffix!r}; name files "
            f"{sorted(_SUFFIXES)} or give the format ({list(FORMATS)})"
        )
    return _SUFFIXES[suffix]


# -- writing --------------------------------------------------------------------------------


def write_table(frame: pd.DataFrame, path: str | os.PathLike[str], format: FileFormat) -> int:
    """Write ``frame`` (no index) to ``path`` (``-``: standard output, CSV only); returns rows."""
    target = os.fspath(path)
    try:
        if format == "csv":
            frame.to_csv(sys.stdout if target == "-" else target, index=False)
        elif target == "-":
            raise InvalidValue(f"{_NAMES[format]} is not written to standard output; name a file")
        elif format == "parquet":
            _write_parquet(frame, target)
        else:
            _write_xlsx(frame, target)
    except OSError as exc:
        raise InvalidValue(f"cannot write {target!r}: {exc.strerror or exc}") from None
    return len(frame)


def _write_parquet(frame: pd.DataFrame, path: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, path, row_group_size=500_000)


#: The most rows an Excel sheet holds (the header is one).
EXCEL_ROWS = 1_048_576


def _write_xlsx(frame: pd.DataFrame, path: str) -> None:
    from openpyxl import Workbook

    if len(frame) >= EXCEL_ROWS:
        raise InvalidValue(
            f"{len(frame):,} rows do not fit in an Excel sheet ({EXCEL_ROWS - 1:,} at most "
            "below the header); write Parquet or CSV, or export a shorter period"
        )

    book = Workbook(write_only=True)
    sheet = book.create_sheet("beliefs")
    sheet.append([str(name) for name in frame.columns])
    columns = [_cells(frame[name]) for name in frame.columns]
    for row in zip(*columns, strict=True):
        sheet.append(list(row))
    book.save(path)


def _cells(column: pd.Series) -> list[Any]:
    """Excel cells: times as ISO texts with offsets, NaN as empty, numpy scalars as Python."""
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        return [None if pd.isna(t) else t.isoformat() for t in column]
    if column.dtype.kind == "f":
        values = column.to_numpy(dtype=object)
        values[np.isnan(column.to_numpy(dtype=np.float64))] = None
        return list(values)
    return column.tolist()


# -- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableReader:
    """A table being read: its column names, its number of rows (when the file says) and its
    rows in batches (a one-shot iterator)."""

    columns: tuple[str, ...]
    rows: int | None
    batches: Iterator[pd.DataFrame]


def open_table(
    path: str | os.PathLike[str],
    format: FileFormat,
    *,
    sheet: str | None = None,
    batch_rows: int = 100_000,
) -> TableReader:
    """Open a file to read: CSV and Excel whole, Parquet in batches of ``batch_rows``.

    Errors from the file (missing, unreadable, not of the format) are InvalidValue naming it.
    """
    target = os.fspath(path)
    if sheet is not None and format != "xlsx":
        raise InvalidValue(f"sheet={sheet!r} is for Excel files; {target!r} is {_NAMES[format]}")
    if not os.path.isfile(target):
        raise InvalidValue(f"cannot read {target!r}: there is no such file")
    try:
        if format == "parquet":
            return _parquet(target, batch_rows)
        frame = _csv(target) if format == "csv" else _xlsx(target, sheet)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        if isinstance(exc, InvalidValue):
            raise
        raise InvalidValue(f"cannot read {target!r} as a {_NAMES[format]} file: {exc}") from None
    return TableReader(tuple(str(c) for c in frame.columns), len(frame), iter([frame]))


def _csv(path: str) -> pd.DataFrame:
    return pd.read_csv(path, dtype=_TEXT)


def _xlsx(path: str, sheet: str | None) -> pd.DataFrame:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise InvalidValue(
                f"{path!r} has no sheet {sheet!r}; its sheets are {list(book.sheetnames)}"
            )
        rows = book[sheet] if sheet is not None else book.worksheets[0]
        cells = rows.iter_rows(values_only=True)
        header = next(cells, None)
        if header is None:
            raise InvalidValue(f"the sheet {rows.title!r} of {path!r} is empty; it needs a header")
        names = [str(name) for name in header if name is not None]
        width = len(names)
        data = [
            (*row[:width], *(None,) * (width - len(row)))
            for row in cells
            if any(v is not None for v in row)
        ]
    finally:
        book.close()
    frame = pd.DataFrame(data, columns=names)
    for name in _TEXT:
        if name in frame.columns:
            frame[name] = frame[name].map(lambda v: None if v is None else str(v))
    return frame


def _parquet(path: str, batch_rows: int) -> TableReader:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        file = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise InvalidValue(f"cannot read {path!r} as a Parquet file: {exc}") from None

    def batches() -> Iterator[pd.DataFrame]:
        try:
            for batch in file.iter_batches(batch_size=batch_rows):
                yield batch.to_pandas()
        finally:
            file.close()

    return TableReader(tuple(file.schema_arrow.names), file.metadata.num_rows, batches())
