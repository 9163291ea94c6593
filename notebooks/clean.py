"""Strip notebooks for committing: outputs only where nbval checks them, and only as text.

Cells marked ``# NBVAL_CHECK_OUTPUT`` keep their standard output and plain-text results (nbval
compares them on every run); every other output (plots, widgets, HTML tables, BokehJS) is
dropped, with execution counts and run metadata. Run it after executing a notebook in Jupyter:

    .venv/bin/python notebooks/clean.py notebooks/*.ipynb
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import nbformat

CHECK = "# NBVAL_CHECK_OUTPUT"
TEXT_MIMETYPES = ("text/plain",)


def _text_outputs(outputs: list[Any]) -> list[Any]:
    kept = []
    for out in outputs:
        kind = out.get("output_type")
        if kind == "stream" and out.get("name") == "stdout":
            kept.append(out)
        elif kind in ("execute_result", "display_data"):
            data = {k: v for k, v in out.get("data", {}).items() if k in TEXT_MIMETYPES}
            if data:
                out["data"], out["metadata"] = data, {}
                kept.append(out)
    return kept


def clean(nb: Any) -> Any:
    """The notebook with outputs kept only as text, and only in checked cells."""
    for key in ("papermill", "widgets"):
        nb.metadata.pop(key, None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("papermill", None)
        if cell.cell_type != "code":
            continue
        if CHECK in cell.source:
            cell.outputs = _text_outputs(cell.outputs)
        else:
            cell.outputs, cell.execution_count = [], None
    return nb


def main(paths: list[str]) -> None:
    for path in map(Path, paths):
        nb = nbformat.read(path, as_version=4)
        nbformat.write(clean(nb), path)
        print(f"cleaned {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
