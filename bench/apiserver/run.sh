#!/usr/bin/env bash
# eddy-apiserver benchmark (not a test): create+watch throughput, p99 latency, list time and
# RSS with 1 000 and 10 000 objects. Usage: bench/apiserver/run.sh [N ...]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
bin=${EDDY_BIN:-$here/build/bin}/eddy-apiserver
[ -x "$bin" ] || { echo "build eddy-apiserver first ($bin)" >&2; exit 1; }
exec python3 "$here/bench/apiserver/bench.py" "$bin" "$@"
