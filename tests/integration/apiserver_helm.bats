#!/usr/bin/env bats
# eddy-apiserver driven by the real helm v4 (protobuf Secrets, SSA, OpenAPI validation).

load apiserver_common

setup_file() {
	export WORK="$BATS_FILE_TMPDIR/work"
	mkdir -p "$WORK"
	start_apiserver "$WORK/data" --simulate-workloads
	echo "$APISERVER_PID" >"$WORK/pid"
	export HELM_CACHE_HOME="$WORK/helm/cache" HELM_CONFIG_HOME="$WORK/helm/config"
	export HELM_DATA_HOME="$WORK/helm/data"
	(cd "$WORK" && "$HELM" create mychart >/dev/null)
}

teardown_file() {
	APISERVER_PID=$(cat "$WORK/pid")
	stop_apiserver
}

@test "helm install, list, upgrade, history, rollback, uninstall" {
	run "$HELM" install r1 "$WORK/mychart"
	[ "$status" -eq 0 ]
	[[ "$output" == *"STATUS: deployed"* ]]
	run "$HELM" list
	[[ "$output" == *"r1"*"default"*"1"*"deployed"*"mychart-0.1.0"* ]]
	run k get deploy r1-mychart -o jsonpath='{.spec.replicas} {.metadata.labels.app\.kubernetes\.io/managed-by}'
	[ "$output" = "1 Helm" ]
	run "$HELM" upgrade r1 "$WORK/mychart" --set replicaCount=2
	[ "$status" -eq 0 ]
	run k get deploy r1-mychart -o jsonpath='{.spec.replicas}'
	[ "$output" = "2" ]
	run "$HELM" history r1
	[[ "$output" == *"1"*"superseded"*"Install complete"* ]]
	[[ "$output" == *"2"*"deployed"*"Upgrade complete"* ]]
	run "$HELM" rollback r1 1
	[ "$status" -eq 0 ]
	run k get deploy r1-mychart -o jsonpath='{.spec.replicas}'
	[ "$output" = "1" ]
	run "$HELM" history r1 -o json
	[[ "$output" == *'"revision":3'*'"status":"deployed"'* ]]
	run "$HELM" uninstall r1
	[ "$status" -eq 0 ]
	run k get deploy r1-mychart
	[ "$status" -ne 0 ]
	run "$HELM" list -q
	[ -z "$output" ]
}

@test "helm release Secrets are readable as JSON with kubectl" {
	"$HELM" install r2 "$WORK/mychart" --set service.port=8080
	run k get secret -l owner=helm,name=r2 -o json
	[ "$status" -eq 0 ]
	[[ "$output" == *'"type": "helm.sh/release.v1"'* ]]
	[[ "$output" == *'"name": "sh.helm.release.v1.r2.v1"'* ]]
	[[ "$output" == *'"status": "deployed"'* ]]
	# data.release = base64(base64(gzip(JSON)))
	local rel
	rel=$(k get secret sh.helm.release.v1.r2.v1 -o jsonpath='{.data.release}' | base64 -d | base64 -d | gzip -dc)
	[[ "$rel" == *'"name":"r2"'* ]]
	[[ "$rel" == *'"port":8080'* ]]
	run "$HELM" install r3 "$WORK/mychart" --wait --timeout 30s
	[ "$status" -eq 0 ]
	"$HELM" uninstall r2 r3
}

@test "helm installs CRDs from crds/ and custom resources; client-side upgrade" {
	cp -r "$WORK/mychart" "$WORK/crdchart"
	mkdir -p "$WORK/crdchart/crds"
	cp "$EDDY_SRC/config/crd/source.toolkit.fluxcd.io_gitrepositories.yaml" "$WORK/crdchart/crds/"
	cat >"$WORK/crdchart/templates/gr.yaml" <<-'EOF2'
	apiVersion: source.toolkit.fluxcd.io/v1
	kind: GitRepository
	metadata:
	  name: {{ .Release.Name }}-repo
	spec:
	  interval: 1m
	  url: https://example.com/repo
	EOF2
	run "$HELM" install c1 "$WORK/crdchart"
	[ "$status" -eq 0 ]
	run k get gitrepo c1-repo -o jsonpath='{.spec.url} {.spec.timeout}'
	[ "$output" = "https://example.com/repo 60s" ]
	run "$HELM" upgrade c1 "$WORK/crdchart" --server-side=false --set replicaCount=3
	[ "$status" -eq 0 ]
	run k get deploy c1-mychart -o jsonpath='{.spec.replicas}'
	[ "$output" = "3" ]
	run "$HELM" uninstall c1
	[ "$status" -eq 0 ]
	run k get gitrepo c1-repo
	[ "$status" -ne 0 ]
}
