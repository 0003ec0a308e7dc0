#!/usr/bin/env bash
# Benchmark of kustomize-controller (not a test; run by hand): N Kustomizations (default 1000)
# of 5 objects each (a Deployment, a Service, two ConfigMaps and a Secret) from one
# GitRepository, all building the same path with their own namePrefix. Reports the time from
# `kubectl apply` of the Kustomizations until every one is Ready, and the peak RSS (VmHWM) of
# kustomize-controller, source-controller and eddy-apiserver (--simulate-workloads).
# Goal (docs/status.md): under 60 s and under 30 MiB for kustomize-controller on 2 cores.
# Usage: bash bench/kustomize-controller/run.sh [BUILD_DIR]   (default: build)
#        N=200 CONCURRENT=4 WAIT=true QPS=50 BURST=300 bash bench/kustomize-controller/run.sh
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${1:-$SRC/build}/bin
KUBECTL=${KUBECTL:-$SRC/.tools/bin/kubectl}
N=${N:-1000}
CONCURRENT=${CONCURRENT:-4}
WAIT=${WAIT:-false}
QPS=${QPS:-50}     # Flux's default --kube-api-qps
BURST=${BURST:-300} # Flux's default --kube-api-burst
W=$(mktemp -d /tmp/eddy-bench-kc.XXXXXX)
source "$SRC/tests/lib/gitserver.bash"
gs_setup "$W/gs"
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	gs_stop
	sleep 0.3
	rm -rf "$W"
}
trap cleanup EXIT

now() { date +%s.%N; }
k() { "$KUBECTL" --kubeconfig "$W/api/kubeconfig" "$@"; }
hwm() { awk '/VmHWM/{print $2}' "/proc/$1/status"; }

gs_start_http
gs_repo fleet
gs_commit fleet app/deploy.yaml "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 80
"
gs_commit fleet app/service.yaml "apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - port: 80
"
gs_commit fleet app/config.yaml "apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  color: blue
  size: large
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-env
data:
  LOG_LEVEL: info
---
apiVersion: v1
kind: Secret
metadata:
  name: web-token
stringData:
  token: not-a-secret
"
gs_commit fleet app/kustomization.yaml "resources:
- deploy.yaml
- service.yaml
- config.yaml
"

mkdir -p "$W/api" "$W/storage" "$W/tmp"
"$BIN/eddy-apiserver" --data-dir "$W/api" --listen 127.0.0.1:0 --simulate-workloads \
	>"$W/api.log" 2>&1 &
API=$!
PIDS+=($API)
for _ in $(seq 100); do [ -s "$W/api/kubeconfig" ] && break; sleep 0.1; done
for _ in $(seq 100); do k get --raw /readyz >/dev/null 2>&1 && break; sleep 0.1; done
k apply -f "$SRC/config/crd/source.toolkit.fluxcd.io_gitrepositories.yaml" \
	-f "$SRC/config/crd/kustomize.toolkit.fluxcd.io_kustomizations.yaml" >/dev/null
"$BIN/source-controller" --kubeconfig "$W/api/kubeconfig" --storage-path "$W/storage" \
	--storage-addr 127.0.0.1:0 --metrics-addr 127.0.0.1:0 --health-addr 0 \
	>"$W/sc.log" 2>&1 &
SC=$!
PIDS+=($SC)
TMPDIR="$W/tmp" "$BIN/kustomize-controller" --kubeconfig "$W/api/kubeconfig" \
	--metrics-addr 127.0.0.1:0 --health-addr 0 --concurrent "$CONCURRENT" \
	--kube-api-qps "$QPS" --kube-api-burst "$BURST" >"$W/kc.log" 2>&1 &
KC=$!
PIDS+=($KC)
printf 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: fleet, namespace: default}\nspec: {url: "%s/fleet.git", interval: 1h, ref: {branch: main}}\n' \
	"$GS_HTTP_URL" | k apply -f - >/dev/null
until [ "$(k get gitrepository fleet -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]; do
	sleep 0.1
done

for i in $(seq 1 "$N"); do
	printf -- '---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: app-%d, namespace: default}\nspec: {interval: 1h, prune: true, wait: %s, path: ./app, targetNamespace: default, namePrefix: app-%d-, sourceRef: {kind: GitRepository, name: fleet}}\n' \
		"$i" "$WAIT" "$i"
done >"$W/ks.yaml"

count_ready() {
	k get kustomizations -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' |
		grep -c '^True$' || true
}

t0=$(now)
k apply -f "$W/ks.yaml" >/dev/null
while [ "$(count_ready)" -lt "$N" ]; do
	if [ "$(echo "$(now) - $t0 > ${LIMIT:-600}" | bc)" = 1 ]; then
		echo "not all Ready after ${LIMIT:-600} s:" >&2
		k get kustomizations | grep -v ' True ' | head -5 >&2
		exit 1
	fi
	sleep 0.5
done
t1=$(now)
objs=$(k get deploy,svc,cm,secret -o name | grep -c '/app-' || true)
printf '%d Kustomizations (%d objects, wait: %s, --concurrent %d, --kube-api-qps %s, --kube-api-burst %s) Ready in %.1f s\n' \
	"$N" "$objs" "$WAIT" "$CONCURRENT" "$QPS" "$BURST" "$(echo "$t1 - $t0" | bc)"
printf 'peak RSS: kustomize-controller %d KiB, source-controller %d KiB, eddy-apiserver %d KiB\n' \
	"$(hwm $KC)" "$(hwm $SC)" "$(hwm $API)"
