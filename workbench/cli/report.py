"""``workbench report``: run a notebook as a reproducible report, or check an old report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from workbench.cli.common import fail, say, secret_of, settings

__all__ = ["report"]


def _pdf(page: Path) -> None:
    from workbench.reports import print_pdf

    say(f"Wrote {print_pdf(page, page.with_suffix('.pdf'))}.")


def _check(ctx: typer.Context, old: Path, out: Path | None, pdf: bool, kernel: str | None) -> None:
    from workbench.reports import check_report

    s = settings(ctx)
    secret = None if s.user is None else secret_of(s, f"secret for {s.user}")
    result = check_report(
        old, store=s.url, user=s.user, secret=secret, kernel=kernel, progress=True
    )
    for note in result.notes:
        say(f"Note: {note}")
    if out is not None:
        result.report.write(out)
        say(f"Wrote the new run to {out}.")
        if pdf:
            _pdf(out)
    reads, cells = len(result.new.queries), len(result.new.outputs)
    if result.identical:
        say(
            f"identical: {old} re-run as of {result.old.as_of} read the same data "
            f"({reads} reads) and showed the same text ({cells} cells)"
        )
        return
    say(f"differs: {old} re-run as of {result.old.as_of} gives other results:")
    for difference in result.differences:
        first, *more = difference.split("\n")  # a cell's other text: a line per diff line
        say(f"- {first}")
        for line in more:
            say(line)
    raise typer.Exit(1)


def report(
    ctx: typer.Context,
    notebook: Annotated[
        Path | None, typer.Argument(help="The notebook (.ipynb) to run.", show_default=False)
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Pin every read to beliefs formed by this time (e.g. 2025-01-15T12:00Z); "
            "default: now, recorded in the report.",
            show_default=False,
        ),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            help="A notebook parameter, name=value (repeatable).",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="The HTML file to write (default: NOTEBOOK.html here).",
            show_default=False,
        ),
    ] = None,
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Also print the report to PDF (needs Chromium).")
    ] = False,
    check: Annotated[
        Path | None,
        typer.Option(
            "--check",
            help="Re-run the report OLD.html (same pin and parameters) and say "
            "whether anything differs; exit status 1 if so.",
            show_default=False,
        ),
    ] = None,
    kernel: Annotated[
        str | None, typer.Option(help="The Jupyter kernel (default: the notebook's).")
    ] = None,
    timeout: Annotated[
        int | None, typer.Option(min=1, help="Seconds a cell may run.", show_default=False)
    ] = None,
) -> None:
    """Run a notebook as a report: pinned to a belief time, one self-contained HTML page with
    its provenance (version, as-of, parameters, store, hashes of the data read)."""
    if check is not None:
        if notebook is not None or as_of is not None or param:
            fail(
                "--check takes the notebook, --as-of and parameters from the old report; "
                "give only --check OLD.html (and optionally --out, --pdf)"
            )
        _check(ctx, check, out, pdf, kernel)
        return
    if notebook is None:
        fail("give a NOTEBOOK to run, or --check OLD.html")
    from workbench.reports import run_report

    s = settings(ctx)
    secret = None if s.user is None else secret_of(s, f"secret for {s.user}")
    made = run_report(
        notebook,
        as_of=as_of,
        parameters=param or [],
        store=s.url,
        user=s.user,
        secret=secret,
        kernel=kernel,
        progress=True,
        timeout=timeout,
    )
    target = made.write(out or Path(notebook.with_suffix(".html").name))
    p = made.provenance
    say(f"Wrote {target}: beliefs as of {p.as_of}, {len(p.queries)} reads recorded.")
    if pdf:
        _pdf(target)
