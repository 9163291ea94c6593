#!/usr/bin/env bash
# The whole test suite: lint, types, layer contracts, then pytest on SQLite and PostgreSQL.
#
# pytest runs in two passes: everything but the browser tests on two xdist workers, then the
# browser and JupyterLab tests (marker `browser`) alone, one at a time, so that Chromium, a
# JupyterLab server and its kernel never compete with CPU-bound tests for this machine's cores.
# Arguments narrow both passes (e.g. `scripts/test.sh tests/test_browser.py -k login`).
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

# pytest exits 5 when a pass selects no test (a narrowed run may select none of one kind).
pass() {
  local status=0
  .venv/bin/python -m pytest "$@" || status=$?
  if [ "$status" -ne 0 ] && [ "$status" -ne 5 ]; then
    exit "$status"
  fi
  return "$status"
}
ran=0
# tests/interop needs pandas 2, timely-beliefs and FlexMeasures: scripts/interop_env.sh runs it
# in .venv-interop below
echo "== pytest (all but the browser tests, two workers)"
pass -n 2 -m "not browser" --ignore=tests/interop "$@" && ran=1 || true
echo "== pytest (browser and JupyterLab tests, one at a time)"
pass -p no:xdist -m browser --ignore=tests/interop "$@" && ran=1 || true
if [ "$ran" -eq 0 ]; then
  echo "no test was selected" >&2
  exit 5
fi
if [ "$#" -eq 0 ]; then  # a run narrowed by pytest arguments leaves the interop tests out
  echo "== interop (pandas 2, timely-beliefs 4.4.1, FlexMeasures 1.0.1: scripts/interop_env.sh)"
  bash scripts/interop_env.sh -q  # builds or reuses .venv-interop; see the script
fi
if [ "$#" -eq 0 ]; then  # a run narrowed by pytest arguments leaves the notebooks out
  echo "== notebooks (nbval; the kernel is this venv's python3)"
  .venv/bin/python -m pytest notebooks --nbval-lax --nbval-kernel-name python3 -n 2 --dist loadfile
fi
