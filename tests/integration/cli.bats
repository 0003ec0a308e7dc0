#!/usr/bin/env bats
# The eddy CLI (get, suspend, resume, reconcile, events, check, tree, trace) against
# eddy-apiserver with the Flux CRDs, objects created by kubectl and their status patched by
# the test to play the controllers.

load apiserver_common

bats_require_minimum_version 1.5.0

setup_file() {
	export WORK="$BATS_FILE_TMPDIR/work"
	mkdir -p "$WORK"
	start_apiserver "$WORK/data"
	echo "$APISERVER_PID" >"$WORK/pid"
	k apply --server-side -f "$EDDY_SRC/config/crd/" >/dev/null
	k create namespace flux-system >/dev/null
	k create namespace apps >/dev/null
	k apply -f - >/dev/null <<'EOF'
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: repo, namespace: flux-system}
spec: {url: "https://example.com/repo.git", interval: 1m, ref: {branch: main}}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: app, namespace: flux-system}
spec: {interval: 5m, path: ./, prune: true, sourceRef: {kind: GitRepository, name: repo}}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: other, namespace: apps}
spec: {interval: 5m, path: ./, prune: true, sourceRef: {kind: GitRepository, name: repo,
  namespace: flux-system}}
EOF
	k -n flux-system patch gitrepository repo --subresource=status --type=merge -p '{"status":{
	  "artifact":{"revision":"main@sha1:1111","path":"p","url":"http://x/a.tar.gz",
	  "lastUpdateTime":"2026-01-01T00:00:00Z","digest":"sha256:00"},
	  "conditions":[{"type":"Ready","status":"True","reason":"Succeeded",
	  "message":"stored artifact for revision main@sha1:1111",
	  "lastTransitionTime":"2026-01-01T00:00:00Z"}]}}' >/dev/null
}

teardown_file() {
	APISERVER_PID=$(cat "$WORK/pid")
	stop_apiserver
}

eddy() { "$EDDY_BIN/eddy" "$@"; }

requested_at() {
	k -n "$1" get "$2" "$3" -o jsonpath='{.metadata.annotations.reconcile\.fluxcd\.io/requestedAt}'
}

# play_controller NS RESOURCE NAME READY REVISION: in the background, wait until the
# requestedAt annotation changes from what it is now, then report it handled with Ready=READY.
play_controller() {
	local old
	old=$(requested_at "$1" "$2" "$3")
	play_bg "$@" "$old" 3>&- &
}

play_bg() {
	local ns=$1 res=$2 name=$3 ready=$4 rev=$5 old=$6 ts i gen
	for i in $(seq 1 300); do
		ts=$(requested_at "$ns" "$res" "$name")
		if [ -n "$ts" ] && [ "$ts" != "$old" ]; then
			gen=$(k -n "$ns" get "$res" "$name" -o jsonpath='{.metadata.generation}')
			k -n "$ns" patch "$res" "$name" --subresource=status --type=merge -p "{
			  \"status\":{\"lastHandledReconcileAt\":\"$ts\",\"observedGeneration\":$gen,
			  \"lastAppliedRevision\":\"$rev\",\"artifact\":{\"revision\":\"$rev\",
			  \"path\":\"p\",\"url\":\"http://x/a.tar.gz\",\"digest\":\"sha256:00\",
			  \"lastUpdateTime\":\"2026-01-01T00:00:00Z\"},
			  \"conditions\":[{\"type\":\"Ready\",\"status\":\"$ready\",\"reason\":\"X\",
			  \"message\":\"Applied revision: $rev\",
			  \"lastTransitionTime\":\"2026-01-01T00:00:00Z\"}]}}" >/dev/null
			return 0
		fi
		sleep 0.1
	done
	return 1
}

@test "get: Flux's table, kind short forms, flags before or after the command" {
	run --separate-stderr eddy get sources git
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^NAME\ {3}REVISION\ +SUSPENDED\ {3}READY\ {3}MESSAGE$ ]]
	[[ "${lines[1]}" =~ ^repo\ +main@sha1:1111\ +False\ +True\ +stored\ artifact ]]
	run --separate-stderr eddy get gitrepositories
	[[ "${lines[1]}" == repo* ]]
	run --separate-stderr eddy -n flux-system get gitrepo repo
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == repo* ]]
	run --separate-stderr eddy get ks
	[[ "${lines[0]}" == "NAME"*"REVISION"*"SUSPENDED"*"READY"*"MESSAGE" ]]
	[[ "${lines[1]}" =~ ^app\ +False\ +False\ +waiting\ to\ be\ reconciled$ ]]
	run --separate-stderr eddy get kustomizations -A
	[[ "${lines[0]}" == "NAMESPACE"*"NAME"*"REVISION"* ]]
	[[ "$output" == *"apps "*"other "* ]]
	[[ "$output" == *"flux-system "*"app "* ]]
	run --separate-stderr eddy get kustomization --namespace apps
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[1]}" == other* ]]
}

@test "get all, -o json and yaml" {
	run --separate-stderr eddy get all
	[ "$status" -eq 0 ]
	[[ "$output" == *"gitrepository/repo"*"kustomization/app"* ]]
	run --separate-stderr eddy get ks app -o json
	[ "$status" -eq 0 ]
	echo "$output" | python3 -c 'import json,sys; d=json.load(sys.stdin); \
		assert d["kind"]=="Kustomization" and d["metadata"]["name"]=="app"'
	run --separate-stderr eddy get all -A -o json
	echo "$output" | python3 -c 'import json,sys; d=json.load(sys.stdin); \
		assert len(d["items"])==3, d'
	run --separate-stderr eddy get source git repo -o yaml
	[[ "$output" == *"kind: GitRepository"* ]]
	run --separate-stderr eddy get all -A --status-selector ready=true
	[ "$status" -eq 0 ]
	[[ "$output" == *"gitrepository/repo"* && "$output" != *kustomization/* ]]
	run --separate-stderr eddy get ks --status-selector Ready=True
	[[ "$stderr" == *"no Kustomization objects found"* ]]
	run --separate-stderr eddy get ks --status-selector bad
	[ "$status" -eq 1 ]
}

@test "get: errors say what to do and exit non-zero" {
	run --separate-stderr eddy get ks nope
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"Kustomization nope not found in flux-system namespace"*"eddy get"* ]]
	run --separate-stderr eddy get frobs
	[ "$status" -eq 1 ]
	[[ "$stderr" == *'unknown kind "frobs"'* ]]
	run --separate-stderr eddy get ks --bogus
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"unknown flag: --bogus"* ]]
	run --separate-stderr eddy get hr
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"no HelmRelease objects found in flux-system namespace"* ]]
	run --separate-stderr eddy get ks -o xml
	[ "$status" -eq 1 ]
	run --separate-stderr eddy --kubeconfig "$WORK/none" get ks
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"kubeconfig"* ]]
	# a server that does not answer
	sed "s#server: .*#server: http://127.0.0.1:1#" "$KUBECONFIG" >"$WORK/dead"
	run --separate-stderr eddy get ks --kubeconfig "$WORK/dead"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"cannot reach the API server"* ]]
	# colour on a terminal only
	if command -v script >/dev/null; then
		run script -qec "$EDDY_BIN/eddy get ks --kubeconfig $WORK/none" /dev/null
		[ "$status" -eq 1 ]
		[[ "$output" == *$'\033[31m✗\033[0m cannot load the kubeconfig'* ]]
		NO_COLOR=1 run script -qec "$EDDY_BIN/eddy get ks --kubeconfig $WORK/none" /dev/null
		[[ "$output" != *$'\033'* ]]
	fi
}

@test "suspend and resume change spec.suspend with flux's messages" {
	run --separate-stderr eddy suspend kustomization app
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"► suspending kustomization app in flux-system namespace"* ]]
	[[ "$stderr" == *"✔ kustomization suspended"* ]]
	[ "$(k -n flux-system get ks app -o jsonpath='{.spec.suspend}')" = true ]
	run --separate-stderr eddy get ks app
	[[ "${lines[1]}" =~ ^app\ +True\ + ]]
	# reconcile refuses a suspended object
	run --separate-stderr eddy reconcile ks app --timeout 30s
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"is suspended"*"eddy resume"* ]]
	# resume without waiting
	run --separate-stderr eddy resume ks app --wait=false
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"✔ kustomization resumed"* ]]
	[ "$(k -n flux-system get ks app -o jsonpath='{.spec.suspend}')" = false ]
	[ -n "$(requested_at flux-system ks app)" ]
	# resume and wait for the (simulated) reconcile
	eddy suspend ks app 2>/dev/null
	play_controller flux-system kustomization app True main@sha1:2222
	run --separate-stderr eddy resume ks app --timeout 30s
	wait
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"◎ waiting for Kustomization reconciliation"* ]]
	[[ "$stderr" == *"✔ applied revision main@sha1:2222"* ]]
}

@test "reconcile: annotates, waits for lastHandledReconcileAt, prints the revision" {
	play_controller flux-system kustomization app True main@sha1:3333
	run --separate-stderr eddy reconcile ks app --timeout 30s
	wait
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"► annotating Kustomization app in flux-system namespace"* ]]
	[[ "$stderr" == *"✔ Kustomization annotated"* ]]
	[[ "$stderr" == *"✔ applied revision main@sha1:3333"* ]]
	ts=$(requested_at flux-system ks app)
	[[ "$ts" =~ ^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z$ ]]
	[ "$(k -n flux-system get ks app -o jsonpath='{.status.lastHandledReconcileAt}')" = "$ts" ]
	# no colour in a pipe
	[[ "$stderr" != *$'\033'* ]]
}

@test "reconcile --with-source reconciles the GitRepository first" {
	play_controller flux-system gitrepository repo True main@sha1:4444
	play_controller apps kustomization other True main@sha1:4444
	run --separate-stderr eddy reconcile ks other -n apps --with-source --timeout 30s
	wait
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"annotating GitRepository repo in flux-system namespace"*"fetched \
revision main@sha1:4444"*"annotating Kustomization other in apps namespace"*"applied \
revision main@sha1:4444"* ]]
}

@test "reconcile: failure and timeout exit non-zero with the reason" {
	play_controller flux-system kustomization app False main@sha1:5555
	run --separate-stderr eddy reconcile ks app --timeout 30s
	wait
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"✗ Kustomization reconciliation failed: Applied revision: main@sha1:5555"* ]]
	run --separate-stderr eddy reconcile ks app --timeout 6s
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"◎ still waiting for Kustomization app ("*"s elapsed): the controller"* ]]
	[[ "$stderr" == *"timed out after 6s"*"not picked up the request"*"raise --timeout"* ]]
	run --separate-stderr eddy reconcile ks nope
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"Kustomization nope not found"* ]]
}

@test "events: table, --for Kind/name, -A" {
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	k create -f - >/dev/null <<EOF
apiVersion: v1
kind: Event
metadata: {name: app.1, namespace: flux-system}
involvedObject: {kind: Kustomization, name: app, namespace: flux-system}
type: Normal
reason: ReconciliationSucceeded
message: "Reconciliation finished in 20ms, next run in 5m0s"
lastTimestamp: "$now"
---
apiVersion: v1
kind: Event
metadata: {name: repo.1, namespace: flux-system}
involvedObject: {kind: GitRepository, name: repo, namespace: flux-system}
type: Warning
reason: GitOperationFailed
message: "failed to checkout"
lastTimestamp: "2020-01-01T00:00:00Z"
EOF
	run --separate-stderr eddy events
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^LAST\ SEEN\ +TYPE\ +REASON\ +OBJECT\ +MESSAGE$ ]]
	[[ "${lines[1]}" =~ Warning\ +GitOperationFailed\ +GitRepository/repo\ +failed ]]
	[[ "${lines[2]}" =~ ^[0-9]+s\ +Normal\ +ReconciliationSucceeded\ +Kustomization/app ]]
	# like flux, a Kustomization's events include its source's
	run --separate-stderr eddy events --for ks/app
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[1]}" == *"GitRepository/repo"* ]]
	[[ "${lines[2]}" == *"Kustomization/app"* ]]
	run --separate-stderr eddy events --for GitRepository/repo
	[ "${#lines[@]}" -eq 2 ]
	run --separate-stderr eddy events -A --for GitRepository/repo
	[[ "${lines[0]}" == NAMESPACE* ]]
	[[ "${lines[1]}" == flux-system*GitRepository/repo* ]]
	run --separate-stderr eddy events --for nonsense
	[ "$status" -eq 1 ]
}

@test "tree follows the inventory into child Kustomizations; trace finds the manager" {
	k create namespace web >/dev/null
	k -n web create configmap site --from-literal=a=b >/dev/null
	k -n web label configmap site kustomize.toolkit.fluxcd.io/name=other \
		kustomize.toolkit.fluxcd.io/namespace=apps >/dev/null
	k -n flux-system patch ks app --subresource=status --type=merge -p '{"status":{
	  "inventory":{"entries":[{"id":"_web__Namespace","v":"v1"},
	  {"id":"apps_other_kustomize.toolkit.fluxcd.io_Kustomization","v":"v1"}]}}}' >/dev/null
	k -n apps patch ks other --subresource=status --type=merge -p '{"status":{
	  "inventory":{"entries":[{"id":"web_site__ConfigMap","v":"v1"},
	  {"id":"web_web_apps_Deployment","v":"v1"}]}}}' >/dev/null
	run --separate-stderr eddy tree kustomization app
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Kustomization/flux-system/app" ]
	[ "${lines[1]}" = "├── Namespace/web" ]
	[ "${lines[2]}" = "└── Kustomization/apps/other" ]
	[ "${lines[3]}" = "    ├── ConfigMap/web/site" ]
	[ "${lines[4]}" = "    └── Deployment/web/web" ]
	run --separate-stderr eddy trace configmap site -n web
	[ "$status" -eq 0 ]
	[[ "$output" == *"Object:         ConfigMap/site"*"Status:         Managed by Flux"* ]]
	[[ "$output" == *"Kustomization:  other"*"Namespace:      apps"*"Revision:       main@sha1:4444"* ]]
	[[ "$output" == *"GitRepository:  repo"*"URL:            https://example.com/repo.git"* ]]
	run --separate-stderr eddy trace namespace web
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"not managed by Flux"* ]]
	run --separate-stderr eddy tree kustomization nope
	[ "$status" -eq 1 ]
}

@test "export prints clean YAML documents" {
	run --separate-stderr eddy export source git repo
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "---" ]
	[ "${lines[1]}" = "apiVersion: source.toolkit.fluxcd.io/v1" ]
	[ "${lines[2]}" = "kind: GitRepository" ]
	[[ "$output" == *"url: https://example.com/repo.git"* ]]
	[[ "$output" != *"status:"* && "$output" != *"resourceVersion"* ]]
	[[ "$output" != *"last-applied-configuration"* ]]
	run --separate-stderr eddy export ks --all -A
	[ "$status" -eq 0 ]
	[ "$(grep -c '^kind: Kustomization$' <<<"$output")" -eq 2 ]
	# what export prints, kubectl applies unchanged
	eddy export ks app | k apply --dry-run=server -f - >/dev/null
	run --separate-stderr eddy export ks nope
	[ "$status" -eq 1 ]
}

@test "check and version" {
	run --separate-stderr eddy check
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"✔ kustomizations.kustomize.toolkit.fluxcd.io/v1"* ]]
	[[ "$stderr" == *"✔ all checks passed"* ]]
	k delete crd buckets.source.toolkit.fluxcd.io >/dev/null
	run --separate-stderr eddy check
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"✗ buckets.source.toolkit.fluxcd.io not installed"*"kubectl apply"* ]]
	run eddy version
	[ "$status" -eq 0 ]
	[[ "$output" == "eddy: v"* ]]
}
