#!/usr/bin/env bash
# Run CI as it runs on a submission, N times in a row, each on a fresh clone of the committed
# main with ../shared beside it; every other run (the 1st, 3rd, ...) with a CPU-bound process
# pinned to one core beside it. Prints each run's result and time; exits non-zero if any failed.
# Usage: scripts/ci_soak.sh [N]      (default 5; logs stay in the printed folder)
set -uo pipefail
runs="${1:-5}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
shared="$(cd "$repo/../shared" && pwd)"
work="$(mktemp -d -t wb-soak-XXXXXX)"
echo "soak: $runs runs of .ci/run on clones of $(git -C "$repo" rev-parse --short HEAD); logs in $work"
failed=0
for i in $(seq 1 "$runs"); do
  dir="$work/run-$i"
  mkdir -p "$dir"
  git clone -q "$repo" "$dir/wb"
  cp -r "$shared" "$dir/shared"
  burner=""
  label="quiet"
  if [ $((i % 2)) -eq 1 ]; then
    taskset -c 0 python3 -c "while True: pass" &
    burner=$!
    label="beside a CPU-bound process on core 0"
  fi
  start=$(date +%s)
  (cd "$dir/wb" && CI=true bash .ci/run </dev/null >"$dir/ci.log" 2>&1)
  status=$?
  took=$(( $(date +%s) - start ))
  [ -n "$burner" ] && kill "$burner" 2>/dev/null && wait "$burner" 2>/dev/null
  summary=$(grep -E "^=+ .*(passed|failed).* in " "$dir/ci.log" | tr -d '=' | paste -sd ';' -)
  if [ "$status" -eq 0 ]; then
    echo "run $i ($label): passed in ${took} s  [$summary]"
  else
    echo "run $i ($label): FAILED (exit $status) after ${took} s  [$summary]; see $dir/ci.log"
    failed=$((failed + 1))
  fi
  rm -rf "$dir/wb/.venv"  # keep the log, not the 1 GB environment
done
echo "soak: $((runs - failed)) of $runs runs passed"
[ "$failed" -eq 0 ]
