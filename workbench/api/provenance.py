"""Pinning reads to a belief time, and recording what each read returned (for reports).

A workspace can be *pinned* to a belief time: from then on every belief query and every
calculation made through it sees only beliefs formed at or before that time, whatever ``as_of``
a call asks for (a later ``as_of`` is capped, an earlier one is kept). A report pins its
notebook so that re-running it after new beliefs arrived gives the same numbers.

A workspace can also *record provenance*: a :class:`QueryRecord` per read, holding a content
hash of the rows it returned, so that two runs can be compared without keeping the data.

Both are set with :func:`workbench.connect` (``as_of=``, ``provenance=``) or, for a notebook run
by ``workbench report``, by the environment: ``WORKBENCH_AS_OF`` (an ISO time with an offset)
and ``WORKBENCH_PROVENANCE`` (a file the records are appended to as JSON lines).

>>> import numpy as np
>>> digest({"value": np.array([1.0, 2.0])}) == digest({"value": np.array([1.0, 2.0])})
True
>>> digest({"value": np.array([1.0, 2.0])}) == digest({"value": np.array([1.0, 2.5])})
False
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from workbench.beliefs.timing import aware_instant

__all__ = ["AS_OF_ENV", "PROVENANCE_ENV", "QueryRecord", "digest", "parse_pin", "write_record"]

AS_OF_ENV = "WORKBENCH_AS_OF"
PROVENANCE_ENV = "WORKBENCH_PROVENANCE"


@dataclass(frozen=True)
class QueryRecord:
    """One read: what was asked, how many rows came back and their content hash.

    Attributes
    ----------
    what
        The query in words, e.g. ``"beliefs of Model/Demo/PlantA:power most-recent"``.
    rows
        How many beliefs (rows) the read returned.
    sha256
        Hash of the returned rows (event start, belief time, source, probability, value, flags).
    as_of
        The belief-time cut-off that applied (ISO text, UTC), or None.
    store
        The store that was read (its URL with any password removed).
    """

    what: str
    rows: int
    sha256: str
    as_of: str | None = None
    store: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def digest(arrays: Mapping[str, np.ndarray[Any, Any]]) -> str:
    """A SHA-256 of named arrays, independent of memory layout (names, dtypes and bytes)."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        column = np.ascontiguousarray(arrays[name])
        h.update(f"{name}:{column.dtype.str}:{column.shape}".encode())
        h.update(column.tobytes())
    return h.hexdigest()


def parse_pin(value: Any) -> pd.Timestamp | None:
    """A pin time as a UTC timestamp; ``"now"`` is the current time; naive times are refused."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str) and value.strip().lower() == "now":
        return pd.Timestamp.now(tz="UTC")
    return aware_instant(value, "as_of")


def write_record(record: QueryRecord, path: str | os.PathLike[str]) -> None:
    """Append a record to a JSON-lines file (one line per read)."""
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(record.to_dict(), sort_keys=True) + "\n")
