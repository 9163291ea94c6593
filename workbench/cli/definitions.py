"""``workbench definitions``: list and show model definitions, export and import them as YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from workbench.cli.common import open_workspace, read_text, say, write_text

__all__ = ["app"]

app = typer.Typer(
    help="Model definitions: list and show them, export and import them as YAML.",
    no_args_is_help=True,
)

_FILE = typer.Argument(help="A YAML file ('-': standard input or output).")


@app.command("list")
def list_definitions(ctx: typer.Context) -> None:
    """List the model definitions."""
    ws = open_workspace(ctx)
    for md in ws.model_definitions():
        say(md.name)


@app.command("show")
def show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The model definition's name.")],
) -> None:
    """List a definition's models, and its object definitions with how many objects each has
    (those you may read)."""
    ws = open_workspace(ctx)
    md = ws.model_definition(name)
    models = ", ".join(m.name for m in ws.models(md)) or "none"
    say(f"Models: {models}")
    counts = ws.instance_counts(md)
    width = max((len(n) for n in counts), default=0)
    for od, count in counts.items():
        say(f"{od:<{width}}  {count} object{'' if count == 1 else 's'}")


@app.command("export")
def export(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The model definition's name.")],
    file: Annotated[Path, _FILE],
) -> None:
    """Write a model definition to a YAML file."""
    from workbench.api.exchange import dump_yaml, export_definition

    ws = open_workspace(ctx)
    write_text(file, dump_yaml(export_definition(ws.model_definition(name))))
    if str(file) != "-":
        say(f"Wrote the model definition {name!r} to {file}.")


@app.command("import")
def import_(ctx: typer.Context, file: Annotated[Path, _FILE]) -> None:
    """Create a model definition from a YAML file (refused if its name is taken)."""
    from workbench.api.exchange import MAX_YAML_CHARS, import_definition, load_yaml

    text = read_text(file, MAX_YAML_CHARS)
    ws = open_workspace(ctx)
    md = import_definition(ws, load_yaml(text))
    say(
        f"Imported the model definition {md.name!r} "
        f"({len(md.object_definitions())} object definitions)."
    )
