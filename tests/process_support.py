"""Work that tests hand to other processes (a module of its own, so spawned processes import it
without importing a test module)."""

from __future__ import annotations

import time
import traceback


def open_store_at(url: str, at: float) -> str | None:
    """Open the store at ``url`` once the clock reaches ``at``; the error as text, or None."""
    import workbench as wb

    while time.time() < at:  # a spin, not a sleep: the processes should start within microseconds
        pass
    try:
        ws = wb.connect(url)
        ws.engine.dispose()
    except Exception as exc:  # reported to the test, which shows every failure
        return "".join(traceback.format_exception_only(exc)).strip()
    return None
