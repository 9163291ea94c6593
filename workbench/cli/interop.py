"""``workbench import ...``: other systems' data into the store."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from workbench.cli.common import console, open_workspace, say

__all__ = ["import_app"]

import_app = typer.Typer(help="Bring other systems' data into the store.", no_args_is_help=True)


@import_app.command("flexmeasures")
def flexmeasures(
    ctx: typer.Context,
    url: Annotated[
        str, typer.Argument(help="The FlexMeasures database, e.g. postgresql://user:pw@host/fm.")
    ],
    batch_size: Annotated[
        int, typer.Option(min=1, help="Beliefs per transaction (one sensor's at a time).")
    ] = 500_000,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Import a FlexMeasures 1.0.x database (read-only); run again to bring in what is new."""
    from workbench.interop.flexmeasures import import_flexmeasures

    ws = open_workspace(ctx)
    summary = import_flexmeasures(ws, url, batch_size=batch_size, progress=progress)
    table = Table(title=f"FlexMeasures import (schema {summary.revision})")
    for column in ("", "added", "already there"):
        table.add_column(column, justify="left" if not column else "right")
    for kind, added, existing in summary.rows():
        table.add_row(kind, f"{added:,}", f"{existing:,}")
    console.print(table)
    for kind, old, new in summary.renamed:
        say(f"renamed {kind} {old!r} to {new!r}")
    for note in summary.notes:
        say(note)
    seen = summary.added.get("beliefs", 0) + summary.existing.get("beliefs", 0)
    say(f"{seen:,} beliefs read in {summary.seconds:.1f} s")
