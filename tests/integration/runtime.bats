#!/usr/bin/env bats
# The kube client and the controller runtime against a real eddy-apiserver:
#  - eddy-kube-check (tests/runtime/kube_check.c): CRUD, typed errors, pagination, selectors,
#    watch order and resume, SSA conflicts and force, dry-run, status subresource, Events, Leases;
#  - eddy-test-controller (tests/runtime/test_controller.c): reconciles 1 000 Widgets, retries
#    failures with backoff, honours reconcile.fluxcd.io/requestedAt within 1 s, survives an
#    eddy-apiserver restart without losing an event, suspend, finalizers, Events, leader
#    election, and a clean shutdown on SIGTERM with the in-flight reconcile finished.

bats_require_minimum_version 1.5.0

KUBECTL=${KUBECTL:-kubectl}

start_apiserver() { # [listen-address]
	local listen=${1:-127.0.0.1:0}
	rm -f "$DATA/kubeconfig"
	"$EDDY_BIN/eddy-apiserver" --data-dir "$DATA" --listen "$listen" \
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
	kill -"$sig" "$pid" 2>/dev/null || true
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -f "$f"
}

k() { "$KUBECTL" --kubeconfig "$DATA/kubeconfig" --cache-dir "$WORK/kcache" "$@"; }

start_controller() { # name [args...]
	local name=$1
	shift
	"$EDDY_BIN/eddy-test-controller" --kubeconfig "$DATA/kubeconfig" "$@" \
		>"$WORK/$name.log" 2>&1 3>&- &
	echo $! >"$WORK/$name.pid"
}

# widgets_json NS -> one JSON list of the widgets
ready_count() { # ns: widgets whose status matches spec and whose Ready is True
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

wait_ready_count() { # ns want timeout-s
	local got=0
	for _ in $(seq $(($3 * 5))); do
		got=$(ready_count "$1")
		[ "$got" -ge "$2" ] && return 0
		sleep 0.2
	done
	echo "only $got of $2 widgets reconciled in $1" >&2
	return 1
}

jget() { # ns name python-expression-on-w
	k get widget -n "$1" "$2" -o json | python3 -c "import json,sys; w=json.load(sys.stdin); print($3)"
}

widget() { # ns name value [extra spec json]
	local fmt='{"apiVersion":"test.eddy.io/v1","kind":"Widget",'
	fmt+='"metadata":{"name":"%s","namespace":"%s"},"spec":{"value":"%s"%s}}\n'
	# shellcheck disable=SC2059
	printf "$fmt" "$2" "$1" "$3" "${4:+,$4}"
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
	start_apiserver
	k apply --validate=false -f "$EDDY_SRC/tests/runtime/crd.yaml" >/dev/null
	k wait --for=condition=Established --timeout=30s crd/widgets.test.eddy.io >/dev/null
	for ns in kc rt ops; do
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
	# keep logs visible on failure
	if [ "${BATS_TEST_COMPLETED:-}" != 1 ] && [ -n "${WORK:-}" ]; then
		for f in "$WORK"/*.log; do
			[ -e "$f" ] || continue
			echo "---- $(basename "$f") (last 40 lines)"
			tail -40 "$f"
		done
	fi
}

@test "kube client: CRUD, errors, paging, selectors, watch resume, SSA, status, events, leases" {
	run "$EDDY_BIN/eddy-kube-check" "$DATA/kubeconfig" kc
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ (^|$'\n')1\.\.[0-9]+ ]]
	[[ "$output" != *"not ok"* ]]
}

@test "runtime: reconciles 1000 objects" {
	# status by server-side apply (kustomize-controller's way); the other controllers below use
	# merge patches (source-controller's way)
	start_controller main --concurrent 4 --status-ssa --qps 400 --burst 800
	python3 - "$WORK/many.json" <<'PY'
import json, sys
items = [{"apiVersion": "test.eddy.io/v1", "kind": "Widget",
          "metadata": {"name": "w-%04d" % i, "namespace": "rt"},
          "spec": {"value": "v%d" % i}} for i in range(1000)]
json.dump({"apiVersion": "v1", "kind": "List", "items": items}, open(sys.argv[1], "w"))
PY
	k create --validate=false -f "$WORK/many.json" >/dev/null
	wait_ready_count rt 1000 120
	# every one has the finalizer and exactly one successful attempt
	run jget rt w-0500 'w["metadata"]["finalizers"], w["status"]["attempts"]'
	[ "$output" = "['test.eddy.io/finalizer'] 1" ]
}

@test "runtime: retries failures with exponential backoff" {
	widget ops flaky v1 '"failTimes":5' | k create --validate=false -f - >/dev/null
	for _ in $(seq 100); do
		[ "$(jget ops flaky 'w.get("status",{}).get("observedValue")')" = v1 ] && break
		sleep 0.1
	done
	run jget ops flaky 'w["status"]["attempts"], w["status"]["retrySpanMs"] >= 5+10+20+40+80'
	[ "$output" = "6 True" ]
	# the delays of the failures were 5, 10, 20, 40, 80 ms
	run grep -c 'Reconciler error, retrying in.*"name":"flaky"' "$WORK/main.log"
	[ "$output" = 5 ]
	for d in 5 10 20 40 80; do
		grep -q "retrying in ${d}ms\".*\"name\":\"flaky\"" "$WORK/main.log"
	done
	# while failing, Ready was False with the error; now it is True
	run jget ops flaky '[c["status"] for c in w["status"]["conditions"] if c["type"]=="Ready"][0]'
	[ "$output" = True ]
}

@test "runtime: honours reconcile.fluxcd.io/requestedAt within 1 s" {
	widget ops poke v1 | k create --validate=false -f - >/dev/null
	for _ in $(seq 100); do
		[ "$(jget ops poke 'w.get("status",{}).get("observedValue")')" = v1 ] && break
		sleep 0.1
	done
	# annotate and poll straight over HTTP (plain-HTTP server, admin kubeconfig), so the
	# measurement is the controller's reaction, not kubectl's start-up time
	server=$(k config view --minify -o jsonpath='{.clusters[0].cluster.server}')
	run python3 - "$server" <<'PY'
import json, sys, time, urllib.request
base = sys.argv[1] + "/apis/test.eddy.io/v1/namespaces/ops/widgets/poke"
token = "t-%d" % time.time_ns()
body = json.dumps({"metadata": {"annotations": {"reconcile.fluxcd.io/requestedAt": token}}})
req = urllib.request.Request(base, data=body.encode(), method="PATCH",
                             headers={"Content-Type": "application/merge-patch+json"})
start = time.monotonic()
urllib.request.urlopen(req).read()
while time.monotonic() - start < 5:
    w = json.load(urllib.request.urlopen(base))
    if (w.get("status") or {}).get("lastHandledReconcileAt") == token:
        print("handled after %dms" % ((time.monotonic() - start) * 1000))
        sys.exit(0)
    time.sleep(0.01)
print("not handled within 5s")
sys.exit(1)
PY
	echo "$output"
	[ "$status" -eq 0 ]
	ms=$(echo "$output" | sed -n 's/handled after \([0-9]*\)ms/\1/p')
	echo "# requestedAt handled after ${ms}ms" >&3
	[ "$ms" -lt 1000 ]
	run jget ops poke 'w["status"]["attempts"]'
	[ "$output" = 2 ]
}

@test "runtime: suspend, finalizers and Events" {
	widget ops quiet v1 '"suspend":true' | k create --validate=false -f - >/dev/null
	widget ops loud v1 '"emitEvent":true' | k create --validate=false -f - >/dev/null
	for _ in $(seq 100); do
		[ "$(jget ops loud 'w.get("status",{}).get("observedValue")')" = v1 ] && break
		sleep 0.1
	done
	k annotate widget -n ops quiet "reconcile.fluxcd.io/requestedAt=q1" >/dev/null
	for _ in $(seq 50); do
		[ "$(k get widget -n ops quiet -o jsonpath='{.status.lastHandledReconcileAt}')" = q1 ] && break
		sleep 0.1
	done
	# suspended: the request is recorded, the reconcile body is skipped
	run jget ops quiet 'w["status"].get("lastHandledReconcileAt"), w["status"].get("observedValue")'
	[ "$output" = "q1 None" ]
	grep -q '"msg":"reconciliation is suspended for this object".*"name":"quiet"' "$WORK/main.log"
	# an Event about the object, from the controller
	run k get events -n ops -o json
	echo "$output" | python3 -c '
import json, sys
evs = [e for e in json.load(sys.stdin)["items"] if e["involvedObject"].get("name") == "loud"]
assert evs, "no event"
e = evs[0]
assert e["reason"] == "ReconciliationSucceeded" and e["type"] == "Normal", e
assert e["source"]["component"] == "test-controller", e
assert e["involvedObject"]["kind"] == "Widget", e
assert e["metadata"]["annotations"]["test.eddy.io/revision"] == "v1", e
'
	# deletion runs the finalizer, then the object goes away
	k delete widget -n ops loud --wait=false >/dev/null
	for _ in $(seq 100); do
		k get widget -n ops loud >/dev/null 2>&1 || break
		sleep 0.1
	done
	run k get widget -n ops loud
	[ "$status" -ne 0 ]
	grep -q '^finalize ops/loud$' "$WORK/main.log"
}

@test "runtime: informer indexes and resync" {
	printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: idx}\n' |
		k apply --validate=false -f - >/dev/null
	start_controller idx --namespace idx --resync-ms 300 --name idx-controller
	for n in a b c; do widget idx "$n" shared | k create --validate=false -f - >/dev/null; done
	widget idx d alone | k create --validate=false -f - >/dev/null
	# the first reconciles may see fewer peers; resync brings every one to the final count
	for _ in $(seq 100); do
		got=$(k get widgets -n idx -o json | python3 -c '
import json, sys
print(" ".join("%s=%s" % (w["metadata"]["name"], (w.get("status") or {}).get("sameValue"))
               for w in json.load(sys.stdin)["items"]))')
		[ "$got" = "a=3 b=3 c=3 d=1" ] && break
		sleep 0.1
	done
	echo "$got"
	[ "$got" = "a=3 b=3 c=3 d=1" ]
	# resync re-runs reconciles with no change to the objects
	n1=$(grep -c '^reconcile start idx/d$' "$WORK/idx.log")
	sleep 1
	n2=$(grep -c '^reconcile start idx/d$' "$WORK/idx.log")
	[ "$n2" -gt "$n1" ]
	# the namespace restriction holds: nothing from other namespaces
	! grep -q '^reconcile start rt/' "$WORK/idx.log"
	# the index follows updates
	k patch widget -n idx c --type merge -p '{"spec":{"value":"alone"}}' >/dev/null
	for _ in $(seq 100); do
		got=$(jget idx d 'w["status"]["sameValue"]')
		[ "$got" = 2 ] && break
		sleep 0.1
	done
	[ "$got" = 2 ]
	stop_pidfile "$WORK/idx.pid" TERM
}

@test "runtime: survives an eddy-apiserver restart without losing an event" {
	server=$(k config view --minify -o jsonpath='{.clusters[0].cluster.server}')
	addr=${server#*://}
	pid=$(cat "$WORK/main.pid")
	# changes made just before the server dies
	for i in $(seq 0 19); do
		n=$(printf 'w-%04d' "$i")
		k patch widget -n rt "$n" --type merge -p '{"spec":{"value":"before"}}' >/dev/null
	done
	stop_pidfile "$WORK/apiserver.pid" KILL
	sleep 1
	start_apiserver "$addr"
	# changes after the restart: updates, creates and deletes
	for i in $(seq 20 39); do
		n=$(printf 'w-%04d' "$i")
		k patch widget -n rt "$n" --type merge -p '{"spec":{"value":"after"}}' >/dev/null
	done
	for i in 1 2 3 4 5; do widget rt "new-$i" "n$i" | k create --validate=false -f - >/dev/null; done
	k delete widget -n rt w-0998 w-0999 --wait=false >/dev/null
	wait_ready_count rt 1003 60
	for _ in $(seq 100); do
		[ "$(k get widgets -n rt --no-headers | wc -l)" -eq 1003 ] && break
		sleep 0.1
	done
	[ "$(k get widgets -n rt --no-headers | wc -l)" -eq 1003 ]
	run jget rt w-0005 'w["status"]["observedValue"]'
	[ "$output" = before ]
	run jget rt w-0025 'w["status"]["observedValue"]'
	[ "$output" = after ]
	# the same controller process did it, and it saw the connection drop
	[ "$(cat "$WORK/main.pid")" = "$pid" ]
	kill -0 "$pid"
	grep -q 'watch of Widget failed, retrying' "$WORK/main.log"
}

@test "runtime: leader election hands over on SIGTERM" {
	stop_pidfile "$WORK/main.pid" TERM
	start_controller le1 --leader-election --name le-test
	for _ in $(seq 100); do
		grep -q 'successfully acquired lease' "$WORK/le1.log" && break
		sleep 0.1
	done
	grep -q 'successfully acquired lease' "$WORK/le1.log"
	start_controller le2 --leader-election --name le-test
	sleep 2
	! grep -q 'successfully acquired lease' "$WORK/le2.log"
	widget ops led1 v1 | k create --validate=false -f - >/dev/null
	for _ in $(seq 100); do
		[ "$(jget ops led1 'w.get("status",{}).get("observedValue")')" = v1 ] && break
		sleep 0.1
	done
	grep -q 'reconcile done ops/led1' "$WORK/le1.log"
	! grep -q 'reconcile start ops/led1' "$WORK/le2.log"
	# the leader releases the lease on shutdown; the other takes over well before expiry
	pid1=$(cat "$WORK/le1.pid")
	kill -TERM "$pid1"
	rc=0
	wait "$pid1" || rc=$?
	rm -f "$WORK/le1.pid"
	[ "$rc" -eq 0 ]
	for _ in $(seq 100); do
		grep -q 'successfully acquired lease' "$WORK/le2.log" && break
		sleep 0.1
	done
	grep -q 'successfully acquired lease' "$WORK/le2.log"
	widget ops led2 v2 | k create --validate=false -f - >/dev/null
	for _ in $(seq 100); do
		[ "$(jget ops led2 'w.get("status",{}).get("observedValue")')" = v2 ] && break
		sleep 0.1
	done
	grep -q 'reconcile done ops/led2' "$WORK/le2.log"
	pid2=$(cat "$WORK/le2.pid")
	kill -TERM "$pid2"
	rc=0
	wait "$pid2" || rc=$?
	rm -f "$WORK/le2.pid"
	[ "$rc" -eq 0 ]
	run k get lease -n default le-test-leader-election -o jsonpath='{.spec.holderIdentity}'
	[ "$output" = "" ]
}

@test "runtime under eddy/app.h: Flux flags, probes, metrics, one namespace, SIGTERM" {
	printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: apptest}\n' |
		k apply --validate=false -f - >/dev/null
	RUNTIME_NAMESPACE=apptest "$EDDY_BIN/eddy-test-app-controller" \
		--kubeconfig "$DATA/kubeconfig" --health-addr 127.0.0.1:0 --metrics-addr 127.0.0.1:0 \
		--watch-all-namespaces=false --kube-api-qps 400 --kube-api-burst 800 \
		--min-retry-delay 20ms --concurrent 2 --log-level debug \
		>"$WORK/app.log" 2>&1 3>&- &
	pid=$!
	echo $pid >"$WORK/app.pid"
	for _ in $(seq 100); do
		grep -q '"starting health probes server"' "$WORK/app.log" && break
		sleep 0.05
	done
	port() { # message
		grep "\"msg\":\"$1\"" "$WORK/app.log" |
			python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["port"])'
	}
	mport=$(port "serving metrics server")
	hport=$(port "starting health probes server")
	widget apptest a1 v1 '"failTimes":2' | k create --validate=false -f - >/dev/null
	widget ops outside v1 | k create --validate=false -f - >/dev/null
	for _ in $(seq 100); do
		[ "$(jget apptest a1 'w.get("status",{}).get("observedValue")')" = v1 ] && break
		sleep 0.1
	done
	[ "$(jget apptest a1 'w["status"]["attempts"]')" = 3 ]
	# --min-retry-delay is the first backoff step
	grep -q 'retrying in 20ms".*"name":"a1"' "$WORK/app.log"
	grep -q 'retrying in 40ms".*"name":"a1"' "$WORK/app.log"
	# --watch-all-namespaces=false: only $RUNTIME_NAMESPACE
	! grep -q 'reconcile start ops/outside' "$WORK/app.log"
	run curl -sf "http://127.0.0.1:$hport/readyz"
	[ "$status" -eq 0 ]
	run curl -sf "http://127.0.0.1:$mport/metrics"
	[ "$status" -eq 0 ]
	m=$output
	grep -q '^gotk_reconcile_duration_seconds_count{kind="Widget",name="a1",namespace="apptest"} 3$' \
		<<<"$m"
	grep -q '^controller_runtime_reconcile_total{controller="widget",result="error"} 2$' <<<"$m"
	grep -q '^controller_runtime_reconcile_total{controller="widget",result="success"} 1$' <<<"$m"
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	rm -f "$WORK/app.pid"
	[ "$rc" -eq 0 ]
	grep -q '"msg":"stopped all controllers"' "$WORK/app.log"
}

@test "runtime: shuts down cleanly on SIGTERM, finishing the in-flight reconcile" {
	# embedded mode: the manager on a loop the program owns (as under eddy/app.h)
	start_controller term --concurrent 2 --embedded
	widget ops slow v1 '"sleepMs":1500' | k create --validate=false -f - >/dev/null
	for _ in $(seq 100); do
		grep -q '^reconcile start ops/slow$' "$WORK/term.log" && break
		sleep 0.05
	done
	grep -q '^reconcile start ops/slow$' "$WORK/term.log"
	pid=$(cat "$WORK/term.pid")
	start=$(date +%s%N)
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
	rm -f "$WORK/term.pid"
	echo "exit $rc after ${elapsed}ms"
	[ "$rc" -eq 0 ]
	[ "$elapsed" -lt 5000 ]
	grep -q 'test controller stopped cleanly' "$WORK/term.log"
	grep -q 'embedded: loop closed (clean), done=1' "$WORK/term.log"
	grep -q '^reconcile done ops/slow$' "$WORK/term.log"
	# the in-flight reconcile wrote its status before the process ended
	run jget ops slow 'w["status"]["observedValue"]'
	[ "$output" = v1 ]
}
