#!/usr/bin/env bats
# The kube client and the runtime against eddy-apiserver with TLS, client certificates, RBAC and
# aggressive compaction (5 revisions kept, compacted every second):
#  - eddy-kube-check with the 410 and RBAC/impersonation checks on;
#  - an informer whose watch resumes from a compacted resourceVersion gets 410, relists and
#    reconciles every change it missed (updates, creates, deletions with finalizers).

bats_require_minimum_version 1.5.0

KUBECTL=${KUBECTL:-kubectl}

k() { "$KUBECTL" --kubeconfig "$DATA/kubeconfig" --cache-dir "$WORK/kcache" "$@"; }

start_apiserver() { # [listen-address]
	local listen=${1:-127.0.0.1:0}
	rm -f "$DATA/kubeconfig"
	"$EDDY_BIN/eddy-apiserver" --data-dir "$DATA" --listen "$listen" --tls \
		--token-auth-file "$WORK/tokens.csv" \
		--compact-interval 1 --compact-retain 5 --compact-min-age 0 \
		>>"$WORK/apiserver.log" 2>&1 3>&- &
	echo $! >"$WORK/apiserver.pid"
	local deadline=$((SECONDS + 60))
	while [ "$SECONDS" -lt "$deadline" ]; do
		if [ -s "$DATA/kubeconfig" ] && k get --raw /readyz >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.05
	done
	echo "eddy-apiserver did not become ready" >&2
	cat "$WORK/apiserver.log" >&2
	return 1
}

stop_pidfile() { # file [signal]
	local f=$1 sig=${2:-TERM}
	[ -f "$f" ] || return 0
	local pid
	pid=$(cat "$f")
	kill -CONT "$pid" 2>/dev/null || true
	kill -"$sig" "$pid" 2>/dev/null || true
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -f "$f"
}

widget() { # name value: a Widget in namespace rt as JSON
	printf '{"apiVersion":"test.eddy.io/v1","kind":"Widget","metadata":%s,"spec":%s}\n' \
		"{\"name\":\"$1\",\"namespace\":\"rt\"}" "{\"value\":\"$2\"}"
}

ready_count() { # ns
	k get widgets -n "$1" -o json | python3 -c '
import json, sys
n = 0
for w in json.load(sys.stdin)["items"]:
    st = w.get("status") or {}
    ready = [c for c in st.get("conditions", []) if c["type"] == "Ready" and c["status"] == "True"]
    if ready and st.get("observedValue") == w["spec"].get("value") and \
       st.get("observedGeneration") == w["metadata"].get("generation"):
        n += 1
print(n)'
}

setup_file() {
	if [ ! -x "${EDDY_BIN:-}/eddy-apiserver" ]; then
		echo "EDDY_BIN must name the build's bin directory (run through ctest)" >&2
		return 1
	fi
	export WORK DATA
	WORK=$(mktemp -d)
	DATA="$WORK/data"
	mkdir -p "$DATA" "$WORK/kcache"
	{
		echo 'admin-token-0123456789,tok-admin,1,"system:masters"'
		echo 'viewer-token-0123456789,tok-viewer,2'
	} >"$WORK/tokens.csv"
	start_apiserver
	k apply --validate=false -f "$EDDY_SRC/tests/runtime/crd.yaml" >/dev/null
	k wait --for=condition=Established --timeout=30s crd/widgets.test.eddy.io >/dev/null
	for ns in kc rt; do
		printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n' "$ns" |
			k apply --validate=false -f - >/dev/null
	done
}

teardown_file() {
	if [ -z "${WORK:-}" ]; then return 0; fi
	for f in "$WORK"/*.pid; do
		[ -e "$f" ] && stop_pidfile "$f" KILL
	done
	rm -rf "$WORK"
}

teardown() {
	if [ "${BATS_TEST_COMPLETED:-}" != 1 ] && [ -n "${WORK:-}" ]; then
		for f in "$WORK"/*.log; do
			[ -e "$f" ] || continue
			echo "---- $(basename "$f") (last 40 lines)"
			tail -40 "$f"
		done
	fi
}

@test "kube client over TLS with client certificates: 410 after compaction, RBAC impersonation" {
	grep -q 'client-certificate-data' "$DATA/kubeconfig"
	grep -q 'server: https://' "$DATA/kubeconfig"
	# make sure revision 1 is compacted away
	for i in $(seq 10); do
		printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: filler-%s, namespace: kc}\n' "$i" |
			k apply --validate=false -f - >/dev/null
	done
	sleep 2
	EXPECT_COMPACTED=1 EXPECT_RBAC=1 run "$EDDY_BIN/eddy-kube-check" "$DATA/kubeconfig" kc
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"ok 28 - watch from a compacted resourceVersion is Gone (410)"* ]]
	[[ "$output" == *"is Forbidden to delete"* ]]
	[[ "$output" != *"not ok"* ]]
}

@test "kube client config: bearer token, tokenFile, insecure-skip-tls-verify, CA checks" {
	server=$(k config view --minify -o jsonpath='{.clusters[0].cluster.server}')
	ca=$(k config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority-data}')
	echo "$ca" | base64 -d >"$WORK/ca.pem"
	printf 'admin-token-0123456789\n' >"$WORK/tokfile"
	cat >"$WORK/kc-variants" <<KC
apiVersion: v1
kind: Config
current-context: token-insecure
clusters:
- name: insecure
  cluster: {server: "$server", insecure-skip-tls-verify: true}
- name: ca-file
  cluster: {server: "$server", certificate-authority: ca.pem}
- name: no-ca
  cluster: {server: "$server"}
users:
- name: admin-token
  user: {token: admin-token-0123456789}
- name: admin-tokenfile
  user: {tokenFile: tokfile}
- name: viewer
  user: {token: viewer-token-0123456789}
- name: wrong
  user: {token: not-a-valid-token}
contexts:
- name: token-insecure
  context: {cluster: insecure, user: admin-token}
- name: tokenfile-ca
  context: {cluster: ca-file, user: admin-tokenfile}
- name: viewer
  context: {cluster: ca-file, user: viewer}
- name: wrong
  context: {cluster: ca-file, user: wrong}
- name: no-ca
  context: {cluster: no-ca, user: admin-token}
KC
	probe() { "$EDDY_BIN/eddy-kube-check" --probe "$WORK/kc-variants" "$1"; }
	run probe token-insecure
	echo "$output"
	[[ "$output" == "OK "* ]]
	run probe tokenfile-ca
	echo "$output"
	[[ "$output" == "OK "* ]]
	run probe viewer
	echo "$output"
	[[ "$output" == "Forbidden "* ]]
	run probe wrong
	echo "$output"
	[[ "$output" == "Unauthorized "* ]]
	# the server's certificate is not trusted without its CA
	run probe no-ca
	echo "$output"
	[[ "$output" == "Transport "* ]]
	[[ "$output" != *admin-token-0123456789* ]]
}

@test "runtime: a watch resumed from a compacted resourceVersion relists and misses nothing" {
	"$EDDY_BIN/eddy-test-controller" --kubeconfig "$DATA/kubeconfig" --qps 400 --burst 800 \
		>"$WORK/ctl.log" 2>&1 3>&- &
	echo $! >"$WORK/ctl.pid"
	pid=$(cat "$WORK/ctl.pid")
	for i in $(seq 1 20); do
		widget "w$i" a
	done >"$WORK/w.json"
	k create --validate=false -f "$WORK/w.json" >/dev/null
	for _ in $(seq 150); do
		[ "$(ready_count rt)" -eq 20 ] && break
		sleep 0.2
	done
	[ "$(ready_count rt)" -eq 20 ]
	server=$(k config view --minify -o jsonpath='{.clusters[0].cluster.server}')
	addr=${server#*://}
	# freeze the controller, restart the server, change things and let compaction run
	oldrv=$(k get --raw /apis/test.eddy.io/v1/namespaces/rt/widgets |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"]["resourceVersion"])')
	[ -n "$oldrv" ]
	kill -STOP "$pid"
	stop_pidfile "$WORK/apiserver.pid" KILL
	start_apiserver "$addr"
	for i in $(seq 1 10); do
		k patch widget -n rt "w$i" --type merge -p '{"spec":{"value":"b"}}' >/dev/null
	done
	widget late c | k create --validate=false -f - >/dev/null
	k delete widget -n rt w19 w20 --wait=false >/dev/null
	# until a watch from the controller's era is answered with 410
	gone=0
	for _ in $(seq 60); do
		q="watch=true&resourceVersion=$oldrv&timeoutSeconds=1"
		out=$(k get --raw "/apis/test.eddy.io/v1/namespaces/rt/widgets?$q" 2>&1 || true)
		case $out in *'"reason":"Expired"'*|*"too old resource version"*) gone=1; break ;; esac
		sleep 0.5
	done
	[ "$gone" = 1 ]
	kill -CONT "$pid"
	for _ in $(seq 150); do
		[ "$(ready_count rt)" -eq 19 ] && [ "$(k get widgets -n rt --no-headers | wc -l)" -eq 19 ] &&
			break
		sleep 0.2
	done
	[ "$(ready_count rt)" -eq 19 ]
	[ "$(k get widgets -n rt --no-headers | wc -l)" -eq 19 ]
	grep -q 'watch of Widget expired, relisting' "$WORK/ctl.log"
	grep -q '^finalize rt/w20$' "$WORK/ctl.log"
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	rm -f "$WORK/ctl.pid"
	[ "$rc" -eq 0 ]
}
