#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (-Werror too) and runs each over its seed corpus plus a
# fixed number of mutations from a fixed seed. Counted in runs, not seconds, so a given commit
# always runs the same inputs and passes or fails the same way on any machine, however loaded.
# Exploratory runs bounded by time are in bench/fuzz/run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
default_runs=${EDDY_FUZZ_RUNS:-400000}
seed=${EDDY_FUZZ_SEED:-1}
CC=clang cmake -S . -B build-fuzz -DEDDY_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
source scripts/lib.sh
build_quietly build-fuzz

# tests/fuzz/runs: "<target> <runs>" for targets slower or faster than the default.
runs_for() { # target
  local r
  r=$(awk -v t="$1" '$1 == t { print $2 }' tests/fuzz/runs)
  echo "${r:-$default_runs}"
}

# Same inputs every time: libFuzzer's mutations follow the seed, but its comparison tables are
# indexed by code address, so address-space randomisation (and re-reading the corpus directory
# on a timer, -reload) would make two runs of one binary try different inputs.
norand=()
if setarch "$(uname -m)" -R true 2>/dev/null; then
  norand=(setarch "$(uname -m)" -R)
else
  echo "fuzz: cannot turn off address-space randomisation here; runs may differ" >&2
fi

shopt -s nullglob
n=0
for f in build-fuzz/fuzz/fuzz_*; do
  name=$(basename "$f")
  corpus="tests/fuzz/corpus/${name#fuzz_}"
  work=$(mktemp -d)
  [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
  runs=$(runs_for "$name")
  # -timeout and -rss_limit_mb only decide what counts as a failure; -runs alone ends the run.
  "${norand[@]}" "$f" -runs="$runs" -seed="$seed" -reload=0 -rss_limit_mb=2048 -timeout=60 \
    -print_final_stats=1 \
    -artifact_prefix="$work." "$work" >"$work.log" 2>&1 \
    || { tail -40 "$work.log" >&2; echo "fuzz: $name found a failure (input kept as $work.*)" >&2; exit 1; }
  done_line=$(grep -E '^Done [0-9]+ runs' "$work.log" | tail -1 || true)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$work.log" | tail -1 || true)
  echo "fuzz: $name: ${done_line%% in *} (seed $seed, $cov)"
  rm -rf "$work" "$work.log"
  n=$((n + 1))
done
echo "fuzz: $n targets run"
