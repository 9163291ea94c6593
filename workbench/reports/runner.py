"""Run a notebook as a report: parameters injected, every read pinned, provenance recorded.

The notebook runs in a fresh kernel (papermill) whose environment carries ``WORKBENCH_URL``
(the store), ``WORKBENCH_AS_OF`` (the pin: the given time, or the time the run started) and
``WORKBENCH_PROVENANCE`` (a file each read appends its record to). A notebook that opens its
workspace with :func:`workbench.connect` therefore sees only beliefs formed by the pin, and every
query it makes leaves a content hash behind. The executed notebook becomes one self-contained
HTML page ending with the provenance (:mod:`workbench.reports.html`).

Examples
--------
>>> report = run_report("notebooks/01-quickstart.ipynb", as_of="2025-01-15T12:00Z")  # doctest: +SKIP
>>> report.write("quickstart.html")  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.api import connect
from workbench.api.provenance import AS_OF_ENV, PROVENANCE_ENV, parse_pin
from workbench.errors import InvalidValue, NotFound, StoreError, WorkbenchError
from workbench.reports.html import export_html
from workbench.reports.params import coerce_parameters, declared_parameters
from workbench.reports.provenance import Provenance, render_block, text_outputs
from workbench.store import DEFAULT_URL, redact_url

__all__ = ["Report", "ReportFailed", "run_report"]

#: Environment variables a notebook can read to act as the same user as the report.
USER_ENV, SECRET_ENV = "WORKBENCH_USER", "WORKBENCH_SECRET"


class ReportFailed(WorkbenchError, RuntimeError):
    """The notebook of a report could not be run to its end, or its output not written."""


@dataclass(frozen=True)
class Report:
    """An executed notebook, its HTML page and its provenance.

    Attributes
    ----------
    html
        The self-contained page (provenance block at its end).
    provenance
        What ran, pinned to when, against which store, and the hashes of what it read.
    notebook
        The executed ``nbformat`` notebook.
    """

    html: str
    provenance: Provenance
    notebook: Any

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the HTML page to ``path``; returns the path."""
        target = Path(path)
        try:
            target.write_text(self.html, encoding="utf-8")
        except OSError as exc:
            raise ReportFailed(f"cannot write the report to {str(target)!r}: {exc}") from None
        return target


def _notebook(path: str | os.PathLike[str]) -> Path:
    found = Path(path).expanduser()
    if not found.is_file():
        raise NotFound("notebook", str(path), "give the path of an .ipynb file")
    if found.suffix != ".ipynb":
        raise InvalidValue(f"{str(path)!r} is not a notebook; give an .ipynb file")
    return found.resolve()


def _store(store: str | None, user: str | None, secret: str | None) -> tuple[str, str, str]:
    """The store's full URL for the kernel, its redacted URL and the user, checked by connecting."""
    try:
        ws = connect(store, user=user, secret=secret, create=False)
    except WorkbenchError:
        raise
    except Exception as exc:  # the driver's own errors: a store without tables, a refused login
        raise StoreError(
            f"cannot open the store at {redact_url(store or DEFAULT_URL)} as {user}: "
            f"{str(exc).splitlines()[0]}"
        ) from None
    try:
        url = ws.engine.url
        if url.get_backend_name() == "sqlite":
            if url.database in (None, "", ":memory:"):
                raise InvalidValue(
                    "an in-memory SQLite store cannot be shared with the notebook's kernel; "
                    "give a file (sqlite:///path.db) or a PostgreSQL URL"
                )
            url = url.set(database=os.path.abspath(url.database))
        return url.render_as_string(hide_password=False), ws.url, ws.user
    finally:
        ws.engine.dispose()


def _kernel_name(nb: Any, kernel: str | None) -> str:
    if kernel:
        return kernel
    return str(nb.metadata.get("kernelspec", {}).get("name") or "python3")


def _execute(
    nb: Any,
    path: Path,
    parameters: dict[str, Any],
    env: dict[str, str],
    kernel: str,
    progress: bool,
    timeout: int | None,
) -> Any:
    import papermill as pm
    from jupyter_client.kernelspec import NoSuchKernel
    from papermill.exceptions import PapermillExecutionError

    from workbench.reports.kernel import ReportKernelManager, kernel_config

    try:
        return pm.execute_notebook(
            nb,
            None,
            parameters=parameters,
            kernel_name=kernel,
            progress_bar=progress,
            cwd=str(path.parent),
            execution_timeout=timeout,
            kernel_manager_class=ReportKernelManager,
            config=kernel_config(env),
        )
    except PapermillExecutionError as exc:
        first = str(exc.source).strip().splitlines()[:1]
        raise ReportFailed(
            f"the notebook {path.name} failed in cell [{exc.exec_count}] "
            f"({first[0] if first else 'empty'}): {exc.ename}: {exc.evalue}"
        ) from None
    except NoSuchKernel:
        raise InvalidValue(
            f"the kernel {kernel!r} is not installed; see 'jupyter kernelspec list'"
        ) from None
    except TimeoutError as exc:
        raise ReportFailed(f"the notebook {path.name} timed out: {exc}") from None


def _now() -> str:
    return pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds")


def run_report(
    notebook: str | os.PathLike[str],
    *,
    as_of: Any = None,
    parameters: Iterable[str] | Mapping[str, Any] = (),
    store: str | None = None,
    user: str | None = None,
    secret: str | None = None,
    kernel: str | None = None,
    progress: bool = False,
    timeout: int | None = None,
) -> Report:
    """Run a notebook against a store, pinned to a belief time, and build its report.

    Parameters
    ----------
    notebook
        The ``.ipynb`` file; it runs in its own folder.
    as_of
        Pin every read to beliefs formed at or before this time (aware ISO text or datetime).
        Default: the time the run starts, recorded so that the run can be repeated.
    parameters
        ``name=value`` texts or a mapping, for the cell tagged ``parameters``; values are typed
        like the defaults there, unknown names are refused.
    store, user, secret
        The store (default: ``WORKBENCH_URL`` or ``./workbench.db``) and who acts; the kernel
        gets them as ``WORKBENCH_URL``, ``WORKBENCH_USER`` and ``WORKBENCH_SECRET``.
    kernel
        The Jupyter kernel (default: the notebook's own, else ``python3``).
    progress
        Show a progress bar of the cells.
    timeout
        Seconds a cell may run (default: no limit).

    Raises
    ------
    NotFound
        The notebook does not exist.
    InvalidValue
        A bad as-of time, parameter, kernel or store.
    ReportFailed
        A cell raised an error (its number and the error are named) or timed out.
    """
    import nbformat

    path = _notebook(notebook)
    pin = parse_pin("now" if as_of is None else as_of)
    assert pin is not None  # "now" always gives a time
    source = path.read_bytes()
    try:
        nb = nbformat.reads(source.decode("utf-8"), as_version=4)  # type: ignore[no-untyped-call]
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidValue(f"{str(path)!r} is not a readable notebook: {exc}") from None
    given = coerce_parameters(parameters, declared_parameters(nb, path.name)) if parameters else {}
    full_url, shown_url, who = _store(store, user, secret)
    kernel = _kernel_name(nb, kernel)
    with tempfile.TemporaryDirectory(prefix="workbench-report-") as tmp:
        log = Path(tmp) / "provenance.jsonl"
        log.touch()
        env = {"WORKBENCH_URL": full_url, AS_OF_ENV: pin.isoformat(), PROVENANCE_ENV: str(log)}
        env.update({k: v for k, v in ((USER_ENV, user), (SECRET_ENV, secret)) if v is not None})
        started = _now()
        executed = _execute(nb, path, given, env, kernel, progress, timeout)
        queries = [json.loads(line) for line in log.read_text("utf-8").splitlines() if line]
    provenance = Provenance(
        notebook=str(path),
        notebook_sha256=hashlib.sha256(source).hexdigest(),
        as_of=pin.isoformat(),
        as_of_requested="now" if as_of is None else str(as_of),
        parameters=given,
        store=shown_url,
        user=who,
        kernel=kernel,
        workbench=_version(),
        started=started,
        finished=_now(),
        queries=queries,
        outputs=text_outputs(executed),
    )
    return Report(export_html(executed, render_block(provenance)), provenance, executed)


def _version() -> str:
    from workbench import __version__

    return __version__
