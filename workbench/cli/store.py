"""Top-level commands: set up a store, show a tree of objects, build the demo model."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from workbench.cli.common import console, fail, open_workspace, say, secret_of, settings
from workbench.cli.terminal import safe_tree

__all__ = ["demo", "init", "object_path", "tree"]


def _backend(url: str | None) -> str:
    text = url or os.environ.get("WORKBENCH_URL") or "sqlite:///workbench.db"
    return text.split(":", 1)[0].split("+", 1)[0]


def object_path(path: str) -> str:
    """``Model/...`` paths as they are; a bare name names a model."""
    return path if path.startswith("Model/") or path == "Model" else f"Model/{path}"


def init(
    ctx: typer.Context,
    admin: Annotated[
        str | None,
        typer.Option(help="E-mail of the first admin user (needed for a shared PostgreSQL store)."),
    ] = None,
    secret: Annotated[
        str | None,
        typer.Option(show_default=False, help="The first admin's secret (or the global --secret)."),
    ] = None,
    account: Annotated[str, typer.Option(help="Name of the first admin's account.")] = "Operators",
) -> None:
    """Create the store's tables (and, with --admin, its first admin user)."""
    import workbench as wb

    s = settings(ctx)
    if admin is None:
        if _backend(s.url) != "sqlite":
            fail("a shared store needs a first admin: give --admin EMAIL and --secret")
        ws = wb.connect(s.url)
        ws.engine.dispose()
        say(f"The store at {ws.url} is ready; it opens as the local admin.")
        return
    first_secret = secret if secret is not None else secret_of(s, f"secret for {admin}")
    ws = wb.init_store(s.url, admin=admin, secret=first_secret, account=account)
    ws.engine.dispose()
    say(f"The store at {ws.url} is ready; its first admin is {admin} ({account}).")


def tree(
    ctx: typer.Context,
    path: Annotated[str, typer.Argument(help="A model name or an object path (Model/M/A/B).")],
    depth: Annotated[int | None, typer.Option(min=0, help="Levels below PATH to show.")] = None,
) -> None:
    """Show an object and its descendants with their types and key values."""
    from workbench.demo import build_tree

    ws = open_workspace(ctx)
    console.print(safe_tree(build_tree(ws.object(object_path(path)), depth)))


def demo(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="Name of the demo model.")] = "Demo",
    depth: Annotated[int | None, typer.Option(min=0, help="Levels of the tree to show.")] = None,
) -> None:
    """Build the demo hydropower model (once) and show its tree."""
    from workbench.demo import DEFINITION, build_demo, build_tree

    ws = open_workspace(ctx)
    existing = [m for m in ws.models() if m.name == name]
    if existing:
        model = existing[0]
        say(f"The demo model {model.full_name} exists already.")
    else:
        model = build_demo(ws, name)
        say(f"Built the demo model {model.full_name} on {DEFINITION} in {ws.url}.")
    console.print(safe_tree(build_tree(model, depth)))
