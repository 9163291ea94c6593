"""The root command: global options, the one place where command groups are registered, main()."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from workbench.cli import (
    accounts,
    db,
    definitions,
    interop,
    models,
    report,
    sensors,
    serve,
    store,
)
from workbench.cli.common import Settings, fail
from workbench.cli.terminal import error_lines
from workbench.errors import WorkbenchError

__all__ = ["COMMANDS", "GROUPS", "app", "main"]


class _Guarded(TyperGroup):
    """Errors the workbench raises on purpose end the command with a message, not a traceback."""

    def invoke(self, ctx: Any) -> Any:  # a click Context (typer vendors click)
        try:
            return super().invoke(ctx)
        except WorkbenchError as exc:
            fail(*error_lines(exc))


app = typer.Typer(
    cls=_Guarded,
    name="workbench",
    help="Model energy assets and their data: a store, model definitions, models.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold a secret
    add_completion=False,
)

#: Command groups: ``workbench NAME COMMAND ...``. Add a group here (a typer app per module).
GROUPS: list[tuple[str, typer.Typer]] = [
    ("definitions", definitions.app),
    ("models", models.app),
    ("accounts", accounts.accounts_app),
    ("users", accounts.users_app),
    ("sensors", sensors.sensors_app),
    ("beliefs", sensors.beliefs_app),
    ("db", db.app),
    ("import", interop.import_app),
]
#: Top-level commands: ``workbench COMMAND ...``.
COMMANDS: list[Callable[..., None]] = [
    store.init,
    store.tree,
    store.demo,
    serve.serve,
    report.report,
]

for _name, _group in GROUPS:
    app.add_typer(_group, name=_name)
for _command in COMMANDS:
    app.command()(_command)


@app.callback()
def _options(
    ctx: typer.Context,
    url: Annotated[
        str | None,
        typer.Option(
            envvar="WORKBENCH_URL",
            show_default="WORKBENCH_URL or sqlite:///workbench.db",
            help="The store: sqlite:///file.db or postgresql+psycopg://host/db.",
        ),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(envvar="WORKBENCH_USER", help="Act as this user (a shared store needs one)."),
    ] = None,
    secret: Annotated[
        str | None,
        typer.Option(
            envvar="WORKBENCH_SECRET",
            show_default=False,
            help="The user's secret; asked for when a user is given without one.",
        ),
    ] = None,
) -> None:
    ctx.obj = Settings(url=url, user=user, secret=secret)


def main() -> None:
    """Run the command line (the ``workbench`` entry point)."""
    app(prog_name="workbench")
