"""``workbench models``: list, export and import models as YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from workbench.cli.common import fail, open_workspace, read_text, say, write_text
from workbench.cli.store import object_path

__all__ = ["app"]

app = typer.Typer(help="Models: list, export and import them as YAML.", no_args_is_help=True)

_FILE = typer.Argument(help="A YAML file ('-': standard input or output).")


@app.command("list")
def list_models(ctx: typer.Context) -> None:
    """List the models with their model definitions."""
    ws = open_workspace(ctx)
    for model in ws.models():
        say(f"{model.full_name} ({model.definition.model_definition.name})")


@app.command("export")
def export(
    ctx: typer.Context,
    path: Annotated[str, typer.Argument(help="The model: its name or Model/NAME.")],
    file: Annotated[Path, _FILE],
) -> None:
    """Write a model (objects, values, links) to a YAML file."""
    from workbench.api.exchange import dump_yaml, export_model

    ws = open_workspace(ctx)
    model = ws.object(object_path(path))
    if not model.is_model:
        fail(f"{model.full_name} is not a model; export its model {model.model.full_name}")
    write_text(file, dump_yaml(export_model(model)))
    if str(file) != "-":
        say(f"Wrote the model {model.full_name} to {file}.")


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[Path, _FILE],
    definition: Annotated[
        str | None,
        typer.Option(help="Build on this model definition instead of the one the file names."),
    ] = None,
) -> None:
    """Create a model from a YAML file (refused if its name is taken)."""
    from workbench.api.exchange import MAX_YAML_CHARS, import_model, load_yaml

    text = read_text(file, MAX_YAML_CHARS)
    ws = open_workspace(ctx)
    model = import_model(ws, load_yaml(text), definition)
    say(f"Imported the model {model.full_name}.")
