#!/usr/bin/env bash
# The main job on the embedded SQLite default: build the demo model (with sample sensors and
# beliefs) into ./workbench.db, print its tree, then serve its dashboard on 127.0.0.1.
# Arguments go to `workbench demo` (e.g. --depth 2); WORKBENCH_PORT picks the port (5006).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh views
export WORKBENCH_URL="${WORKBENCH_URL:-sqlite:///workbench.db}"
.venv/bin/workbench demo "$@"
.venv/bin/python -m workbench.demo_data
exec .venv/bin/workbench serve --port "${WORKBENCH_PORT:-5006}"
