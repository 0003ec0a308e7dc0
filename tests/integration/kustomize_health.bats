#!/usr/bin/env bats
# kustomize-controller health assessment and status.history, end to end: eddy-apiserver with
# --simulate-workloads, a real Git server (tests/lib/gitserver.bash), source-controller and
# kustomize-controller as processes, driven with kubectl. The controller runs with
# EDDY_KUSTOMIZE_MIN_TIMEOUT=1s so that short spec.timeout values are honoured (Flux's floor is
# 30s).

bats_require_minimum_version 1.5.0

: "${KUBECTL:=kubectl}"

setup_file() {
	export W="$BATS_FILE_TMPDIR/w"
	mkdir -p "$W/storage" "$W/tmp"
	source "$EDDY_SRC/tests/lib/gitserver.bash"
	gs_setup "$W/gs"
	gs_start_http
	export HTTP_URL=$GS_HTTP_URL
	echo "${GS_PIDS[*]}" >"$W/gs.pids"
	gs_repo health
	gs_commit health ready/deploy.yaml "apiVersion: apps/v1
kind: Deployment
metadata:
  name: good
  namespace: default
spec:
  replicas: 2
  selector:
    matchLabels:
      app: good
  template:
    metadata:
      labels:
        app: good
    spec:
      containers:
      - name: web
        image: nginx:1.0
"
	gs_commit health ready/more.yaml "apiVersion: v1
kind: ConfigMap
metadata:
  name: good-config
  namespace: default
data:
  color: blue
---
apiVersion: v1
kind: Service
metadata:
  name: good-lb
  namespace: default
spec:
  type: LoadBalancer
  ports:
  - port: 80
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: good-data
  namespace: default
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
---
apiVersion: batch/v1
kind: Job
metadata:
  name: good-job
  namespace: default
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: job
        image: busybox:1
"
	gs_commit health stuck/deploy.yaml "apiVersion: apps/v1
kind: Deployment
metadata:
  name: stuck
  namespace: default
  annotations:
    eddy.dev/simulate: never-ready
spec:
  selector:
    matchLabels:
      app: stuck
  template:
    metadata:
      labels:
        app: stuck
    spec:
      containers:
      - name: web
        image: nginx:1.0
"
	gs_commit health plain/cm.yaml "apiVersion: v1
kind: ConfigMap
metadata:
  name: plain
  namespace: default
data:
  k: v
"
	mkdir -p "$W/api"
	"$EDDY_BIN/eddy-apiserver" --data-dir "$W/api" --listen 127.0.0.1:0 --simulate-workloads \
		>"$W/api.log" 2>&1 &
	echo $! >"$W/api.pid"
	for _ in $(seq 100); do [ -s "$W/api/kubeconfig" ] && break; sleep 0.1; done
	export KUBECONFIG="$W/api/kubeconfig" KUBECACHEDIR="$W/kcache"
	for _ in $(seq 100); do "$KUBECTL" get --raw /readyz >/dev/null 2>&1 && break; sleep 0.1; done
	"$KUBECTL" apply -f "$EDDY_SRC/config/crd/source.toolkit.fluxcd.io_gitrepositories.yaml" \
		-f "$EDDY_SRC/config/crd/kustomize.toolkit.fluxcd.io_kustomizations.yaml" >/dev/null
	LSAN_OPTIONS="suppressions=$EDDY_SRC/tests/lib/lsan-libgit2.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}" \
	"$EDDY_BIN/source-controller" --kubeconfig "$W/api/kubeconfig" --storage-path "$W/storage" \
		--storage-addr 127.0.0.1:0 --metrics-addr 127.0.0.1:0 --health-addr 0 \
		--min-retry-delay 300ms --max-retry-delay 4s >>"$W/sc.log" 2>&1 &
	echo $! >"$W/sc.pid"
	EDDY_KUSTOMIZE_MIN_TIMEOUT=1s TMPDIR="$W/tmp" "$EDDY_BIN/kustomize-controller" \
		--kubeconfig "$W/api/kubeconfig" --metrics-addr 127.0.0.1:0 --health-addr 0 \
		--requeue-dependency 2s --min-retry-delay 300ms --max-retry-delay 4s \
		>>"$W/kc.log" 2>&1 &
	echo $! >"$W/kc.pid"
	printf 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: health\n  namespace: default\nspec:\n  url: %s\n  interval: 1h\n  ref:\n    branch: main\n' \
		"$HTTP_URL/health.git" | "$KUBECTL" apply -f - >/dev/null
}

stop_pid() {
	local pid=$1
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
}

teardown_file() {
	stop_pid "$(cat "$W/kc.pid")"
	stop_pid "$(cat "$W/sc.pid")"
	cp "$W/kc.log" "${KC_LOG_COPY:-/dev/null}" 2>/dev/null || true
	local p
	for p in $(cat "$W/gs.pids") $(cat "$W/api.pid"); do kill "$p" 2>/dev/null || true; done
	for p in $(cat "$W/gs.pids") $(cat "$W/api.pid"); do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	done
}

setup() {
	source "$EDDY_SRC/tests/lib/gitserver.bash"
	GS_ROOT="$W/gs"
}

k() { "$KUBECTL" "$@"; }

ks() { # name path [extra spec lines...]
	local name=$1 path=$2; shift 2
	{
		printf 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n'
		printf 'metadata:\n  name: %s\n  namespace: default\nspec:\n' "$name"
		printf '  interval: 1h\n  retryInterval: 1h\n  prune: true\n  path: %s\n' "$path"
		printf '  sourceRef:\n    kind: GitRepository\n    name: health\n'
		local l; for l in "$@"; do printf '  %s\n' "$l"; done
	} | k apply -f - >/dev/null
}

kfield() { k get kustomization "$1" -o jsonpath="$2"; }
cond() { kfield "$1" "{.status.conditions[?(@.type==\"$2\")].$3}"; }

wait_cond() { # name type status [reason] [timeout-s]
	local want=$3 wr=${4:-} t=${5:-20} s r
	for _ in $(seq $((t * 10))); do
		s=$(cond "$1" "$2" status 2>/dev/null) r=$(cond "$1" "$2" reason 2>/dev/null)
		if [ "$s" = "$want" ] && { [ -z "$wr" ] || [ "$r" = "$wr" ]; }; then
			return 0
		fi
		sleep 0.1
	done
	echo "$1: $2=$s ($r: $(cond "$1" "$2" message)), wanted $want $wr" >&2
	return 1
}

head_rev() { echo "main@sha1:$(gs_git health rev-parse HEAD)"; }

@test "wait: true: a Deployment, Service, PVC and Job that become ready give Healthy and Ready" {
	ks good ./ready "wait: true" "timeout: 20s"
	wait_cond good Ready True ReconciliationSucceeded 30
	run -0 cond good Healthy status
	[ "$output" = True ]
	run -0 cond good Healthy reason
	[ "$output" = Succeeded ]
	run -0 cond good Healthy message
	[[ "$output" == "Health check passed in "* ]] || { echo "$output"; false; }
	run -0 cond good Ready message
	[ "$output" = "Applied revision: $(head_rev)" ]
	# the objects really are ready (kstatus agrees with kubectl)
	k rollout status deploy/good --timeout 1s
	k wait --for=condition=Complete job/good-job --timeout 1s
	run -0 k get pvc good-data -o jsonpath='{.status.phase}'
	[ "$output" = Bound ]
	run -0 k get svc good-lb -o jsonpath='{.status.loadBalancer.ingress[0].ip}'
	[ "$output" = 127.0.0.1 ]
	# no Reconciling left behind (a second reconcile may be running: wait for its end); the
	# recovery event was recorded
	for _ in $(seq 100); do [ -z "$(cond good Reconciling status)" ] && break; sleep 0.1; done
	run -0 cond good Reconciling status
	[ "$output" = "" ]
	run -0 cond good Ready status
	[ "$output" = True ]
	run -0 k get events --field-selector involvedObject.name=good -o jsonpath='{.items[*].message}'
	[[ "$output" == *"Health check passed in "* ]] || { echo "$output"; false; }
}

@test "a never-ready Deployment gives HealthCheckFailed after the timeout, naming the object" {
	ks stuck ./stuck "wait: true" "timeout: 3s"
	# while it waits: Healthy=Unknown Progressing and Reconciling, with Flux's message
	wait_cond stuck Healthy Unknown Progressing 20
	run -0 cond stuck Healthy message
	[ "$output" = "Running health checks for revision $(head_rev) with a timeout of 3s" ] ||
		{ echo "$output"; false; }
	run -0 cond stuck Reconciling status
	[ "$output" = True ]
	wait_cond stuck Ready False HealthCheckFailed 20
	run -0 cond stuck Ready message
	[[ "$output" == "health check failed after "*"s: timeout waiting for: [Deployment/default/stuck status: 'InProgress']" ]] ||
		{ echo "$output"; false; }
	run -0 cond stuck Healthy status
	[ "$output" = False ]
	run -0 cond stuck Healthy reason
	[ "$output" = HealthCheckFailed ]
	run -0 cond stuck Healthy message
	[ "$output" = "timeout waiting for: [Deployment/default/stuck status: 'InProgress']" ]
	run -0 cond stuck Reconciling reason
	[ "$output" = ProgressingWithRetry ]
	# the objects were applied all the same (in the inventory), lastAppliedRevision not set
	run -0 kfield stuck '{.status.inventory.entries[*].id}'
	[ "$output" = "default_stuck_apps_Deployment" ]
	run -0 kfield stuck '{.status.lastAppliedRevision}'
	[ "$output" = "" ]
	run -0 kfield stuck '{.status.history[0].lastReconciledStatus}'
	[ "$output" = HealthCheckFailed ]
	run -0 k get events --field-selector involvedObject.name=stuck,type=Warning \
		-o jsonpath='{.items[*].reason}'
	[[ "$output" == *HealthCheckFailed* ]]
	# removing the annotation lets the simulation roll it out; the next reconcile passes
	k annotate deploy stuck eddy.dev/simulate- >/dev/null
	k rollout status deploy/stuck --timeout 10s
	k annotate kustomization stuck --overwrite "reconcile.fluxcd.io/requestedAt=$(date +%s%N)" \
		>/dev/null
	wait_cond stuck Ready True ReconciliationSucceeded 30
	run -0 cond stuck Healthy status
	[ "$output" = True ]
}

@test "healthChecks: a custom resource's Ready condition is checked (GitRepository)" {
	ks refs ./plain "timeout: 10s" "healthChecks:" \
		"- apiVersion: source.toolkit.fluxcd.io/v1" "  kind: GitRepository" "  name: health" \
		"- kind: Deployment" "  name: good" "  namespace: default"
	wait_cond refs Ready True ReconciliationSucceeded 30
	run -0 cond refs Healthy reason
	[ "$output" = Succeeded ]
	# a GitRepository that never becomes Ready fails the check, named in the message
	printf 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: broken\n  namespace: default\nspec:\n  url: %s\n  interval: 1h\n  ref:\n    branch: main\n' \
		"$HTTP_URL/nope.git" | k apply -f - >/dev/null
	ks badref ./plain "timeout: 3s" "healthChecks:" \
		"- apiVersion: source.toolkit.fluxcd.io/v1" "  kind: GitRepository" "  name: broken"
	wait_cond badref Ready False HealthCheckFailed 30
	run -0 cond badref Ready message
	[[ "$output" == "health check failed after "*"GitRepository/default/broken status: '"* ]] ||
		{ echo "$output"; false; }
	# healthChecks without wait: the applied objects themselves are not waited for
	run -0 kfield badref '{.status.inventory.entries[*].id}'
	[ "$output" = "default_plain__ConfigMap" ]
	# a Kustomization listing itself is skipped (no deadlock); none left: no Healthy condition
	ks self ./plain "healthChecks:" "- apiVersion: kustomize.toolkit.fluxcd.io/v1" \
		"  kind: Kustomization" "  name: self" "  namespace: default"
	wait_cond self Ready True ReconciliationSucceeded 30
	run -0 cond self Healthy status
	[ "$output" = "" ]
}

@test "status.history: one snapshot per built digest, newest first, counting reconciliations" {
	ks hist ./plain
	wait_cond hist Ready True ReconciliationSucceeded 30
	local rev1
	rev1=$(head_rev)
	run -0 kfield hist '{.status.history[*].metadata.revision}'
	[ "$output" = "$rev1" ]
	run -0 kfield hist '{.status.history[0].lastReconciledStatus} {.status.history[0].totalReconciliations}'
	[ "$output" = "ReconciliationSucceeded 1" ]
	local d1
	d1=$(kfield hist '{.status.history[0].digest}')
	[[ "$d1" =~ ^sha256:[0-9a-f]{64}$ ]]
	# the same build again: the snapshot is updated in place
	local n0 n1
	n0=$(kfield hist '{.status.history[0].totalReconciliations}')
	k annotate kustomization hist --overwrite "reconcile.fluxcd.io/requestedAt=1" >/dev/null
	for _ in $(seq 100); do
		n1=$(kfield hist '{.status.history[0].totalReconciliations}')
		[ "$n1" -gt "$n0" ] && break
		sleep 0.1
	done
	run -0 kfield hist '{.status.history[*].totalReconciliations}'
	[ "$output" = "$n1" ]
	[ "$n1" -ge 2 ]
	# a second revision with different objects: a new snapshot first
	gs_commit health plain/cm.yaml "apiVersion: v1
kind: ConfigMap
metadata:
  name: plain
  namespace: default
data:
  k: v2
"
	local rev2
	rev2=$(head_rev)
	k annotate gitrepository health --overwrite "reconcile.fluxcd.io/requestedAt=$(date +%s%N)" \
		>/dev/null
	for _ in $(seq 200); do
		[ "$(kfield hist '{.status.lastAppliedRevision}')" = "$rev2" ] && break
		sleep 0.1
	done
	run -0 kfield hist '{.status.history[*].metadata.revision}'
	[ "$output" = "$rev2 $rev1" ]
	run -0 kfield hist '{.status.history[1].digest} {.status.history[1].totalReconciliations}'
	[ "$output" = "$d1 $n1" ]
	run -0 kfield hist '{.status.history[0].totalReconciliations} {.status.history[0].lastReconciledStatus}'
	[ "$output" = "1 ReconciliationSucceeded" ]
	[ "$(kfield hist '{.status.history[0].digest}')" != "$d1" ]
	run -0 kfield hist '{.status.history[0].firstReconciled} {.status.history[0].lastReconciledDuration}'
	[[ "$output" =~ ^20[0-9-]+T[0-9:]+Z\ [0-9.]+(ms|s)$ ]] || { echo "$output"; false; }
}
