#!/usr/bin/env bash
# Benchmark of source-controller's Helm sources (not a test; run by hand):
#  1. a generated index.yaml of about 50 MiB (CHARTS charts, VERSIONS versions each), served by
#     lighttpd: time from creating the HelmRepository to Ready (download, sha256, streaming
#     parse, normalised JSON written) and source-controller's peak RSS (VmHWM) before and after;
#  2. N HelmCharts from that repository (each another chart name of the index, all pointing at
#     one real chart made by helm package): time until all are Ready and the peak RSS, with the
#     index cache on (--helm-cache-max-size 10), so the index is parsed once.
# Usage: bash bench/helm-source/run.sh [BUILD_DIR]   (default: build). Needs lighttpd, helm.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${1:-$SRC/build}/bin
KUBECTL=${KUBECTL:-$SRC/.tools/bin/kubectl}
export HELM=${HELM:-$SRC/.tools/bin/helm}
CHARTS=${CHARTS:-20000}
VERSIONS=${VERSIONS:-5}
N=${N:-1000}
W=$(mktemp -d /tmp/eddy-bench-helm.XXXXXX)
source "$SRC/tests/lib/chartserver.bash"
gs_setup "$W/gs"
export HELM_CACHE_HOME="$W/helm" HELM_CONFIG_HOME="$W/helm" HELM_DATA_HOME="$W/helm"
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
hwm() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }

cs_chart app 1.0.0
mkdir -p "$W/gs/www/repo"
"$HELM" package -d "$W/gs/www/repo" "$W/gs/charts-src/app" >/dev/null
python3 - "$W/gs/www/repo/index.yaml" "$CHARTS" "$VERSIONS" <<'PY'
import sys
path, charts, versions = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, "w") as f:
    f.write("apiVersion: v1\nentries:\n")
    for c in range(charts):
        f.write("  chart-%d:\n" % c)
        for v in range(versions):
            f.write("  - apiVersion: v2\n    appVersion: 1.%d.0\n    created: \"2024-0%d-01T10:00:00.123456789Z\"\n"
                    "    description: A generated chart number %d, version %d, for the benchmark of the index parser\n"
                    "    digest: %064x\n    home: https://example.com/charts/chart-%d\n"
                    "    keywords:\n    - bench\n    - generated\n    maintainers:\n    - email: team@example.com\n      name: Team\n"
                    "    name: chart-%d\n    sources:\n    - https://github.com/example/chart-%d\n    type: application\n"
                    "    urls:\n    - app-1.0.0.tgz\n    version: %d.%d.0\n"
                    % (v, v % 9 + 1, c, v, c * 7 + v, c, c, c, v, c % 10))
    f.write("generated: \"2024-01-01T00:00:00Z\"\n")
PY
echo "index.yaml: $(du -m "$W/gs/www/repo/index.yaml" | cut -f1) MiB, $CHARTS charts x $VERSIONS versions"
cs_start
mkdir -p "$W/api" "$W/storage"
"$BIN/eddy-apiserver" --data-dir "$W/api" --listen 127.0.0.1:0 >"$W/api.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$W/api/kubeconfig" ] && break; sleep 0.1; done
for _ in $(seq 100); do k get --raw /readyz >/dev/null 2>&1 && break; sleep 0.1; done
for c in helmrepositories helmcharts gitrepositories; do
	k apply -f "$SRC/config/crd/source.toolkit.fluxcd.io_$c.yaml" >/dev/null
done
"$BIN/source-controller" --kubeconfig "$W/api/kubeconfig" --storage-path "$W/storage" \
	--storage-addr 127.0.0.1:0 --metrics-addr 127.0.0.1:0 --health-addr 0 --concurrent 4 \
	--helm-index-max-size 64MiB --helm-cache-max-size 10 --kube-api-qps 2000 \
	--kube-api-burst 4000 >"$W/sc.log" 2>&1 &
SC=$!
PIDS+=($SC)
sleep 1
echo "source-controller idle: $(hwm $SC) KiB"

t0=$(now)
printf 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: big\n  namespace: default\nspec:\n  url: %s/repo\n  interval: 1h\n' \
	"$CS_URL" | k apply -f - >/dev/null
k wait --for=condition=Ready helmrepository/big --timeout=300s >/dev/null
t1=$(now)
echo "HelmRepository Ready: $(echo "$t1 - $t0" | bc) s (from kubectl apply; download, digest, parse, JSON)," \
	"source-controller peak RSS $(hwm $SC) KiB"

t0=$(now)
for i in $(seq 0 $((N - 1))); do
	printf -- '---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmChart\nmetadata:\n  name: c%d\n  namespace: default\nspec:\n  chart: chart-%d\n  interval: 1h\n  sourceRef: {kind: HelmRepository, name: big}\n' "$i" "$i"
done | k apply -f - >/dev/null
while :; do
	ready=$(k get helmcharts -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c '^True$' || true)
	[ "$ready" -ge "$N" ] && break
	sleep 0.5
done
t1=$(now)
echo "$N HelmCharts Ready: $(echo "$t1 - $t0" | bc) s (from kubectl apply), source-controller peak RSS $(hwm $SC) KiB"
