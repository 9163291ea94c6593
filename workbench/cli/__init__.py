"""The ``workbench`` command line: one typer app per command group, registered in ``app``."""

from __future__ import annotations

from workbench.cli.app import app, main

__all__ = ["app", "main"]
