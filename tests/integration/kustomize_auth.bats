#!/usr/bin/env bats
# kustomize-controller: who applies and how. serviceAccountName impersonation against
# eddy-apiserver's RBAC, --default-service-account, kubeConfig.secretRef for a remote cluster
# (a second eddy-apiserver), --no-remote-bases, spec.force and the ssa/force/reconcile
# annotations, drift detection (unchanged objects are not written). Real processes: a Git
# server (tests/lib/gitserver.bash), eddy-apiserver, source-controller, kustomize-controller.

bats_require_minimum_version 1.5.0

: "${KUBECTL:=kubectl}"

start_kc() { # extra flags...
	TMPDIR="$W/tmp" "$EDDY_BIN/kustomize-controller" --kubeconfig "$W/api/kubeconfig" \
		--metrics-addr 127.0.0.1:0 --health-addr 0 --requeue-dependency 2s \
		--min-retry-delay 300ms --max-retry-delay 2s --no-remote-bases "$@" \
		>>"$W/kc.log" 2>&1 &
	echo $! >"$W/kc.pid"
}

start_api() { # dir [flags...]
	mkdir -p "$1"
	"$EDDY_BIN/eddy-apiserver" --data-dir "$1" --listen 127.0.0.1:0 "${@:2}" >"$1.log" 2>&1 &
	echo $! >"$1.pid"
	for _ in $(seq 100); do [ -s "$1/kubeconfig" ] && break; sleep 0.1; done
	for _ in $(seq 100); do
		KUBECONFIG="$1/kubeconfig" "$KUBECTL" get --raw /readyz >/dev/null 2>&1 && break
		sleep 0.1
	done
}

setup_file() {
	export W="$BATS_FILE_TMPDIR/w"
	mkdir -p "$W/storage" "$W/tmp"
	source "$EDDY_SRC/tests/lib/gitserver.bash"
	gs_setup "$W/gs"
	gs_start_http
	echo "${GS_PIDS[*]}" >"$W/gs.pids"
	gs_repo fleet
	gs_commit fleet restricted/cm.yaml "apiVersion: v1
kind: ConfigMap
metadata:
  name: app
  namespace: restricted
data:
  k: v
"
	gs_commit fleet other/cm.yaml "apiVersion: v1
kind: ConfigMap
metadata:
  name: app
  namespace: other
data:
  k: v
"
	gs_commit fleet remote/cm.yaml "apiVersion: v1
kind: ConfigMap
metadata:
  name: remote-cm
  namespace: default
data:
  where: remote
"
	gs_commit fleet remotebase/kustomization.yaml "resources:
- https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v5.0.0
"
	gs_commit fleet frozen/cm.yaml "apiVersion: v1
kind: ConfigMap
metadata:
  name: frozen
  namespace: default
immutable: true
data:
  v: \"1\"
"
	gs_commit fleet jobs/job.yaml "apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  namespace: default
  annotations:
    kustomize.toolkit.fluxcd.io/force: Enabled
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: m
        image: migrate:1
"
	local n a
	for n in plain merged once ignored paused; do
		case $n in
		merged) a="kustomize.toolkit.fluxcd.io/ssa: Merge" ;;
		once) a="kustomize.toolkit.fluxcd.io/ssa: IfNotPresent" ;;
		ignored) a="kustomize.toolkit.fluxcd.io/ssa: Ignore" ;;
		paused) a="kustomize.toolkit.fluxcd.io/reconcile: disabled" ;;
		*) a="note: none" ;;
		esac
		gs_commit fleet "annotated/$n.yaml" "apiVersion: v1
kind: ConfigMap
metadata:
  name: $n
  namespace: default
  annotations:
    $a
data:
  k: v
"
	done
	gs_commit fleet rbac/all.yaml "apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: cm-writer
  namespace: rbacns
rules:
- apiGroups: [\"\"]
  resources: [configmaps]
  verbs: [get, list, watch, create, update, patch, delete]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: cm-writer
  namespace: rbacns
subjects:
- kind: ServiceAccount
  name: deployer
  namespace: team-a
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: cm-writer
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
  namespace: rbacns
data:
  k: v
"
	start_api "$W/api"
	start_api "$W/remote" --tls
	export KUBECONFIG="$W/api/kubeconfig" KUBECACHEDIR="$W/kcache"
	"$KUBECTL" apply -f "$EDDY_SRC/config/crd/source.toolkit.fluxcd.io_gitrepositories.yaml" \
		-f "$EDDY_SRC/config/crd/kustomize.toolkit.fluxcd.io_kustomizations.yaml" >/dev/null
	LSAN_OPTIONS="suppressions=$EDDY_SRC/tests/lib/lsan-libgit2.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}" \
	"$EDDY_BIN/source-controller" --kubeconfig "$W/api/kubeconfig" --storage-path "$W/storage" \
		--storage-addr 127.0.0.1:0 --metrics-addr 127.0.0.1:0 --health-addr 0 \
		--min-retry-delay 300ms --max-retry-delay 4s >>"$W/sc.log" 2>&1 &
	echo $! >"$W/sc.pid"
	start_kc
	printf 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: fleet\n  namespace: default\nspec:\n  url: %s\n  interval: 1h\n  ref:\n    branch: main\n' \
		"$GS_HTTP_URL/fleet.git" | "$KUBECTL" apply -f - >/dev/null
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
	for p in $(cat "$W/gs.pids") $(cat "$W/api.pid") $(cat "$W/remote.pid"); do
		kill "$p" 2>/dev/null || true
	done
	for p in $(cat "$W/gs.pids") $(cat "$W/api.pid") $(cat "$W/remote.pid"); do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	done
}

setup() {
	source "$EDDY_SRC/tests/lib/gitserver.bash"
	GS_ROOT="$W/gs"
}

k() { "$KUBECTL" "$@"; }
rk() { KUBECONFIG="$W/remote/kubeconfig" "$KUBECTL" "$@"; }

ks() { # namespace name path [extra spec lines...]
	local ns=$1 name=$2 path=$3; shift 3
	{
		printf 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n'
		printf 'metadata:\n  name: %s\n  namespace: %s\nspec:\n' "$name" "$ns"
		printf '  interval: 1h\n  retryInterval: 1s\n  prune: true\n  path: %s\n' "$path"
		printf '  sourceRef:\n    kind: GitRepository\n    name: fleet\n    namespace: default\n'
		local l; for l in "$@"; do printf '  %s\n' "$l"; done
	} | k apply -f - >/dev/null
}

kfield() { k get kustomization -n "$1" "$2" -o jsonpath="$3"; }
cond() { kfield "$1" "$2" "{.status.conditions[?(@.type==\"Ready\")].$3}"; }

wait_ks() { # ns name status [reason] [timeout-s]
	local want=$3 wr=${4:-} t=${5:-20} s r
	for _ in $(seq $((t * 10))); do
		s=$(cond "$1" "$2" status 2>/dev/null) r=$(cond "$1" "$2" reason 2>/dev/null)
		if [ "$s" = "$want" ] && { [ -z "$wr" ] || [ "$r" = "$wr" ]; }; then
			[ "$want" != True ] && return 0
			[ "$(kfield "$1" "$2" '{.status.observedGeneration}')" = \
			  "$(kfield "$1" "$2" '{.metadata.generation}')" ] && return 0
		fi
		sleep 0.1
	done
	echo "$1/$2: Ready=$s ($r: $(cond "$1" "$2" message)), wanted $want $wr" >&2
	return 1
}

wait_msg() { # ns name substring [timeout-s]
	for _ in $(seq $((${4:-20} * 10))); do
		[[ "$(cond "$1" "$2" message 2>/dev/null)" == *"$3"* ]] && return 0
		sleep 0.1
	done
	echo "$1/$2: message '$(cond "$1" "$2" message)' lacks '$3'" >&2
	return 1
}

inventory() { kfield "$1" "$2" '{range .status.inventory.entries[*]}{.id}{"\n"}{end}' | sort; }

request() { # ns name: request a reconcile and wait until it was handled
	local t; t=$(date +%s%N)
	k annotate kustomization -n "$1" "$2" --overwrite "reconcile.fluxcd.io/requestedAt=$t" \
		>/dev/null
	for _ in $(seq 200); do
		[ "$(kfield "$1" "$2" '{.status.lastHandledReconcileAt}')" = "$t" ] && return 0
		sleep 0.05
	done
	echo "$1/$2: reconcile $t not handled" >&2
	return 1
}

push() { # commit already made with gs_commit: refresh the source and wait for the artifact
	local rev; rev="main@sha1:$(gs_git fleet rev-parse HEAD)"
	k annotate gitrepository fleet --overwrite "reconcile.fluxcd.io/requestedAt=$(date +%s%N)" \
		>/dev/null
	for _ in $(seq 200); do
		[ "$(k get gitrepository fleet -o jsonpath='{.status.artifact.revision}')" = "$rev" ] \
			&& return 0
		sleep 0.05
	done
	return 1
}

wait_applied() { # ns name timeout-s: lastAppliedRevision == HEAD
	local rev; rev="main@sha1:$(gs_git fleet rev-parse HEAD)"
	for _ in $(seq $(($3 * 10))); do
		[ "$(kfield "$1" "$2" '{.status.lastAppliedRevision}')" = "$rev" ] && return 0
		sleep 0.1
	done
	echo "$1/$2: not at $rev ($(cond "$1" "$2" message))" >&2
	return 1
}

@test "serviceAccountName: a service account without rights gets Forbidden, a RoleBinding fixes it" {
	k create namespace team-a >/dev/null
	k create namespace restricted >/dev/null
	k create serviceaccount deployer -n team-a >/dev/null
	ks team-a tenant ./restricted "serviceAccountName: deployer"
	wait_ks team-a tenant False ReconciliationFailed
	run -0 cond team-a tenant message
	[[ "$output" == 'ConfigMap/restricted/app dry-run failed (Forbidden): '*'User "system:serviceaccount:team-a:deployer" cannot '*'"configmaps"'*'in the namespace "restricted"'* ]] \
		|| { echo "$output"; false; }
	run ! k get configmap app -n restricted
	[ -z "$(kfield team-a tenant '{.status.inventory.entries}')" ]
	# the controller's own identity would have been allowed: the SA was really used
	k create rolebinding deployer-edit -n restricted --clusterrole=edit \
		--serviceaccount=team-a:deployer >/dev/null
	request team-a tenant
	wait_ks team-a tenant True ReconciliationSucceeded
	run -0 k get configmap app -n restricted -o jsonpath='{.data.k}'
	[ "$output" = v ]
	run -0 inventory team-a tenant
	[ "$output" = "restricted_app__ConfigMap" ] || { echo "$output"; false; }
	# prune runs as the service account too: without delete rights the object stays
	k delete rolebinding deployer-edit -n restricted >/dev/null
	k delete kustomization -n team-a tenant --timeout=20s >/dev/null
	run -0 k get configmap app -n restricted
	k delete configmap app -n restricted >/dev/null
}

@test "kubeConfig.secretRef: objects go to the remote cluster; exec plugins and missing keys are refused" {
	k create secret generic remote-kc -n default --from-file=value.yaml="$W/remote/kubeconfig" \
		>/dev/null
	ks default remote ./remote "kubeConfig:" "  secretRef:" "    name: remote-kc"
	wait_ks default remote True ReconciliationSucceeded
	run -0 rk get configmap remote-cm -n default -o jsonpath='{.data.where}'
	[ "$output" = remote ]
	run ! k get configmap remote-cm -n default
	run -0 inventory default remote
	[ "$output" = "default_remote-cm__ConfigMap" ] || { echo "$output"; false; }
	# impersonation applies on the remote cluster as well (no RBAC for that SA there)
	k patch kustomization remote -n default --type merge \
		-p '{"spec":{"serviceAccountName":"nobody"}}' >/dev/null
	wait_msg default remote 'User "system:serviceaccount:default:nobody" cannot'
	k patch kustomization remote -n default --type json \
		-p '[{"op":"remove","path":"/spec/serviceAccountName"}]' >/dev/null
	wait_ks default remote True ReconciliationSucceeded
	# deleting the Kustomization prunes on the remote cluster
	k delete kustomization remote -n default --timeout=20s >/dev/null
	run ! rk get configmap remote-cm -n default
	# an exec credential plugin is refused with a clear error
	local server; server=$(sed -n 's/^ *server: //p' "$W/remote/kubeconfig")
	cat >"$W/exec.kubeconfig" <<-EOF
	apiVersion: v1
	kind: Config
	clusters:
	- name: c
	  cluster: {server: "$server"}
	users:
	- name: u
	  user:
	    exec:
	      apiVersion: client.authentication.k8s.io/v1
	      command: /bin/sh
	      args: ["-c", "touch $W/exec-ran"]
	contexts:
	- name: x
	  context: {cluster: c, user: u}
	current-context: x
	EOF
	k create secret generic exec-kc -n default --from-file=cfg="$W/exec.kubeconfig" >/dev/null
	ks default viaexec ./remote "kubeConfig:" "  secretRef:" "    name: exec-kc" "    key: cfg"
	wait_ks default viaexec False ReconciliationFailed
	run -0 cond default viaexec message
	[[ "$output" == "KubeConfig secret 'default/exec-kc': "*"exec credential plugins are not supported"* ]] \
		|| { echo "$output"; false; }
	[ ! -e "$W/exec-ran" ]
	# a file reference would read the controller's files: refused
	sed "s|server: \"$server\"}|server: \"$server\", certificate-authority: /etc/hostname}|" \
		"$W/exec.kubeconfig" | sed '/exec:/,/args:/d' >"$W/file.kubeconfig"
	k create secret generic file-kc -n default --from-file=value="$W/file.kubeconfig" >/dev/null
	ks default viafile ./remote "kubeConfig:" "  secretRef:" "    name: file-kc"
	wait_ks default viafile False ReconciliationFailed
	run -0 cond default viafile message
	[[ "$output" == *"file references (certificate-authority) are not allowed"* ]] \
		|| { echo "$output"; false; }
	# no 'value' key
	k create secret generic nokey-kc -n default --from-literal=other=x >/dev/null
	ks default nokey ./remote "kubeConfig:" "  secretRef:" "    name: nokey-kc"
	wait_ks default nokey False ReconciliationFailed
	run -0 cond default nokey message
	[ "$output" = "KubeConfig secret 'default/nokey-kc' does not contain a 'value' key with a kubeconfig" ] \
		|| { echo "$output"; false; }
	# insecure-skip-tls-verify is dropped (no --insecure-kubeconfig-tls): the server's
	# certificate is still verified, and without its CA that fails
	sed -e '/certificate-authority-data/d' \
		-e 's/^\( *\)server: /\1insecure-skip-tls-verify: true\n\1server: /' \
		"$W/remote/kubeconfig" >"$W/insecure.kubeconfig"
	grep -q 'insecure-skip-tls-verify: true' "$W/insecure.kubeconfig"
	k create secret generic insecure-kc -n default --from-file=value="$W/insecure.kubeconfig" \
		>/dev/null
	ks default insecure ./remote "kubeConfig:" "  secretRef:" "    name: insecure-kc"
	wait_ks default insecure False ReconciliationFailed
	run -0 cond default insecure message
	[[ "$output" == *"dry-run failed"*[Cc]ertificate* ]] || { echo "$output"; false; }
	# configMapRef (cloud provider identities) is refused
	ks default viacm ./remote "kubeConfig:" "  configMapRef:" "    name: whatever"
	wait_ks default viacm False ReconciliationFailed
	run -0 cond default viacm message
	[[ "$output" == *"configMapRef (cloud provider workload identity) is not supported"* ]] \
		|| { echo "$output"; false; }
	k delete kustomization -n default viaexec viafile nokey insecure viacm --timeout=20s \
		>/dev/null
}

@test "--no-remote-bases: a remote base gives BuildFailed" {
	ks default rbase ./remotebase
	wait_ks default rbase False BuildFailed
	run -0 cond default rbase message
	[[ "$output" == "kustomize build failed"*"https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v5.0.0: remote bases are disabled"* ]] \
		|| { echo "$output"; false; }
	k delete kustomization -n default rbase --timeout=20s >/dev/null
}

@test "ssa annotations: Ignore, IfNotPresent, Merge, reconcile disabled; unchanged objects are not written" {
	ks default annotated ./annotated
	wait_ks default annotated True ReconciliationSucceeded
	run -0 k get configmap plain merged once -n default -o name
	run ! k get configmap ignored -n default
	run ! k get configmap paused -n default
	# the inventory lists skipped objects too (Flux's change set)
	run -0 inventory default annotated
	[ "$output" = "$(printf '%s\n' default_{ignored,merged,once,paused,plain}__ConfigMap | sort)" ] \
		|| { echo "$output"; false; }
	# kubectl edits: reverted, except on ssa: Merge (fields of other managers are left) and
	# ssa: IfNotPresent (never patched once it exists)
	local o
	for o in plain merged once; do
		k patch configmap "$o" -n default --type merge -p '{"data":{"extra":"x","k":"changed"}}' \
			>/dev/null
	done
	request default annotated
	run -0 k get configmap plain -n default -o jsonpath='{.data.k}/{.data.extra}'
	[ "$output" = "v/" ] || { echo "$output"; false; }
	run -0 k get configmap merged -n default -o jsonpath='{.data.k}/{.data.extra}'
	[ "$output" = "v/x" ] || { echo "$output"; false; }
	run -0 k get configmap once -n default -o jsonpath='{.data.k}/{.data.extra}'
	[ "$output" = "changed/x" ] || { echo "$output"; false; }
	# kubectl's fields were handed over to kustomize-controller
	run -0 k get configmap plain -n default -o jsonpath='{.metadata.managedFields[*].manager}'
	[[ " $output " != *" kubectl-patch "* ]] || { echo "$output"; false; }
	# nothing drifted: a reconcile writes nothing
	local rv; rv=$(k get configmap plain -n default -o jsonpath='{.metadata.resourceVersion}')
	request default annotated
	[ "$(k get configmap plain -n default -o jsonpath='{.metadata.resourceVersion}')" = "$rv" ]
	grep -q 'ConfigMap/default/plain unchanged' "$W/kc.log"
	grep -q 'ConfigMap/default/ignored skipped' "$W/kc.log"
	k delete kustomization -n default annotated --timeout=20s >/dev/null
}

@test "spec.ignore: ignored fields keep their cluster values, other fields and objects are corrected" {
	local d n
	for n in web other; do
		d="${d:+$d
---
}apiVersion: apps/v1
kind: Deployment
metadata:
  name: $n
  namespace: default
  labels:
    app: $n
  annotations:
    hpa.example/owner: flux
spec:
  replicas: 2
  selector:
    matchLabels:
      app: $n
  template:
    metadata:
      labels:
        app: $n
    spec:
      containers:
      - name: c
        image: $n:1
"
	done
	gs_commit fleet ignore/deploy.yaml "$d"
	push
	# the replicas of Deployments named w.b labelled app=web are not Flux's to correct;
	# pointer escapes: ~1 is '/' (an annotation key with a slash)
	ks default ignore ./ignore 'ignore:' \
		'- paths: ["/spec/replicas", "/metadata/annotations/hpa.example~1owner"]' \
		'  target: {group: apps, kind: Deployment, name: "w.b", labelSelector: "app=web"}'
	wait_ks default ignore True ReconciliationSucceeded
	[ "$(k get deploy web -n default -o jsonpath='{.spec.replicas}')" = 2 ]
	# drift only in ignored fields: left alone, nothing written, logged as unchanged
	# (an autoscaler's patch: kubectl's own fields would be taken over by the clean-up, and
	# eddy-apiserver records `kubectl scale` as an Update of the object, not of /scale)
	k patch deploy web -n default --field-manager hpa-controller -p '{"spec":{"replicas":5}}' \
		>/dev/null
	# another controller takes the annotation over by server-side apply
	k apply --server-side --field-manager keda --force-conflicts -f - >/dev/null <<-EOF
	apiVersion: apps/v1
	kind: Deployment
	metadata:
	  name: web
	  namespace: default
	  annotations:
	    hpa.example/owner: keda
	EOF
	k scale deploy other -n default --replicas=4 >/dev/null
	local rv; rv=$(k get deploy web -n default -o jsonpath='{.metadata.resourceVersion}')
	local from; from=$(wc -c <"$W/kc.log")
	request default ignore
	[ "$(k get deploy web -n default -o jsonpath='{.spec.replicas}')" = 5 ]
	run -0 tail -c +$((from + 1)) "$W/kc.log"
	[[ "$output" == *'Deployment/default/web unchanged'* ]] || { echo "$output"; false; }
	[ "$(k get deploy web -n default -o jsonpath='{.metadata.resourceVersion}')" = "$rv" ]
	# the object the target does not match is fully corrected
	[ "$(k get deploy other -n default -o jsonpath='{.spec.replicas}')" = 2 ]
	[[ "$output" == *'Deployment/default/other configured'* ]] || { echo "$output"; false; }
	# another field of web drifts: reverted, while the ignored replicas and annotation stay
	k set image deploy/web -n default c=web:hotfix >/dev/null
	from=$(wc -c <"$W/kc.log")
	request default ignore
	run -0 k get deploy web -n default -o \
		jsonpath='{.spec.template.spec.containers[0].image}/{.spec.replicas}'
	[ "$output" = "web:1/5" ] || { echo "$output"; false; }
	run -0 k get deploy web -n default -o jsonpath='{.metadata.annotations.hpa\.example/owner}'
	[ "$output" = keda ] || { echo "$output"; false; }
	# the annotation co-owned by keda's apply was left out of ours (released); the replicas
	# (an Update) were sent with the live value
	run -0 k get deploy web -n default -o \
		jsonpath='{.metadata.managedFields[?(@.manager=="kustomize-controller")].fieldsV1}'
	[[ "$output" != *'hpa.example/owner'* && "$output" == *'f:replicas'* ]] \
		|| { echo "$output"; false; }
	run -0 tail -c +$((from + 1)) "$W/kc.log"
	[[ "$output" == *'Deployment/default/web configured'* ]] || { echo "$output"; false; }
	# without the rule the replicas are corrected too
	ks default ignore ./ignore
	wait_ks default ignore True ReconciliationSucceeded
	request default ignore
	[ "$(k get deploy web -n default -o jsonpath='{.spec.replicas}')" = 2 ]
	run -0 k get deploy web -n default -o jsonpath='{.metadata.annotations.hpa\.example/owner}'
	[ "$output" = flux ] || { echo "$output"; false; }
	k delete kustomization -n default ignore --timeout=20s >/dev/null
}

@test "immutable fields: an error without force, recreated with spec.force or the force annotation" {
	ks default frozen ./frozen
	ks default jobs ./jobs
	wait_ks default frozen True ReconciliationSucceeded
	wait_ks default jobs True ReconciliationSucceeded
	local uid job_uid
	uid=$(k get configmap frozen -n default -o jsonpath='{.metadata.uid}')
	job_uid=$(k get job migrate -n default -o jsonpath='{.metadata.uid}')
	gs_commit fleet frozen/cm.yaml "apiVersion: v1
kind: ConfigMap
metadata:
  name: frozen
  namespace: default
immutable: true
data:
  v: \"2\"
"
	gs_commit fleet jobs/job.yaml "apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  namespace: default
  annotations:
    kustomize.toolkit.fluxcd.io/force: Enabled
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: m
        image: migrate:2
"
	push
	wait_ks default frozen False ReconciliationFailed
	run -0 cond default frozen message
	[[ "$output" == 'ConfigMap/default/frozen dry-run failed (Invalid): '*'field is immutable'* ]] \
		|| { echo "$output"; false; }
	[ "$(k get configmap frozen -n default -o jsonpath='{.data.v}')" = 1 ]
	# the Job carries kustomize.toolkit.fluxcd.io/force: Enabled: recreated
	wait_applied default jobs 20
	run -0 k get job migrate -n default -o jsonpath='{.spec.template.spec.containers[0].image}'
	[ "$output" = migrate:2 ]
	[ "$(k get job migrate -n default -o jsonpath='{.metadata.uid}')" != "$job_uid" ]
	# spec.force: recreated
	k patch kustomization frozen -n default --type merge -p '{"spec":{"force":true}}' >/dev/null
	wait_ks default frozen True ReconciliationSucceeded
	[ "$(k get configmap frozen -n default -o jsonpath='{.data.v}')" = 2 ]
	[ "$(k get configmap frozen -n default -o jsonpath='{.metadata.uid}')" != "$uid" ]
	k delete kustomization -n default frozen jobs --timeout=20s >/dev/null
}

@test "--custom-apply-stage-kinds: Roles and RoleBindings applied before the objects needing them" {
	# deployer may only manage RBAC in rbacns; the Kustomization grants it the rest
	k create namespace rbacns >/dev/null
	k apply -f - >/dev/null <<-'EOF'
	apiVersion: rbac.authorization.k8s.io/v1
	kind: Role
	metadata: {name: rbac-manager, namespace: rbacns}
	rules:
	- apiGroups: [rbac.authorization.k8s.io]
	  resources: [roles, rolebindings]
	  verbs: ["*"]
	EOF
	k create rolebinding rbac-manager -n rbacns --role=rbac-manager \
		--serviceaccount=team-a:deployer >/dev/null
	ks team-a rbac ./rbac "serviceAccountName: deployer"
	# one stage: the ConfigMap's dry-run runs before the RoleBinding exists
	wait_ks team-a rbac False ReconciliationFailed
	run -0 cond team-a rbac message
	[[ "$output" == 'ConfigMap/rbacns/cfg dry-run failed (Forbidden): '* ]] \
		|| { echo "$output"; false; }
	run ! k get role cm-writer -n rbacns
	stop_pid "$(cat "$W/kc.pid")"
	start_kc --custom-apply-stage-kinds=rbac.authorization.k8s.io/Role,rbac.authorization.k8s.io/RoleBinding
	wait_ks team-a rbac True ReconciliationSucceeded
	run -0 k get configmap cfg -n rbacns -o jsonpath='{.data.k}'
	[ "$output" = v ]
	run -0 inventory team-a rbac
	[ "$output" = "$(printf '%s\n' rbacns_cfg__ConfigMap \
		rbacns_cm-writer_rbac.authorization.k8s.io_Role \
		rbacns_cm-writer_rbac.authorization.k8s.io_RoleBinding | sort)" ] \
		|| { echo "$output"; false; }
	# in the log: the custom stage before the last one
	run -0 grep -o 'Role/rbacns/cm-writer created\\nRoleBinding/rbacns/cm-writer created' \
		"$W/kc.log"
	k patch kustomization rbac -n team-a --type merge -p '{"spec":{"prune":false}}' >/dev/null
	k delete kustomization -n team-a rbac --timeout=20s >/dev/null
}

@test "--default-service-account: used when spec.serviceAccountName is empty; --override-manager" {
	stop_pid "$(cat "$W/kc.pid")"
	start_kc --default-service-account=deployer --override-manager=my-tool
	k create namespace other >/dev/null
	ks team-a defsa ./other
	wait_ks team-a defsa False ReconciliationFailed
	run -0 cond team-a defsa message
	[[ "$output" == *'User "system:serviceaccount:team-a:deployer" cannot'*'in the namespace "other"'* ]] \
		|| { echo "$output"; false; }
	run ! k get configmap app -n other
	k create rolebinding deployer-edit -n other --clusterrole=edit \
		--serviceaccount=team-a:deployer >/dev/null
	request team-a defsa
	wait_ks team-a defsa True ReconciliationSucceeded
	run -0 k get configmap app -n other
	# fields written by an --override-manager are taken over and removed; other managers'
	# fields stay (server-side apply only removes what kustomize-controller owns)
	k patch configmap app -n other --field-manager=my-tool --type merge \
		-p '{"data":{"mine":"x"}}' >/dev/null
	k patch configmap app -n other --field-manager=other-tool --type merge \
		-p '{"data":{"theirs":"y"}}' >/dev/null
	request team-a defsa
	run -0 k get configmap app -n other -o jsonpath='{.data.k}/{.data.mine}/{.data.theirs}'
	[ "$output" = "v//y" ] || { echo "$output"; false; }
	k delete kustomization -n team-a defsa --timeout=20s >/dev/null
	run ! k get configmap app -n other
}

@test "the controllers and both API servers stop cleanly on SIGTERM (no sanitizer report)" {
	local p
	for p in kc sc api remote; do
		stop_pid "$(cat "$W/$p.pid")"
		run ! kill -0 "$(cat "$W/$p.pid")"
	done
	run ! grep -E "ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:" \
		"$W/kc.log" "$W/sc.log" "$W/api.log" "$W/remote.log"
}
