#!/usr/bin/env bash
# The whole test suite: lint, types, layer contracts, then pytest on SQLite and PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh views,reports,test
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's chromium for the browser tests"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "chromium could not be installed; browser tests will skip"
  fi
fi
echo "== ruff"
.venv/bin/ruff check workbench widgets tests benchmarks
echo "== mypy (strict, workbench/)"
.venv/bin/mypy
echo "== import-linter (layers of DESIGN.md)"
.venv/bin/lint-imports
echo "== pytest"
.venv/bin/python -m pytest -n 2 "$@"
if [ "$#" -eq 0 ]; then  # a run narrowed by pytest arguments leaves the notebooks out
  echo "== notebooks (nbval; the kernel is this venv's python3)"
  .venv/bin/python -m pytest notebooks --nbval-lax --nbval-kernel-name python3 -n 2 --dist loadfile
fi
