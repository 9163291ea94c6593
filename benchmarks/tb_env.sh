#!/usr/bin/env bash
# Create benchmarks/.tb-venv: a virtual environment of its own with timely-beliefs 4.4.1 (it pins
# pandas < 3), used only by benchmarks/timely_beliefs_reference.py. Not tracked by git.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.tb-venv"
python="${PYTHON:-python3.11}"
if [[ ! -x "$venv/bin/python" ]]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet "timely-beliefs==4.4.1" "pandas<3" packaging
"$venv/bin/python" -c "import timely_beliefs, pandas; print('timely-beliefs', timely_beliefs.__version__, 'pandas', pandas.__version__)"
