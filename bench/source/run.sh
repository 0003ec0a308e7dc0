#!/usr/bin/env bash
# Benchmark of source-controller (not a test; run by hand):
#  1. 100 GitRepositories against a local git http-backend: time until all are Ready, and the
#     peak RSS (VmHWM) of source-controller;
#  2. a repository of 10 000 files: time from creating the GitRepository to Ready (ls-remote,
#     fetch, checkout, deterministic pack, store) against `git clone --depth 1` + `tar czf` of the
#     same tree from the same server, as a ratio measured in this run.
# Usage: bash bench/source/run.sh [BUILD_DIR]   (default: build). Needs lighttpd and git.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${1:-$SRC/build}/bin
KUBECTL=${KUBECTL:-$SRC/.tools/bin/kubectl}
N=${N:-100}
FILES=${FILES:-10000}
W=$(mktemp -d /tmp/eddy-bench-source.XXXXXX)
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

gs_start_http
gs_repo small
gs_commit small deploy/app.yaml "kind: ConfigMap" "one"
gs_repo big
python3 - "$W/gs/work/big" "$FILES" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, "dir%03d" % (i % 100))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "file%05d.yaml" % i), "w") as f:
        f.write("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%d\ndata:\n  k: \"%s\"\n" % (i, "x" * (i % 200)))
PY
gs_git big add -A && gs_git big commit -qm big && gs_git big push -q origin HEAD 2>/dev/null

mkdir -p "$W/api" "$W/storage"
"$BIN/eddy-apiserver" --data-dir "$W/api" --listen 127.0.0.1:0 >"$W/api.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$W/api/kubeconfig" ] && break; sleep 0.1; done
for _ in $(seq 100); do k get --raw /readyz >/dev/null 2>&1 && break; sleep 0.1; done
k apply -f "$SRC/config/crd/source.toolkit.fluxcd.io_gitrepositories.yaml" >/dev/null
"$BIN/source-controller" --kubeconfig "$W/api/kubeconfig" --storage-path "$W/storage" \
	--storage-addr 127.0.0.1:0 --metrics-addr 127.0.0.1:0 --health-addr 0 --concurrent 4 \
	>"$W/sc.log" 2>&1 &
SC=$!
PIDS+=($SC)

count_ready() {
	k get gitrepositories -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c '^True$' || true
}

# 1. N objects
for i in $(seq 1 "$N"); do
	printf -- '---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: repo-%d, namespace: default}\nspec: {url: "%s/small.git", interval: 10m, ref: {branch: main}}\n' "$i" "$GS_HTTP_URL"
done >"$W/objs.yaml"
t0=$(now)
k apply -f "$W/objs.yaml" >/dev/null
while [ "$(count_ready)" -lt "$N" ]; do sleep 0.2; done
t1=$(now)
rss=$(awk '/VmHWM/{print $2}' "/proc/$SC/status")
printf '%d GitRepositories Ready in %.2f s; source-controller peak RSS %d KiB\n' "$N" \
	"$(echo "$t1 - $t0" | bc)" "$rss"

# 2. 10 000 files: eddy vs git clone --depth 1 + tar czf
t0=$(now)
printf 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: big, namespace: default}\nspec: {url: "%s/big.git", interval: 10m, ref: {branch: main}}\n' "$GS_HTTP_URL" | k apply -f - >/dev/null
until [ "$(k get gitrepository big -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]; do sleep 0.05; done
t1=$(now)
eddy=$(echo "$t1 - $t0" | bc)
t0=$(now)
git clone -q --depth 1 "$GS_HTTP_URL/big.git" "$W/clone"
tar czf "$W/clone.tgz" -C "$W/clone" --exclude=.git .
t1=$(now)
ref=$(echo "$t1 - $t0" | bc)
size=$(k get gitrepository big -o jsonpath='{.status.artifact.size}')
mport=$(grep 'serving metrics server' "$W/sc.log" | grep -o '"port":[0-9]*' | cut -d: -f2)
# the reconcile itself (fetch, checkout, pack, store, status patch), from the duration metric
rec=$(curl -sf "http://127.0.0.1:$mport/metrics" | awk '/^gotk_reconcile_duration_seconds_sum/ && /name="big"/ {s += $2} END {print s + 0}')
printf '%d-file repository: eddy end-to-end %.2f s (kubectl apply + polling included), reconcile %.2f s (artifact %d bytes); git clone --depth 1 + tar czf %.2f s (%d bytes)\n' \
	"$FILES" "$eddy" "$rec" "$size" "$ref" "$(stat -c %s "$W/clone.tgz")"
printf 'ratio eddy reconcile / reference: %.2f (end-to-end: %.2f)\n' "$(echo "$rec / $ref" | bc -l)" "$(echo "$eddy / $ref" | bc -l)"
