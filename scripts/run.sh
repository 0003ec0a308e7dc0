#!/usr/bin/env bash
# The main job: install, build, and start Eddy locally. Until `eddy sandbox` exists, this starts
# every binary on loopback ports, shows its health and metrics endpoints answering, then stops them.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
source scripts/lib.sh
build_quietly build

if build/bin/eddy sandbox --help >/dev/null 2>&1; then
  exec build/bin/eddy sandbox up "$@"
fi

echo "eddy sandbox is not built yet; starting each binary and asking for its health:"
port=19440
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
for b in source-controller kustomize-controller helm-controller notification-controller image-controller; do
  build/bin/$b --health-addr 127.0.0.1:$port --metrics-addr 127.0.0.1:$((port + 100)) >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
  printf '%-26s healthz: %s\n' "$b" "$(curl -fs "http://127.0.0.1:$port/healthz" || echo unreachable)"
  port=$((port + 1))
done
