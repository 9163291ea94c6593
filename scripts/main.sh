#!/usr/bin/env bash
# The main job on the embedded SQLite default: build the demo model into ./workbench.db and show it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh views
exec .venv/bin/workbench --url "${WORKBENCH_URL:-sqlite:///workbench.db}" demo "$@"
