#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (-Werror too) and runs each briefly from its corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${EDDY_FUZZ_SECONDS:-20}
CC=clang cmake -S . -B build-fuzz -DEDDY_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
source scripts/lib.sh
build_quietly build-fuzz
shopt -s nullglob
n=0
for f in build-fuzz/fuzz/fuzz_*; do
  name=$(basename "$f")
  corpus="tests/fuzz/corpus/${name#fuzz_}"
  work=$(mktemp -d)
  [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
  echo "fuzz: $name for ${secs}s"
  "$f" -max_total_time="$secs" -seed="${EDDY_FUZZ_SEED:-1}" -rss_limit_mb=2048 -timeout=10 -artifact_prefix="$work." "$work" \
    >"$work.log" 2>&1 \
    || { tail -40 "$work.log" >&2; echo "fuzz: $name found a failure (input kept as $work.*)" >&2; exit 1; }
  rm -rf "$work" "$work.log"
  n=$((n + 1))
done
echo "fuzz: $n targets smoke-tested"
