#!/usr/bin/env bash
# The main job: install, build, and start Eddy locally. Until `eddy sandbox` exists, this starts
# eddy-apiserver, installs the CRDs, starts every controller against it, shows their health and
# the API resources, then stops everything.
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

state=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$state"; }
trap cleanup EXIT
echo "eddy sandbox is not built yet; starting eddy-apiserver and the controllers by hand."
build/bin/eddy-apiserver --data-dir "$state/api" --listen 127.0.0.1:0 --simulate-workloads 2>"$state/api.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$state/api/kubeconfig" ] && break; sleep 0.1; done
export KUBECONFIG="$state/api/kubeconfig"
kubectl=.tools/bin/kubectl
$kubectl apply --server-side -f config/crd/ >/dev/null
$kubectl create namespace flux-system >/dev/null
echo "eddy-apiserver is serving; Flux CRDs installed:"
$kubectl get crd -o name | sed 's/^/  /'
port=19440
mkdir -p "$state/storage"
for b in source-controller kustomize-controller helm-controller notification-controller image-controller; do
  extra=()
  help=$(build/bin/$b --help 2>&1)
  [[ "$help" == *--storage-path* ]] && extra+=(--storage-path "$state/storage")
  [[ "$help" == *--storage-addr* ]] && extra+=(--storage-addr 127.0.0.1:0)
  build/bin/$b --kubeconfig "$KUBECONFIG" --health-addr 127.0.0.1:$port \
    --metrics-addr 127.0.0.1:$((port + 100)) "${extra[@]}" 2>"$state/$b.log" &
  pids+=($!)
  for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
  printf '  %-26s readyz: %s\n' "$b" "$(curl -fs "http://127.0.0.1:$port/readyz" || echo unreachable)"
  port=$((port + 1))
done
$kubectl version 2>/dev/null | sed 's/^/  /'
echo "Everything answered; stopping (the sandbox command will keep it running)."
