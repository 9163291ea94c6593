"""Committed notebooks stay small and offline: text outputs only where nbval checks them."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
CHECK = "# NBVAL_CHECK_OUTPUT"
MAX_OUTPUT_BYTES = 4_000
TEXT_MIMETYPES = {"text/plain"}


def _load(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def _code(nb: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def _source(cell: dict[str, Any]) -> str:
    source = cell["source"]
    return "".join(source) if isinstance(source, list) else str(source)


def test_the_six_notebooks_are_there() -> None:
    expected = {
        "01-quickstart",
        "02-modelling",
        "03-beliefs",
        "04-calculations",
        "05-teams",
        "06-dashboard",
    }
    assert expected <= {p.stem for p in PATHS}


@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_outputs_are_small_text_and_only_where_checked(path: Path) -> None:
    nb = _load(path)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert "widgets" not in nb["metadata"]  # no saved widget state
    for index, cell in enumerate(_code(nb)):
        outputs = cell.get("outputs", [])
        checked = CHECK in _source(cell)
        where = f"{path.name}, code cell {index}"
        if not checked:
            assert outputs == [], f"{where}: outputs of an unchecked cell are committed"
            continue
        assert outputs, f"{where}: nbval checks this cell but no output is stored"
        assert cell["execution_count"] is not None, f"{where}: nbval skips a cell never run"
        assert len(json.dumps(outputs)) <= MAX_OUTPUT_BYTES, f"{where}: output over 4 KB"
        for out in outputs:
            if out["output_type"] == "stream":
                assert out["name"] == "stdout", f"{where}: stderr is not deterministic"
            else:
                assert out["output_type"] in ("execute_result", "display_data"), where
                assert set(out["data"]) <= TEXT_MIMETYPES, f"{where}: {sorted(out['data'])}"


@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_plots_are_inline_and_stores_are_fresh(path: Path) -> None:
    text = "\n".join(_source(c) for c in _code(_load(path)))
    for call in re.findall(r"(?:hv|pn)\.extension\([^)]*\)", text):
        assert "inline=True" in call, f"{path.name}: {call} would load BokehJS from a CDN"
    assert "http://" not in text and "https://" not in text
    for url in re.findall(r"(?:wb\.connect|wb\.init_store)\((f?\"[^\"]*\")", text):
        assert "mkdtemp" in text and "{folder" in url, f"{path.name}: {url} is not a fresh store"


def test_clean_strips_what_nbval_does_not_check(tmp_path: Path) -> None:
    import nbformat

    sys.path.insert(0, str(NOTEBOOKS))
    try:
        from clean import clean
    finally:
        sys.path.remove(str(NOTEBOOKS))
    nb = nbformat.v4.new_notebook()
    checked = nbformat.v4.new_code_cell(f"{CHECK}\nprint(1)\n1", execution_count=1)
    checked.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="1\n"),
        nbformat.v4.new_output("stream", name="stderr", text="warning\n"),
        nbformat.v4.new_output(
            "execute_result", {"text/plain": "1", "text/html": "<b>1</b>"}, execution_count=1
        ),
    ]
    plot = nbformat.v4.new_code_cell("plot()", execution_count=2)
    plot.outputs = [nbformat.v4.new_output("display_data", {"application/javascript": "x"})]
    nb.cells = [checked, plot]
    cleaned = clean(nb)
    first, second = cleaned.cells
    assert [o.output_type for o in first.outputs] == ["stream", "execute_result"]
    assert dict(first.outputs[1].data) == {"text/plain": "1"}
    assert second.outputs == [] and second.execution_count is None
