#!/usr/bin/env bats
# kustomize-controller end to end: eddy-apiserver, a real Git server (git http-backend behind
# lighttpd, tests/lib/gitserver.bash), source-controller and kustomize-controller as processes,
# driven with kubectl.

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
	# a base and two overlays, each overlay with its own Namespace
	gs_repo fleet
	gs_commit fleet base/kustomization.yaml "resources:
- config.yaml
- service.yaml
"
	gs_commit fleet base/config.yaml "apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
data:
  color: blue
"
	gs_commit fleet base/service.yaml "apiVersion: v1
kind: Service
metadata:
  name: app
spec:
  ports:
  - port: 80
"
	local o
	for o in dev prod; do
		gs_commit fleet "overlays/$o/ns.yaml" "apiVersion: v1
kind: Namespace
metadata:
  name: $o
"
		gs_commit fleet "overlays/$o/kustomization.yaml" "namespace: $o
namePrefix: $o-
resources:
- ns.yaml
- ../../base
"
	done
	# plain manifests without a kustomization.yaml (generated)
	gs_commit fleet plain/a.yaml "apiVersion: v1
kind: ConfigMap
metadata:
  name: plain-a
  namespace: default
data:
  k: v
"
	gs_commit fleet plain/notes.yaml "just: text"
	gs_commit fleet crds/widget.yaml "apiVersion: example.com/v1
kind: Widget
metadata:
  name: w1
  namespace: default
spec:
  size: 3
"
	gs_commit fleet crds/crd.yaml "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names:
    kind: Widget
    listKind: WidgetList
    plural: widgets
    singular: widget
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
"
	gs_commit fleet apps/web.yaml "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
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
        image: nginx:1.0
"
	# the API server
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
	TMPDIR="$W/tmp" "$EDDY_BIN/kustomize-controller" --kubeconfig "$W/api/kubeconfig" \
		--metrics-addr 127.0.0.1:0 --health-addr 0 --requeue-dependency 2s \
		--min-retry-delay 300ms --max-retry-delay 4s >>"$W/kc.log" 2>&1 &
	echo $! >"$W/kc.pid"
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
	cp "$W/sc.log" "${SC_LOG_COPY:-/dev/null}" 2>/dev/null || true
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
		printf '  interval: 1h\n  prune: %s\n  path: %s\n' "${PRUNE:-true}" "$path"
		printf '  sourceRef:\n    kind: GitRepository\n    name: fleet\n'
		local l; for l in "$@"; do printf '  %s\n' "$l"; done
	} | k apply -f - >/dev/null
}

kfield() { k get kustomization "$1" -o jsonpath="$2"; }
ready() { kfield "$1" '{.status.conditions[?(@.type=="Ready")].status}'; }
reason() { kfield "$1" '{.status.conditions[?(@.type=="Ready")].reason}'; }
message() { kfield "$1" '{.status.conditions[?(@.type=="Ready")].message}'; }

wait_ks() { # name status [reason] [timeout-s]
	local want=$2 wr=${3:-} t=${4:-20} s r
	for _ in $(seq $((t * 10))); do
		s=$(ready "$1" 2>/dev/null) r=$(reason "$1" 2>/dev/null)
		if [ "$s" = "$want" ] && { [ -z "$wr" ] || [ "$r" = "$wr" ]; }; then
			[ "$want" != True ] && return 0
			[ "$(kfield "$1" '{.status.observedGeneration}')" = \
			  "$(kfield "$1" '{.metadata.generation}')" ] && return 0
		fi
		sleep 0.1
	done
	echo "$1: Ready=$s ($r: $(message "$1")), wanted $want $wr" >&2
	return 1
}

inventory() { kfield "$1" '{range .status.inventory.entries[*]}{.id} {.v}{"\n"}{end}' | sort; }

src_rev() { k get gitrepository fleet -o jsonpath='{.status.artifact.revision}'; }

head_rev() { echo "main@sha1:$(gs_git fleet rev-parse HEAD)"; }

wait_applied() { # name revision timeout-s
	for _ in $(seq $(($3 * 20))); do
		[ "$(kfield "$1" '{.status.lastAppliedRevision}')" = "$2" ] && return 0
		sleep 0.05
	done
	echo "$1: lastAppliedRevision $(kfield "$1" '{.status.lastAppliedRevision}'), wanted $2" >&2
	return 1
}

refresh_source() {
	k annotate gitrepository fleet --overwrite \
		"reconcile.fluxcd.io/requestedAt=$(date +%s%N)" >/dev/null
}

gitrepo() { # url
	printf 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: fleet\n  namespace: default\nspec:\n  url: %s\n  interval: 1h\n  ref:\n    branch: main\n' \
		"$1" | k apply -f - >/dev/null
}

@test "a Kustomization waits for its source's artifact" {
	ks early ./plain "retryInterval: 1s"
	wait_ks early False ArtifactFailed
	run -0 message early
	[ "$output" = "Source 'GitRepository/default/fleet' not found" ] || { echo "$output"; false; }
	gitrepo "$HTTP_URL/nope.git"
	for _ in $(seq 100); do
		[ "$(message early)" = "Source artifact not found, retrying in 2s" ] && break
		sleep 0.1
	done
	run -0 message early
	[ "$output" = "Source artifact not found, retrying in 2s" ] || { echo "$output"; false; }
	gitrepo "$HTTP_URL/fleet.git"
	# the new artifact triggers the reconcile (no wait for the 2s requeue is needed, but
	# either way it must become Ready)
	wait_ks early True ReconciliationSucceeded 20
	run -0 k get configmap plain-a -n default -o jsonpath='{.data.k}'
	[ "$output" = v ]
	# the generated kustomization only takes Kubernetes objects
	run -0 inventory early
	[ "$output" = "default_plain-a__ConfigMap v1" ] || { echo "$output"; false; }
	k delete kustomization early --wait=false >/dev/null
}

@test "a base and two overlays: labels, inventory, Ready with the revision" {
	ks dev ./overlays/dev
	ks prod ./overlays/prod
	wait_ks dev True ReconciliationSucceeded
	wait_ks prod True ReconciliationSucceeded
	local rev; rev=$(head_rev)
	run -0 message dev
	[ "$output" = "Applied revision: $rev" ] || { echo "$output"; false; }
	[ "$(kfield prod '{.status.lastAppliedRevision}')" = "$rev" ]
	[ "$(kfield prod '{.status.lastAttemptedRevision}')" = "$rev" ]
	local o
	for o in dev prod; do
		run -0 inventory "$o"
		[ "$output" = "$(printf '%s\n' "_${o}__Namespace v1" "${o}_${o}-app-config__ConfigMap v1" \
			"${o}_${o}-app__Service v1" | sort)" ] || { echo "$output"; false; }
		run -0 k get configmap "$o-app-config" -n "$o" \
			-o jsonpath='{.metadata.labels.kustomize\.toolkit\.fluxcd\.io/name}/{.metadata.labels.kustomize\.toolkit\.fluxcd\.io/namespace}'
		[ "$output" = "$o/default" ]
		run -0 k get service "$o-app" -n "$o" \
			-o jsonpath='{.metadata.labels.kustomize\.toolkit\.fluxcd\.io/name}'
		[ "$output" = "$o" ]
		run -0 k get namespace "$o" \
			-o jsonpath='{.metadata.labels.kustomize\.toolkit\.fluxcd\.io/name}'
		[ "$output" = "$o" ]
	done
	# applied with the kustomize-controller field manager
	run -0 k get configmap dev-app-config -n dev -o jsonpath='{.metadata.managedFields[*].manager}'
	[[ " $output " == *" kustomize-controller "* ]] || { echo "$output"; false; }
	# Flux's finalizer
	run -0 kfield dev '{.metadata.finalizers[*]}'
	[ "$output" = finalizers.fluxcd.io ]
}

@test "a pushed change is applied within 2 s of the new artifact" {
	gs_commit fleet base/config.yaml "apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
data:
  color: green
"
	local rev; rev=$(head_rev)
	refresh_source
	for _ in $(seq 200); do [ "$(src_rev)" = "$rev" ] && break; sleep 0.05; done
	[ "$(src_rev)" = "$rev" ]
	# within 2 s of the new artifact
	wait_applied dev "$rev" 2
	wait_applied prod "$rev" 2
	run -0 k get configmap prod-app-config -n prod -o jsonpath='{.data.color}'
	[ "$output" = green ]
	run -0 message prod
	[ "$output" = "Applied revision: $rev" ]
}

@test "a removed file's objects are pruned" {
	gs_commit fleet base/kustomization.yaml "resources:
- config.yaml
"
	gs_git fleet rm -q base/service.yaml
	gs_git fleet commit -qm "drop the service"
	gs_git fleet push -q origin HEAD 2>/dev/null
	local rev; rev=$(head_rev)
	refresh_source
	wait_applied dev "$rev" 10
	run ! k get service dev-app -n dev
	run -0 inventory dev
	[ "$output" = "$(printf '%s\n' "_dev__Namespace v1" "dev_dev-app-config__ConfigMap v1" | sort)" ] \
		|| { echo "$output"; false; }
}

@test "a broken kustomization.yaml gives Ready=False BuildFailed" {
	gs_commit fleet overlays/prod/kustomization.yaml "namespace: prod
resources:
- ns.yaml
- missing.yaml
- ../../base
"
	local rev; rev=$(head_rev)
	refresh_source
	wait_ks prod False BuildFailed 10
	run -0 message prod
	[[ "$output" == "kustomize build failed: "*missing.yaml* ]] || { echo "$output"; false; }
	[ "$(kfield prod '{.status.lastAttemptedRevision}')" = "$rev" ]
	[ "$(kfield prod '{.status.lastAppliedRevision}')" != "$rev" ]
	# the objects applied before stay
	run -0 k get configmap prod-app-config -n prod
	# the other overlay still follows the source
	wait_applied dev "$rev" 10
}

@test "dependsOn waits for the dependency" {
	ks after ./plain "dependsOn:" "- name: nope"
	wait_ks after False DependencyNotReady
	run -0 message after
	[ "$output" = "dependency 'default/nope' is not ready" ] || { echo "$output"; false; }
	ks nope ./plain
	wait_ks nope True
	wait_ks after True ReconciliationSucceeded 15
}

@test "deleting a Kustomization prunes its objects" {
	k delete kustomization dev --timeout=20s >/dev/null
	run ! k get configmap dev-app-config -n dev
	run ! k get namespace dev
	# prune: false keeps them (MirrorPrune)
	PRUNE=false ks keep ./overlays/dev
	wait_ks keep True ReconciliationSucceeded 15
	k delete kustomization keep --timeout=20s >/dev/null
	run -0 k get configmap dev-app-config -n dev
}


@test "spec overlays: targetNamespace, namePrefix, nameSuffix, commonMetadata, patches" {
	k create namespace ovl >/dev/null
	ks ovl ./base "targetNamespace: ovl" "namePrefix: x-" "nameSuffix: -y" \
		"commonMetadata:" "  labels:" "    team: a" "  annotations:" "    note: hi" \
		"patches:" "- target:" "    kind: ConfigMap" "    name: app-config" "  patch: |-" "    - op: replace" \
		"      path: /data/color" "      value: red"
	wait_ks ovl True ReconciliationSucceeded
	run -0 k get configmap x-app-config-y -n ovl \
		-o jsonpath='{.data.color} {.metadata.labels.team} {.metadata.annotations.note} {.metadata.labels.kustomize\.toolkit\.fluxcd\.io/name}'
	[ "$output" = "red a hi ovl" ] || { echo "$output"; false; }
	run -0 inventory ovl
	[ "$output" = "ovl_x-app-config-y__ConfigMap v1" ] || { echo "$output"; false; }
}

@test "spec.images on a generated kustomization" {
	ks img ./apps "targetNamespace: default" "images:" "- name: nginx" "  newName: registry.local/nginx" \
		"  newTag: \"1.27\""
	wait_ks img True ReconciliationSucceeded
	run -0 k get deployment web -n default -o jsonpath='{.spec.template.spec.containers[0].image}'
	[ "$output" = registry.local/nginx:1.27 ] || { echo "$output"; false; }
	run -0 inventory img
	[ "$output" = "default_web_apps_Deployment v1" ] || { echo "$output"; false; }
}

@test "a CRD and its custom resource in one Kustomization (CRDs applied first)" {
	ks crds ./crds
	wait_ks crds True ReconciliationSucceeded
	run -0 k get widget w1 -n default -o jsonpath='{.spec.size}'
	[ "$output" = 3 ]
	run -0 inventory crds
	[ "$output" = "$(printf '%s\n' "_widgets.example.com_apiextensions.k8s.io_CustomResourceDefinition v1" \
		"default_w1_example.com_Widget v1" | sort)" ] || { echo "$output"; false; }
}

@test "an object edited with kubectl is put back on a requested reconcile" {
	k patch configmap x-app-config-y -n ovl --type merge -p '{"data":{"color":"black"}}' >/dev/null
	local t; t=$(date +%s%N)
	k annotate kustomization ovl --overwrite "reconcile.fluxcd.io/requestedAt=$t" >/dev/null
	for _ in $(seq 100); do
		[ "$(k get configmap x-app-config-y -n ovl -o jsonpath='{.data.color}')" = red ] && break
		sleep 0.1
	done
	run -0 k get configmap x-app-config-y -n ovl -o jsonpath='{.data.color}'
	[ "$output" = red ]
	for _ in $(seq 50); do
		[ "$(kfield ovl '{.status.lastHandledReconcileAt}')" = "$t" ] && break
		sleep 0.1
	done
	[ "$(kfield ovl '{.status.lastHandledReconcileAt}')" = "$t" ]
}

@test "suspend stops reconciles; resuming applies the new revision" {
	k patch kustomization ovl --type merge -p '{"spec":{"suspend":true}}' >/dev/null
	sleep 1
	gs_commit fleet base/config.yaml "apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
data:
  color: green
  size: big
"
	local rev; rev=$(head_rev)
	refresh_source
	for _ in $(seq 100); do [ "$(src_rev)" = "$rev" ] && break; sleep 0.1; done
	[ "$(src_rev)" = "$rev" ]
	sleep 2
	run -0 k get configmap x-app-config-y -n ovl -o jsonpath='{.data.size}'
	[ -z "$output" ]
	k patch kustomization ovl --type merge -p '{"spec":{"suspend":false}}' >/dev/null
	wait_applied ovl "$rev" 10
	run -0 k get configmap x-app-config-y -n ovl -o jsonpath='{.data.size}'
	[ "$output" = big ]
}

@test "an object annotated prune: disabled is kept when its file is removed" {
	gs_commit fleet base/keep.yaml "apiVersion: v1
kind: ConfigMap
metadata:
  name: keep-me
  annotations:
    kustomize.toolkit.fluxcd.io/prune: disabled
"
	gs_commit fleet base/kustomization.yaml "resources:
- config.yaml
- keep.yaml
"
	local rev; rev=$(head_rev)
	refresh_source
	wait_applied ovl "$rev" 10
	run -0 k get configmap x-keep-me-y -n ovl
	gs_commit fleet base/kustomization.yaml "resources:
- config.yaml
"
	rev=$(head_rev)
	refresh_source
	wait_applied ovl "$rev" 10
	run -0 k get configmap x-keep-me-y -n ovl
	run -0 inventory ovl
	[ "$output" = "ovl_x-app-config-y__ConfigMap v1" ] || { echo "$output"; false; }
}

@test "kustomize-controller stops cleanly on SIGTERM (no sanitizer report)" {
	stop_pid "$(cat "$W/kc.pid")"
	run ! kill -0 "$(cat "$W/kc.pid")"
	run ! grep -E "ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:" "$W/kc.log"
	# no temporary checkout left behind
	run -0 ls -A "$W/tmp"
	[ -z "$output" ] || { echo "$output"; false; }
}
