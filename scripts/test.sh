#!/usr/bin/env bash
# Runs every test: installs what is missing, then the normal build's suite, the sanitizer build's
# suite (ASan+UBSan), the banned-function check and a short smoke run of every fuzz target.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
bash scripts/setup.sh
bash scripts/check-banned.sh
python3 scripts/check-layers.py

jobs=$(nproc)
source scripts/lib.sh
run_suite() { # build-dir, cmake flags...
  local dir=$1; shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  build_quietly "$dir"
  (cd "$dir" && ctest --output-on-failure -j "$jobs" ${EDDY_CTEST_ARGS:-})
}

echo "== normal build (gcc, -Werror) =="
run_suite build
echo "== sanitizer build (ASan+UBSan) =="
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
  run_suite build-asan -DEDDY_SANITIZE=ON
echo "== clang build and fuzz smoke run =="
bash scripts/fuzz-smoke.sh
