"""``workbench db``: the store's schema: create or upgrade it, show its revision and history.

These commands work on the database itself, with the rights of the URL's database user; they
need no workbench user. Every URL printed has its password removed.
"""

from __future__ import annotations

from typing import Annotated

import typer

from workbench.cli.common import say, settings
from workbench.cli.security import secure

__all__ = ["app", "current", "history", "upgrade"]

app = typer.Typer(
    help="The store's schema: create or upgrade it, show its revision and the revisions.",
    no_args_is_help=True,
)


@app.command()
def upgrade(
    ctx: typer.Context,
    revision: Annotated[
        str, typer.Option(help="The revision to reach (see `workbench db history`).")
    ] = "head",
) -> None:
    """Create the store's tables, or upgrade them to the newest revision (or to --revision).

    The upgrade is one transaction: it takes effect whole or not at all. A shared store is
    upgraded once, by its administrator, before the new workbench version is used on it.
    """
    from workbench.store import create_store_engine, migrate

    engine = create_store_engine(settings(ctx).url)
    ctx.call_on_close(engine.dispose)
    before = migrate.status(engine)
    reached = migrate.upgrade(engine, revision)
    if before.revision == reached and before.versioned:
        say(f"The store at {before.url} is at revision {reached} already; nothing to do.")
        return
    if before.revision is None:
        say(f"Created the store at {before.url} at revision {reached}.")
        return
    stamped = "" if before.versioned else " (its tables predate migrations: stamped 0001 first)"
    say(
        f"Upgraded the store at {before.url} from revision {before.revision} to {reached}{stamped}."
    )


@app.command()
def current(ctx: typer.Context) -> None:
    """Show the store's revision, and which workbench version last upgraded it."""
    from workbench.store import create_store_engine, migrate

    engine = create_store_engine(settings(ctx).url)
    ctx.call_on_close(engine.dispose)
    say(migrate.status(engine).describe())


@app.command()
def history() -> None:
    """List the revisions of the schema, oldest first."""
    from workbench.store import migrate

    revisions = migrate.history()
    for r in revisions:
        mark = "  (head)" if r is revisions[-1] else ""
        say(f"{r.id}  {r.title}{mark}")


app.command("secure")(secure)
