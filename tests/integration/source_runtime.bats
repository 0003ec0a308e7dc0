#!/usr/bin/env bats
# source-controller on the shared runtime start-up (rt_app_start), as the other controllers:
# --watch-all-namespaces=false watches only $RUNTIME_NAMESPACE, --watch-label-selector filters
# the GitRepositories it reconciles, and the metrics name the kind (gotk_* kind="GitRepository",
# controller_runtime_* controller="gitrepository"). Real servers: lighttpd + git http-backend
# (tests/lib/gitserver.bash), eddy-apiserver.

bats_require_minimum_version 1.5.0

: "${KUBECTL:=kubectl}"

setup_file() {
	export W="$BATS_FILE_TMPDIR/w"
	mkdir -p "$W"
	source "$EDDY_SRC/tests/lib/gitserver.bash"
	gs_setup "$W/gs"
	gs_start_http
	export HTTP_URL=$GS_HTTP_URL
	echo "${GS_PIDS[*]}" >"$W/gs.pids"
	gs_repo app
	gs_commit app deploy/app.yaml "kind: ConfigMap" "first commit"
	mkdir -p "$W/api"
	"$EDDY_BIN/eddy-apiserver" --data-dir "$W/api" --listen 127.0.0.1:0 >"$W/api.log" 2>&1 &
	echo $! >"$W/api.pid"
	for _ in $(seq 100); do [ -s "$W/api/kubeconfig" ] && break; sleep 0.1; done
	export KUBECONFIG="$W/api/kubeconfig" KUBECACHEDIR="$W/kcache"
	for _ in $(seq 100); do "$KUBECTL" get --raw /readyz >/dev/null 2>&1 && break; sleep 0.1; done
	"$KUBECTL" apply -f "$EDDY_SRC/config/crd/source.toolkit.fluxcd.io_gitrepositories.yaml" >/dev/null
	local ns
	for ns in flux-system other labels; do
		printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n' "$ns" |
			"$KUBECTL" apply -f - >/dev/null
	done
}

teardown_file() {
	local n p
	for n in ns sel; do stop_sc $n; done
	for p in $(cat "$W/gs.pids") $(cat "$W/api.pid"); do kill "$p" 2>/dev/null || true; done
	for p in $(cat "$W/gs.pids") $(cat "$W/api.pid"); do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	done
}

# start_sc NAME [flags...]: a source-controller with its own storage, logging to $W/NAME.log
start_sc() {
	local name=$1; shift
	mkdir -p "$W/storage-$name"
	LSAN_OPTIONS="suppressions=$EDDY_SRC/tests/lib/lsan-libgit2.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}" \
	"$EDDY_BIN/source-controller" --kubeconfig "$W/api/kubeconfig" \
		--storage-path "$W/storage-$name" --storage-addr 127.0.0.1:0 \
		--metrics-addr 127.0.0.1:0 --health-addr 0 --min-retry-delay 300ms "$@" \
		>>"$W/$name.log" 2>&1 &
	echo $! >"$W/$name.pid"
}

# stop_sc NAME: SIGTERM, and the exit status must be 0
stop_sc() {
	local pid; pid=$(cat "$W/$1.pid" 2>/dev/null) || return 0
	rm -f "$W/$1.pid"
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	! kill -0 "$pid" 2>/dev/null
	grep -q '"msg":"stopped","status":0' "$W/$1.log"
}

k() { "$KUBECTL" "$@"; }

gitrepo() { # namespace name [labels yaml]
	{
		printf 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n'
		printf 'metadata:\n  name: %s\n  namespace: %s\n' "$2" "$1"
		[ -n "${3:-}" ] && printf '  labels: %s\n' "$3"
		printf 'spec:\n  url: %s/app.git\n  interval: 1h\n  ref: {branch: main}\n' "$HTTP_URL"
	} | k apply -f - >/dev/null
}

ready() { # namespace name
	k get gitrepository -n "$1" "$2" \
		-o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null
}

wait_ready() { # namespace name
	for _ in $(seq 150); do [ "$(ready "$1" "$2")" = True ] && return 0; sleep 0.1; done
	echo "$1/$2 not Ready: $(k get gitrepository -n "$1" "$2" -o yaml)" >&2
	return 1
}

# untouched NAMESPACE NAME: no conditions and no finalizer, so no reconcile ever saw it
untouched() {
	[ -z "$(k get gitrepository -n "$1" "$2" -o jsonpath='{.status.conditions}')" ]
	[ -z "$(k get gitrepository -n "$1" "$2" -o jsonpath='{.metadata.finalizers}')" ]
}

metrics() { # NAME: the controller's /metrics
	local port
	port=$(grep 'serving metrics server' "$W/$1.log" | tail -1 | grep -o '"port":[0-9]*' |
		cut -d: -f2)
	curl -sf "http://127.0.0.1:$port/metrics"
}

@test "--watch-all-namespaces=false: only \$RUNTIME_NAMESPACE's GitRepositories are reconciled" {
	gitrepo other outside
	gitrepo flux-system inside
	RUNTIME_NAMESPACE=flux-system start_sc ns --watch-all-namespaces=false
	wait_ready flux-system inside
	# give the other namespace's object every chance to be (wrongly) picked up
	sleep 1
	untouched other outside
	# a change there is not seen either
	k annotate gitrepository -n other outside reconcile.fluxcd.io/requestedAt=now >/dev/null
	sleep 1
	untouched other outside
	! grep -q '"namespace":"other"' "$W/ns.log"
	stop_sc ns
}

@test "--watch-label-selector: only matching GitRepositories are reconciled" {
	gitrepo labels team-a '{team: a}'
	gitrepo labels team-b '{team: b}'
	gitrepo labels nolabel
	start_sc sel --watch-label-selector team=a
	wait_ready labels team-a
	sleep 1
	untouched labels team-b
	untouched labels nolabel
	# relabelled into the selection, it is reconciled
	k label gitrepository -n labels team-b team=a --overwrite >/dev/null
	wait_ready labels team-b
	untouched labels nolabel
}

@test "metrics name the kind: gotk_reconcile_duration_seconds{kind=\"GitRepository\"}, controller=\"gitrepository\"" {
	local m
	m=$(metrics sel)
	grep -q '^gotk_reconcile_duration_seconds_count{kind="GitRepository",name="team-a",namespace="labels"} [1-9]' <<<"$m"
	grep -q '^gotk_reconcile_duration_seconds_bucket{kind="GitRepository",name="team-a",namespace="labels",le="+Inf"} [1-9]' <<<"$m"
	grep -q '^controller_runtime_reconcile_total{controller="gitrepository",result="success"} [1-9]' <<<"$m"
	grep -q '^controller_runtime_reconcile_time_seconds_count{controller="gitrepository"} [1-9]' <<<"$m"
	# nothing recorded for an object outside the selection
	! grep -q 'name="nolabel"' <<<"$m"
	stop_sc sel
}
