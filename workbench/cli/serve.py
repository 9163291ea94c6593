"""``workbench serve``: serve the dashboard (Panel) of a store in the browser."""

from __future__ import annotations

import importlib
from typing import Annotated

import typer

from workbench.cli.common import fail, say, settings

__all__ = ["serve"]

#: The module that serves the dashboard. The library must not import the UI stack (Panel,
#: HoloViews, Bokeh) or the ``widgets`` package above it: import-linter forbids both statically.
#: The command loads the module by name when it runs, so ``workbench`` stays usable without
#: the ``views`` extra and the layers stay as DESIGN.md draws them.
DASHBOARD_SERVER = "widgets.serve"


def serve(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(min=0, max=65535, help="The port (0: any free one).")] = 5006,
    address: Annotated[
        str,
        typer.Option(help="The address to listen on; the default keeps it to this machine."),
    ] = "127.0.0.1",
    origin: Annotated[
        list[str] | None,
        typer.Option(help="host:port a browser may reach it as (behind a proxy); repeatable."),
    ] = None,
    show: Annotated[bool, typer.Option(help="Open it in the web browser.")] = False,
    behind_proxy: Annotated[
        bool,
        typer.Option(
            help="Take visitors' addresses from the proxy's X-Real-Ip/X-Forwarded-For headers "
            "(for sign-in throttling); only behind a proxy that sets them."
        ),
    ] = False,
) -> None:
    """Serve the dashboard: the model tree, object inspector, belief and accuracy views.

    A shared (PostgreSQL) store asks every visitor who they are (user and secret) before it
    shows anything; the embedded SQLite store opens as the local admin.
    """
    s = settings(ctx)
    if s.user is not None:
        say(f"Note: --user {s.user} is not used; the dashboard asks each visitor who they are.")
    try:
        server = importlib.import_module(DASHBOARD_SERVER)
    except ImportError as exc:
        fail(
            f"the dashboard needs the views extra (pip install 'workbench[views]'): cannot "
            f"import {exc.name or DASHBOARD_SERVER}"
        )
    try:
        server.serve(
            s.url,
            port=port,
            address=address,
            origins=origin or [],
            show=show,
            behind_proxy=behind_proxy,
            announce=say,
        )
    except OSError as exc:  # the port is taken, or the address is not this machine's
        fail(f"cannot listen on {address}:{port}: {exc.strerror or exc}")
