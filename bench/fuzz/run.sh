#!/usr/bin/env bash
# Exploratory fuzzing bounded by time (the CI smoke run, scripts/fuzz-smoke.sh, is bounded by
# runs instead): every target, or those named, for MINUTES each (default 10) from its seed
# corpus, JOBS targets at a time (default 1). Prints one Markdown row per target for
# bench/README.md; a failing input is copied to bench/fuzz/found/ and reported in its row.
# Usage: bench/fuzz/run.sh [-m MINUTES] [-j JOBS] [fuzz_name ...]
set -euo pipefail
cd "$(dirname "$0")/../.."
minutes=10 jobs=1
while getopts m:j: o; do
  case $o in m) minutes=$OPTARG ;; j) jobs=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
CC=clang cmake -S . -B build-fuzz -DEDDY_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
source scripts/lib.sh
build_quietly build-fuzz
targets=("$@")
[ ${#targets[@]} -gt 0 ] || for f in build-fuzz/fuzz/fuzz_*; do targets+=("$(basename "$f")"); done
out=$(mktemp -d)
mkdir -p bench/fuzz/found

one() { # target (errexit off in here: a failing grep or ls must not lose the row)
  set +e +o pipefail
  local name=$1 work="$out/$1" corpus="tests/fuzz/corpus/${1#fuzz_}" rc=0 result
  mkdir -p "$work/corpus"
  [ -d "$corpus" ] && cp -r "$corpus"/. "$work/corpus"/
  "build-fuzz/fuzz/$name" -max_total_time=$((minutes * 60)) -rss_limit_mb=2048 -timeout=30 \
    -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" >"$work/log" 2>&1 || rc=$?
  local runs cov
  runs=$(grep -oE '^Done [0-9]+ runs' "$work/log" | grep -oE '[0-9]+' || true)
  [ -n "$runs" ] || runs=$(grep -oE '^#[0-9]+' "$work/log" | tail -1 | tr -d '#')
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$work/log" | tail -1)
  result="nothing found"
  if [ $rc -ne 0 ]; then
    local crash
    crash=$(ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* \
      "$work"/slow-unit-* 2>/dev/null | head -1)
    result="rc $rc: $(grep -m1 -oE 'ERROR: [A-Za-z]+: [a-z-]+|ERROR: libFuzzer: [a-z-]+' \
      "$work/log" || echo failure)"
    if [ -n "$crash" ]; then
      cp "$crash" "bench/fuzz/found/$name-$(basename "$crash")"
      result="$result (input: bench/fuzz/found/$name-$(basename "$crash"))"
    fi
    cp "$work/log" "bench/fuzz/found/$name.log"
  fi
  echo "| $(date +%F) | $name | ${minutes} min | ${runs:-?} | ${cov:-?} | $result |"
}

echo "| Date | Target | Time | Executions | Coverage | Result |"
echo "| --- | --- | --- | --- | --- | --- |"
running=0
for t in "${targets[@]}"; do
  one "$t" >"$out/$t.row" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
done
wait
for t in "${targets[@]}"; do cat "$out/$t.row"; done
rm -rf "$out"
