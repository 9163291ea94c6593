"""Re-run a report and say whether anything differs: the data it read, or the text it showed.

The old report's provenance names the notebook, the pin, the parameters and the store; the
check runs the same notebook with the same pin and parameters and compares, read by read, the
content hashes of the data returned, then, cell by cell, the text outputs.

>>> from workbench.reports.provenance import CellText
>>> old = Provenance("/n.ipynb", "a" * 64, "2025-01-01T00:00:00+00:00", "now", {}, "sqlite://",
...                  "local admin", "python3", queries=[{"what": "q", "rows": 2, "sha256": "1" * 64}],
...                  outputs=[CellText(3, "42\\n")])
>>> compare(old, old)
[]
>>> new = Provenance(**{**old.__dict__, "outputs": [CellText(3, "43\\n")]})
>>> print("\\n".join(compare(old, new)))
cell 3 shows other text:
  -42
  +43
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.errors import NotFound
from workbench.reports.provenance import Provenance, read_provenance
from workbench.reports.runner import Report, ReportFailed, run_report

__all__ = ["CheckResult", "check_report", "compare"]

_DIFF_LINES = 40


@dataclass(frozen=True)
class CheckResult:
    """The outcome of re-running a report.

    Attributes
    ----------
    old, new
        The provenance of the report checked and of the run just made.
    differences
        What differs, one entry per difference (empty: identical).
    notes
        What is worth knowing but does not count as a difference (another store given).
    report
        The new run, e.g. to write it out.
    """

    old: Provenance
    new: Provenance
    differences: list[str]
    notes: list[str]
    report: Report

    @property
    def identical(self) -> bool:
        return not self.differences


def _short(record: dict[str, Any]) -> str:
    return f"{record.get('rows')} rows, sha256 {str(record.get('sha256'))[:12]}…"


def _reads(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[str]:
    found = []
    if len(old) != len(new):
        found.append(f"the notebook made {len(new)} reads; the report made {len(old)}")
    for i, (a, b) in enumerate(zip(old, new, strict=False), 1):
        if (a.get("what"), a.get("rows"), a.get("sha256")) != (
            b.get("what"),
            b.get("rows"),
            b.get("sha256"),
        ):
            what = (
                a.get("what")
                if a.get("what") == b.get("what")
                else f"{a.get('what')} / {b.get('what')}"
            )
            found.append(f"read {i} ({what}) differs: was {_short(a)}, now {_short(b)}")
    return found


def _texts(old: Provenance, new: Provenance) -> list[str]:
    before = {o.cell: o.text for o in old.outputs}
    after = {o.cell: o.text for o in new.outputs}
    found = []
    for cell in sorted(before.keys() | after.keys()):
        a, b = before.get(cell, ""), after.get(cell, "")
        if a == b:
            continue
        diff = difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0)
        lines = [f"  {line}" for line in list(diff)[2:] if not line.startswith("@@")]
        if len(lines) > _DIFF_LINES:
            lines = [*lines[:_DIFF_LINES], f"  … ({len(lines) - _DIFF_LINES} more lines)"]
        found.append("\n".join([f"cell {cell} shows other text:", *lines]))
    return found


def compare(old: Provenance, new: Provenance) -> list[str]:
    """What differs between two runs of a report (empty: nothing)."""
    found = []
    if old.notebook_sha256 != new.notebook_sha256:
        found.append(f"the notebook {new.notebook} changed since the report was made")
    if (old.as_of, old.parameters) != (new.as_of, new.parameters):
        found.append(
            f"the run was pinned to {new.as_of} with {new.parameters}; the report to "
            f"{old.as_of} with {old.parameters}"
        )
    return found + _reads(old.queries, new.queries) + _texts(old, new)


def check_report(
    report: str | os.PathLike[str],
    *,
    store: str | None = None,
    user: str | None = None,
    secret: str | None = None,
    kernel: str | None = None,
    progress: bool = False,
) -> CheckResult:
    """Re-run the notebook of a report (same pin, same parameters) and compare.

    Parameters
    ----------
    report
        The HTML file written by :func:`~workbench.reports.run_report`.
    store, user, secret
        The store to run against; default: the one the report names (which then must be
        reachable without a password, as an embedded SQLite file is).
    kernel
        The Jupyter kernel; default: the one the report was made with.
    """
    path = Path(report)
    try:
        page = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotFound("report", str(report), "give the HTML file of a report") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportFailed(f"cannot read the report {str(report)!r}: {exc}") from None
    old = read_provenance(page)
    if not Path(old.notebook).is_file():
        raise NotFound("notebook", old.notebook, f"the notebook {path.name} was made from is gone")
    new_run = run_report(
        old.notebook,
        as_of=old.as_of,
        parameters=old.parameters,
        store=store or old.store,
        user=user,
        secret=secret,
        kernel=kernel or old.kernel,
        progress=progress,
    )
    new = new_run.provenance
    notes = (
        [] if new.store == old.store else [f"run against {new.store}; the report read {old.store}"]
    )
    return CheckResult(old, new, compare(old, new), notes, new_run)
