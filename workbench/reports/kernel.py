"""A Jupyter kernel manager that starts its kernel with extra environment variables.

A report's kernel must see ``WORKBENCH_URL``, ``WORKBENCH_AS_OF`` and ``WORKBENCH_PROVENANCE``
(:func:`workbench.connect` reads them), without changing this process's own environment:
several reports may run side by side, and the caller's environment stays as it was.
"""

from __future__ import annotations

import os
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from traitlets import Dict, Unicode
from traitlets.config import Config

__all__ = ["ReportKernelManager", "kernel_config"]


class ReportKernelManager(AsyncKernelManager):
    """Starts (and restarts) its kernel with :attr:`extra_env` added to the environment."""

    extra_env = Dict(
        key_trait=Unicode(),
        value_trait=Unicode(),
        help="Environment variables set for the kernel, on top of this process's own.",
    ).tag(config=True)

    async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
        kw["env"] = {**os.environ, **kw.get("env", {}), **self.extra_env}
        await super().start_kernel(**kw)


def kernel_config(env: dict[str, str]) -> Config:
    """The traitlets configuration that hands ``env`` to :class:`ReportKernelManager`.

    The kernel talks over local sockets (``ipc``), which other machines cannot reach.

    >>> kernel_config({"A": "1"}).ReportKernelManager.extra_env
    {'A': '1'}
    """
    return Config({"ReportKernelManager": {"extra_env": dict(env), "transport": "ipc"}})
