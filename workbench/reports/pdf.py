"""Print a report's HTML page to PDF with a headless Chromium (Debian's ``chromium`` package).

Chromium runs the page's JavaScript before printing, so Bokeh plots appear in the PDF as they
do on screen (no longer interactive). It is started offline: no network services, no profile.
``WORKBENCH_CHROMIUM`` names the browser when it is not on the ``PATH`` as ``chromium``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from workbench.reports.runner import ReportFailed

__all__ = ["CHROMIUM_ENV", "HEADLESS_FLAGS", "find_chromium", "print_pdf"]

CHROMIUM_ENV = "WORKBENCH_CHROMIUM"
_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: How Chromium runs here: headless, offline, without a sandbox (the browser tests use them too).
HEADLESS_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
_FLAGS = (
    *HEADLESS_FLAGS,
    "--no-pdf-header-footer",
    "--virtual-time-budget=15000",  # let the plots render before printing
)


def find_chromium() -> str | None:
    """The Chromium executable to print with, or None when there is none."""
    named = os.environ.get(CHROMIUM_ENV)
    if named:
        return shutil.which(named) or (named if Path(named).is_file() else None)
    for name in _NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def print_pdf(
    page: str | os.PathLike[str], pdf: str | os.PathLike[str], *, timeout: float = 180
) -> Path:
    """Print the HTML file ``page`` to the PDF file ``pdf``; returns the PDF's path.

    Raises
    ------
    ReportFailed
        When no Chromium is installed (the message says what to install) or printing fails.
    """
    browser = find_chromium()
    if browser is None:
        raise ReportFailed(
            "printing to PDF needs Chromium: install it (Debian/Ubuntu: apt-get install chromium) "
            f"or name its executable in {CHROMIUM_ENV}; the HTML report was written all the same"
        )
    source, target = Path(page).resolve(), Path(pdf).resolve()
    target.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="workbench-pdf-") as profile:
        command = [
            browser,
            *_FLAGS,
            f"--user-data-dir={profile}",
            f"--print-to-pdf={target}",
            source.as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ReportFailed(f"{browser} could not print {source.name} to PDF: {exc}") from None
    if not target.is_file() or target.read_bytes()[:5] != b"%PDF-":
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise ReportFailed(
            f"{browser} did not write {target} (exit status {done.returncode}): {' / '.join(tail)}"
        )
    return target
