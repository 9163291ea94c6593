"""The README's Python examples run as written (each in a fresh interpreter)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def section_code(heading: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    blocks = re.findall(r"```python\n(.*?)```", text[start:end], re.S)
    assert blocks, f"no python example under {heading!r}"
    return "\n".join(blocks)


@pytest.mark.parametrize("heading", ["Sensors and beliefs"])
def test_readme_example_runs(heading: str) -> None:
    check = (
        "\nassert float(latest['value'].sel(source='meter').max()) == 47.0"
        "\nassert float(then['value'].sel(source='forecaster').values.ravel()[0]) == 1.0"
        "\nassert set(errors.data_vars) >= {'MAE', 'MAPE', 'WAPE', 'RMSE'}"
        "\nassert ws.sensors('Meters') == [power]"
    )
    done = subprocess.run(
        [sys.executable, "-c", section_code(heading) + check],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
