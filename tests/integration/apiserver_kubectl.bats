#!/usr/bin/env bats
# eddy-apiserver driven by the real kubectl (v1.33): CRUD, apply (client- and server-side),
# patches, watch, wait, explain, diff, CRDs with printer columns, finalizers, GC, namespaces.

load apiserver_common

setup_file() {
	export WORK="$BATS_FILE_TMPDIR/work"
	mkdir -p "$WORK"
	# Workloads need status for `kubectl wait --for=condition=Available`.
	start_apiserver "$WORK/data" --simulate-workloads
	echo "$APISERVER_PID" >"$WORK/pid"
}

teardown_file() {
	APISERVER_PID=$(cat "$WORK/pid")
	stop_apiserver
}

@test "version, discovery and api-resources" {
	run k version -o json
	[ "$status" -eq 0 ]
	[[ "$output" == *'"gitVersion": "v1.33.0"'* ]]
	run k api-resources
	[ "$status" -eq 0 ]
	[[ "$output" == *"deployments"*"deploy"*"apps/v1"*"true"*"Deployment"* ]]
	[[ "$output" == *"configmaps"*"cm"*"v1"*"true"*"ConfigMap"* ]]
	[[ "$output" == *"customresourcedefinitions"*"crd,crds"* ]]
	[[ "$output" == *"clusterroles"*"rbac.authorization.k8s.io/v1"*"false"* ]]
	run k get ns
	[[ "$output" == *"default"*"Active"* ]]
	[[ "$output" == *"kube-system"* ]]
	run curl -s "$APISERVER_URL/readyz"
	[ "$output" = "ok" ]
	# legacy discovery
	run curl -s "$APISERVER_URL/apis/apps/v1"
	[[ "$output" == *'"name":"deployments/scale"'* ]]
}

@test "configmap: create, get -o yaml, apply, apply --server-side, diff" {
	k create configmap c1 --from-literal=a=1
	run k get configmap c1 -o yaml
	[ "$status" -eq 0 ]
	[[ "$output" == *"a: \"1\""* ]]
	[[ "$output" == *"resourceVersion:"* ]]
	[[ "$output" == *"uid:"* ]]
	cat >"$WORK/c2.yaml" <<-EOF
	apiVersion: v1
	kind: ConfigMap
	metadata:
	  name: c2
	  labels: {app: demo}
	data:
	  k: v
	EOF
	run k apply -f "$WORK/c2.yaml"
	[ "$status" -eq 0 ]
	[[ "$output" == "configmap/c2 created" ]]
	sed -i 's/k: v/k: v2/' "$WORK/c2.yaml"
	run k diff -f "$WORK/c2.yaml"
	[ "$status" -eq 1 ]
	[[ "$output" == *"-  k: v"* ]]
	[[ "$output" == *"+  k: v2"* ]]
	run k apply -f "$WORK/c2.yaml"
	[[ "$output" == "configmap/c2 configured" ]]
	run k diff -f "$WORK/c2.yaml"
	[ "$status" -eq 0 ]
	run k get cm c2 -o jsonpath='{.data.k}'
	[ "$output" = "v2" ]
	echo '  extra: "x"' >>"$WORK/c2.yaml"
	run k apply --server-side -f "$WORK/c2.yaml"
	[ "$status" -eq 0 ]
	[[ "$output" == "configmap/c2 serverside-applied" ]]
	run k get cm c2 -o jsonpath='{.metadata.managedFields[*].manager}'
	[[ "$output" == *"kubectl"* ]]
	run k get cm c2 -o jsonpath='{.data.extra}'
	[ "$output" = "x" ]
}

@test "patch (merge, json, strategic), label, annotate" {
	k create configmap p1 --from-literal=a=1
	run k patch cm p1 --type=merge -p '{"data":{"m":"1"}}'
	[ "$status" -eq 0 ]
	run k patch cm p1 --type=json -p '[{"op":"add","path":"/data/j","value":"2"}]'
	[ "$status" -eq 0 ]
	run k patch cm p1 -p '{"data":{"s":"3"}}'
	[ "$status" -eq 0 ]
	run k patch cm p1 --type=json -p '[{"op":"remove","path":"/data/nope"}]'
	[ "$status" -ne 0 ]
	k label cm p1 tier=web
	k annotate cm p1 note=hello
	run k get cm p1 -o jsonpath='{.data.m}{.data.j}{.data.s} {.metadata.labels.tier} {.metadata.annotations.note}'
	[ "$output" = "123 web hello" ]
	run k get cm -l tier=web -o name
	[ "$output" = "configmap/p1" ]
	run k get cm -l 'tier in (db,web),!missing' -o name
	[ "$output" = "configmap/p1" ]
	run k get cm --field-selector metadata.name=p1 -o name
	[ "$output" = "configmap/p1" ]
	run k get cm --field-selector spec.bogus=1
	[ "$status" -ne 0 ]
	[[ "$output" == *"field label not supported: spec.bogus"* ]]
}

@test "deployment: apply, generation, strategic patch of containers, wait, scale" {
	cat >"$WORK/d1.yaml" <<-EOF
	apiVersion: apps/v1
	kind: Deployment
	metadata:
	  name: d1
	spec:
	  replicas: 1
	  selector: {matchLabels: {app: d1}}
	  template:
	    metadata: {labels: {app: d1}}
	    spec:
	      containers:
	      - name: web
	        image: nginx:1
	      - name: side
	        image: busybox:1
	EOF
	k apply -f "$WORK/d1.yaml"
	run k get deploy d1 -o jsonpath='{.metadata.generation}'
	[ "$output" = "1" ]
	k label deploy d1 x=1
	run k get deploy d1 -o jsonpath='{.metadata.generation}'
	[ "$output" = "1" ]
	k patch deploy d1 -p '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:2"}]}}}}'
	run k get deploy d1 -o jsonpath='{.metadata.generation} {.spec.template.spec.containers[*].image}'
	[ "$output" = "2 nginx:2 busybox:1" ]
	run k wait --for=condition=Available deploy/d1 --timeout=10s
	[ "$status" -eq 0 ]
	k scale deploy d1 --replicas=3
	run k get deploy d1 -o jsonpath='{.spec.replicas}'
	[ "$output" = "3" ]
	run k apply --server-side -f "$WORK/d1.yaml" --force-conflicts
	[ "$status" -eq 0 ]
}

@test "get -w streams changes" {
	k create cm w0
	k get cm -w --output-watch-events --request-timeout=60s >"$WORK/watch.out" 2>&1 &
	local wp=$!
	sleep 1
	k create cm w1
	k label cm w1 a=b
	k delete cm w1
	local i
	for i in $(seq 1 50); do
		grep -q "DELETED.*w1" "$WORK/watch.out" && break
		sleep 0.1
	done
	kill "$wp" 2>/dev/null || true
	wait "$wp" || true
	run cat "$WORK/watch.out"
	[[ "$output" == *"ADDED"*"w1"* ]]
	[[ "$output" == *"MODIFIED"*"w1"* ]]
	[[ "$output" == *"DELETED"*"w1"* ]]
}

@test "explain and status errors" {
	run k explain configmaps
	[ "$status" -eq 0 ]
	[[ "$output" == *"KIND:"*"ConfigMap"* ]]
	run k get cm nope
	[ "$status" -ne 0 ]
	[[ "$output" == *'Error from server (NotFound): configmaps "nope" not found'* ]]
	k create cm dup
	run k create cm dup
	[[ "$output" == *'configmaps "dup" already exists'* ]]
	run k create cm Bad_Name
	[[ "$output" == *'ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain'* ]]
	run k create cm x -n nowhere
	[[ "$output" == *'namespaces "nowhere" not found'* ]]
	# optimistic concurrency
	local rv
	rv=$(k get cm dup -o jsonpath='{.metadata.resourceVersion}')
	k label cm dup bump=1
	run curl -s -X PUT -H 'Content-Type: application/json' \
		"$APISERVER_URL/api/v1/namespaces/default/configmaps/dup" \
		-d "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"dup\",\"resourceVersion\":\"$rv\"}}"
	[[ "$output" == *'"code":409'* ]]
	[[ "$output" == *'Operation cannot be fulfilled on configmaps \"dup\": the object has been modified; please apply your changes to the latest version and try again'* ]]
	# dry run persists nothing
	run k create cm dry --dry-run=server
	[ "$status" -eq 0 ]
	run k get cm dry
	[ "$status" -ne 0 ]
}

@test "CRD: established, printer columns, validation, defaults, status subresource, wait" {
	cat >"$WORK/crd.yaml" <<-'EOF'
	apiVersion: apiextensions.k8s.io/v1
	kind: CustomResourceDefinition
	metadata:
	  name: widgets.example.com
	spec:
	  group: example.com
	  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
	  scope: Namespaced
	  versions:
	  - name: v1
	    served: true
	    storage: true
	    subresources: {status: {}}
	    additionalPrinterColumns:
	    - {name: Size, type: integer, jsonPath: .spec.size}
	    - {name: Ready, type: string, jsonPath: '.status.conditions[?(@.type=="Ready")].status'}
	    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
	    schema:
	      openAPIV3Schema:
	        type: object
	        properties:
	          spec:
	            type: object
	            required: [size]
	            properties:
	              size: {type: integer, minimum: 1}
	              color: {type: string, default: blue, enum: [blue, red]}
	          status:
	            type: object
	            x-kubernetes-preserve-unknown-fields: true
	EOF
	k apply -f "$WORK/crd.yaml"
	run k wait --for=condition=Established crd/widgets.example.com --timeout=10s
	[ "$status" -eq 0 ]
	cat >"$WORK/w1.yaml" <<-'EOF'
	apiVersion: example.com/v1
	kind: Widget
	metadata: {name: w1}
	spec: {size: 3}
	EOF
	run k apply -f "$WORK/w1.yaml"
	[ "$status" -eq 0 ]
	run k get widgets
	[[ "${lines[0]}" == *"NAME"*"SIZE"*"READY"*"AGE"* ]]
	[[ "${lines[1]}" == w1*3* ]]
	run k get wd w1 -o jsonpath='{.spec.color} {.metadata.generation}'
	[ "$output" = "blue 1" ]
	run k apply -f - <<-'EOF'
	apiVersion: example.com/v1
	kind: Widget
	metadata: {name: bad}
	spec: {size: "big"}
	EOF
	[ "$status" -ne 0 ]
	[[ "$output" == *'The Widget "bad" is invalid: spec.size: Invalid value: "string": spec.size in body must be of type integer: "string"'* ]]
	# status only through /status; main resource writes ignore it
	k patch widget w1 --subresource=status --type=merge \
		-p '{"status":{"conditions":[{"type":"Ready","status":"True"}]}}'
	run k wait --for=condition=Ready widget/w1 --timeout=10s
	[ "$status" -eq 0 ]
	run k get widgets
	[[ "${lines[1]}" == w1*3*True* ]]
	k patch widget w1 --type=merge -p '{"spec":{"size":5}}'
	run k get wd w1 -o jsonpath='{.metadata.generation} {.status.conditions[0].status}'
	[ "$output" = "2 True" ]
	run k patch widget w1 -p '{"spec":{"size":6}}'
	[ "$status" -ne 0 ]
	# server-side apply on /status records a status Apply entry
	run curl -s -X PATCH -H 'Content-Type: application/apply-patch+yaml' \
		"$APISERVER_URL/apis/example.com/v1/namespaces/default/widgets/w1/status?fieldManager=ctrl" \
		-d '{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w1"},"status":{"phase":"Up"}}'
	[[ "$output" == *'"phase":"Up"'* ]]
	run k get wd w1 -o jsonpath='{.status.phase} {.metadata.generation}'
	[ "$output" = "Up 2" ]
	run k get wd w1 -o jsonpath='{.metadata.managedFields[?(@.manager=="ctrl")].subresource}'
	[ "$output" = "status" ]
	run k explain widget.spec
	[ "$status" -eq 0 ]
	[[ "$output" == *"size"*"<integer>"* ]]
	run k diff -f "$WORK/w1.yaml"
	[ "$status" -eq 1 ]
}

@test "server-side apply conflicts are reported as kubectl expects" {
	cat >"$WORK/s1.yaml" <<-'EOF'
	apiVersion: v1
	kind: ConfigMap
	metadata: {name: s1}
	data: {k: one}
	EOF
	k apply --server-side --field-manager=alice -f "$WORK/s1.yaml"
	sed -i 's/one/two/' "$WORK/s1.yaml"
	run k apply --server-side --field-manager=bob -f "$WORK/s1.yaml"
	[ "$status" -ne 0 ]
	[[ "$output" == *'Apply failed with 1 conflict: conflict with "alice": .data.k'* ]]
	[[ "$output" == *"--force-conflicts"* ]]
	run k apply --server-side --field-manager=bob --force-conflicts -f "$WORK/s1.yaml"
	[ "$status" -eq 0 ]
	run k get cm s1 -o jsonpath='{.data.k}'
	[ "$output" = "two" ]
}

@test "finalizers, deletionTimestamp and generateName" {
	k apply -f - <<-'EOF'
	apiVersion: v1
	kind: ConfigMap
	metadata: {name: f1, finalizers: [example.com/hold]}
	EOF
	k delete cm f1 --wait=false
	run k get cm f1 -o jsonpath='{.metadata.deletionTimestamp}'
	[ -n "$output" ]
	k patch cm f1 --type=merge -p '{"metadata":{"finalizers":null}}'
	run k get cm f1
	[ "$status" -ne 0 ]
	run k create -f - -o name <<-'EOF'
	apiVersion: v1
	kind: ConfigMap
	metadata: {generateName: gen-}
	EOF
	[[ "$output" =~ ^configmap/gen-[a-z0-9]{5}$ ]]
}

@test "garbage collection: background, foreground, orphan" {
	for mode in background foreground orphan; do
		k create cm "own-$mode"
		local uid
		uid=$(k get cm "own-$mode" -o jsonpath='{.metadata.uid}')
		k apply -f - <<-EOF
		apiVersion: v1
		kind: ConfigMap
		metadata:
		  name: dep-$mode
		  ownerReferences:
		  - {apiVersion: v1, kind: ConfigMap, name: own-$mode, uid: "$uid"}
		EOF
		k delete cm "own-$mode" --cascade="$mode" --timeout=10s
	done
	sleep 0.5
	run k get cm dep-background
	[ "$status" -ne 0 ]
	run k get cm dep-foreground
	[ "$status" -ne 0 ]
	run k get cm dep-orphan -o jsonpath='{.metadata.ownerReferences}'
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "namespace deletion empties the namespace" {
	k create ns gone
	k create cm -n gone a
	k create secret generic -n gone s --from-literal=x=y
	run k delete ns gone --timeout=10s
	[ "$status" -eq 0 ]
	run k get ns gone
	[ "$status" -ne 0 ]
	run k get cm -n gone -o name
	[ -z "$output" ]
}

@test "pagination with limit and continue" {
	k create ns pages
	for i in $(seq 1 7); do k create cm -n pages "p$i" >/dev/null; done
	run curl -s "$APISERVER_URL/api/v1/namespaces/pages/configmaps?limit=3"
	[[ "$output" == *'"continue":"'* ]]
	[[ "$output" == *'"remainingItemCount":4'* ]]
	run k get cm -n pages --chunk-size=2 -o name
	[ "${#lines[@]}" -eq 7 ]
}

@test "CRD with two versions (conversion None), unknown-field warnings, CRD deletion" {
	cat >"$WORK/mv.yaml" <<-'EOF2'
	apiVersion: apiextensions.k8s.io/v1
	kind: CustomResourceDefinition
	metadata:
	  name: gadgets.example.com
	spec:
	  group: example.com
	  names: {plural: gadgets, singular: gadget, kind: Gadget}
	  scope: Cluster
	  versions:
	  - name: v1beta1
	    served: true
	    storage: false
	    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
	  - name: v1
	    served: true
	    storage: true
	    schema:
	      openAPIV3Schema:
	        type: object
	        properties:
	          spec: {type: object, properties: {a: {type: string}}}
	EOF2
	k apply -f "$WORK/mv.yaml"
	k wait --for=condition=Established crd/gadgets.example.com --timeout=10s
	echo '{"apiVersion":"example.com/v1beta1","kind":"Gadget","metadata":{"name":"g1"},"spec":{"a":"x"}}' | k apply -f -
	run k get gadgets.v1beta1.example.com g1 -o jsonpath='{.apiVersion}'
	[ "$output" = "example.com/v1beta1" ]
	run k get gadget g1 -o jsonpath='{.apiVersion} {.spec.a}'
	[ "$output" = "example.com/v1 x" ]
	run k get crd gadgets.example.com -o jsonpath='{.status.storedVersions}'
	[ "$output" = '["v1"]' ]
	run k create -f - --validate=warn <<<'{"apiVersion":"example.com/v1","kind":"Gadget","metadata":{"name":"g2"},"spec":{"a":"x","zz":1}}'
	[ "$status" -eq 0 ]
	[[ "$output" == *'Warning: unknown field "spec.zz"'* ]]
	run k get gadget g2 -o jsonpath='{.spec}'
	[ "$output" = '{"a":"x"}' ]
	k delete crd gadgets.example.com
	run k get --raw /apis/example.com/v1/gadgets
	[ "$status" -ne 0 ]
	run curl -s "$APISERVER_URL/apis/example.com/v1"
	[[ "$output" != *'gadgets'* ]]
	[[ "$output" == *'widgets'* ]]
}

@test "kubectl create deployment / expose / run (protobuf bodies)" {
	k create deployment web --image=nginx:1 --port=80 --replicas=2
	run k get deploy web -o jsonpath='{.spec.replicas} {.spec.selector.matchLabels.app} {.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].ports[0].containerPort}'
	[ "$output" = "2 web nginx:1 80" ]
	k expose deploy web --port=8080 --target-port=80
	run k get svc web -o jsonpath='{.spec.ports[0].port} {.spec.ports[0].targetPort} {.spec.selector.app}'
	[ "$output" = "8080 80 web" ]
	k run p1 --image=busybox --command -- sleep 10
	run k get pod p1 -o jsonpath='{.spec.containers[0].command}'
	[ "$output" = '["sleep","10"]' ]
	k create job j1 --image=busybox -- echo hi
	run k get job j1 -o jsonpath='{.spec.template.spec.restartPolicy} {.spec.template.spec.containers[0].command}'
	[ "$output" = 'Never ["echo","hi"]' ]
	k create cronjob cj1 --image=busybox --schedule='*/5 * * * *' -- echo hi
	run k get cronjob cj1 -o jsonpath='{.spec.schedule}'
	[ "$output" = '*/5 * * * *' ]
	k create sa robot
	k create role r1 --verb=get --resource=pods
	k create rolebinding rb1 --role=r1 --serviceaccount=default:robot
	run k get rolebinding rb1 -o jsonpath='{.subjects[0].kind}/{.subjects[0].name} {.roleRef.name}'
	[ "$output" = "ServiceAccount/robot r1" ]
}

@test "Flux CRDs install and their objects validate, default, print and take status" {
	run k apply --server-side -f "$EDDY_SRC/config/crd/"
	[ "$status" -eq 0 ]
	k wait --for=condition=Established crd --all --timeout=20s
	k apply -f - <<-'EOF2'
	apiVersion: source.toolkit.fluxcd.io/v1
	kind: GitRepository
	metadata: {name: podinfo}
	spec:
	  interval: 1m
	  url: https://github.com/stefanprodan/podinfo
	  ref: {branch: master}
	---
	apiVersion: kustomize.toolkit.fluxcd.io/v1
	kind: Kustomization
	metadata: {name: apps}
	spec:
	  interval: 10m
	  path: ./kustomize
	  prune: true
	  sourceRef: {kind: GitRepository, name: podinfo}
	---
	apiVersion: helm.toolkit.fluxcd.io/v2
	kind: HelmRelease
	metadata: {name: hr}
	spec:
	  interval: 5m
	  chart:
	    spec:
	      chart: podinfo
	      sourceRef: {kind: HelmRepository, name: podinfo}
	EOF2
	run k get gitrepositories
	[[ "${lines[0]}" == *"NAME"*"URL"*"AGE"*"READY"*"STATUS"* ]]
	[[ "${lines[1]}" == podinfo*"https://github.com/stefanprodan/podinfo"* ]]
	run k get gitrepo podinfo -o jsonpath='{.spec.timeout}'
	[ "$output" = "60s" ]
	run k get ks apps -o jsonpath='{.spec.sourceRef.kind}/{.spec.sourceRef.name}'
	[ "$output" = "GitRepository/podinfo" ]
	run k apply -f - <<-'EOF2'
	apiVersion: source.toolkit.fluxcd.io/v1
	kind: GitRepository
	metadata: {name: bad}
	spec: {interval: soon, url: https://example.com/x}
	EOF2
	[ "$status" -ne 0 ]
	[[ "$output" == *'The GitRepository "bad" is invalid: spec.interval: Invalid value: "soon": spec.interval in body should match'* ]]
	k patch gitrepo podinfo --subresource=status --type=merge -p \
		'{"status":{"observedGeneration":1,"conditions":[{"type":"Ready","status":"True","reason":"Succeeded","message":"stored artifact","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}'
	run k wait --for=condition=Ready gitrepo/podinfo --timeout=10s
	[ "$status" -eq 0 ]
	run k get gitrepo podinfo
	[[ "${lines[1]}" == *"True"*"stored artifact"* ]]
	run k explain kustomization.spec.prune
	[ "$status" -eq 0 ]
	[[ "$output" == *"<boolean>"* ]]
}

@test "deletecollection with a label selector, preconditions, propagation errors" {
	k create ns dc
	for i in 1 2 3; do k create cm -n dc "x$i" >/dev/null; done
	k label cm -n dc x1 x2 group=a >/dev/null
	run curl -s -X DELETE "$APISERVER_URL/api/v1/namespaces/dc/configmaps?labelSelector=group%3Da"
	[[ "$output" == *'"status":"Success"'* ]]
	run k get cm -n dc -o name
	[ "$output" = "configmap/x3" ]
	run curl -s -X DELETE -H 'Content-Type: application/json' \
		"$APISERVER_URL/api/v1/namespaces/dc/configmaps/x3" -d '{"preconditions":{"uid":"nope"}}'
	[[ "$output" == *'"code":409'* ]]
	[[ "$output" == *'Precondition failed: UID in precondition: nope'* ]]
	run curl -s -X DELETE -H 'Content-Type: application/json' \
		"$APISERVER_URL/api/v1/namespaces/dc/configmaps/x3" -d '{"propagationPolicy":"Sideways"}'
	[[ "$output" == *'"code":422'* ]]
	run curl -s -X DELETE "$APISERVER_URL/api/v1/namespaces/dc/configmaps/x3?dryRun=All"
	[[ "$output" == *'"status":"Success"'* ]]
	run k get cm -n dc x3 -o name
	[ "$output" = "configmap/x3" ]
	run curl -s "$APISERVER_URL/api/v1/namespaces/dc/configmaps?watch=1&resourceVersion=notanumber"
	[[ "$output" == *'"code":400'* ]]
	run curl -s -o /dev/null -w '%{http_code}' "$APISERVER_URL/api/v1/nosuchthings"
	[ "$output" = "404" ]
	run curl -s -X PATCH -H 'Content-Type: application/strategic-merge-patch+json' \
		"$APISERVER_URL/apis/example.com/v1/namespaces/default/widgets/w1" -d '{}'
	[[ "$output" == *'"code":415'* ]]
}

# One object of each kind through the whole verb matrix.
matrix_manifest() { # kind name value
	case $1 in
	cm) printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s}\ndata: {v: "%s"}\n' "$2" "$3" ;;
	deploy) printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: %s}\nspec:\n  replicas: %s\n  selector: {matchLabels: {app: %s}}\n  template:\n    metadata: {labels: {app: %s}}\n    spec: {containers: [{name: c, image: "busybox"}]}\n' "$2" "$3" "$2" "$2" ;;
	widget) printf 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: %s}\nspec: {size: %s}\n' "$2" "$3" ;;
	esac
}

@test "verb matrix on ConfigMaps, Deployments and custom resources" {
	k wait --for=condition=Established crd/widgets.example.com --timeout=10s
	local kind name
	for kind in cm deploy widget; do
		name="m-$kind"
		matrix_manifest "$kind" "$name" 1 >"$WORK/$name.yaml"
		k get "$kind" -w --output-watch-events --request-timeout=120s >"$WORK/$name.watch" 2>&1 &
		local wp=$!
		sleep 0.5
		k apply -f "$WORK/$name.yaml"
		run k get "$kind" "$name" -o yaml
		[ "$status" -eq 0 ]
		[[ "$output" == *"name: $name"* ]]
		matrix_manifest "$kind" "$name" 2 >"$WORK/$name.yaml"
		run k diff -f "$WORK/$name.yaml"
		[ "$status" -eq 1 ]
		k apply --server-side --force-conflicts -f "$WORK/$name.yaml"
		run k diff -f "$WORK/$name.yaml"
		[ "$status" -eq 0 ]
		k patch "$kind" "$name" --type=merge -p '{"metadata":{"labels":{"merge":"1"}}}'
		k patch "$kind" "$name" --type=json -p '[{"op":"add","path":"/metadata/labels/json","value":"1"}]'
		if [ "$kind" != widget ]; then
			k patch "$kind" "$name" -p '{"metadata":{"labels":{"smp":"1"}}}'
		fi
		k label "$kind" "$name" lab=1
		k annotate "$kind" "$name" ann=1
		run k get "$kind" "$name" -o jsonpath='{.metadata.labels.merge}{.metadata.labels.json}{.metadata.labels.lab}{.metadata.annotations.ann}'
		[ "$output" = "1111" ]
		case $kind in
		cm) run k wait --for=jsonpath='{.data.v}'=2 cm/"$name" --timeout=10s ;;
		deploy) run k wait --for=condition=Available deploy/"$name" --timeout=10s ;;
		widget)
			k patch widget "$name" --subresource=status --type=merge \
				-p '{"status":{"conditions":[{"type":"Ready","status":"True"}]}}'
			run k wait --for=condition=Ready widget/"$name" --timeout=10s ;;
		esac
		[ "$status" -eq 0 ]
		run k explain "$kind"
		[ "$status" -eq 0 ]
		k delete "$kind" "$name"
		run k get "$kind" "$name"
		[ "$status" -ne 0 ]
		local i
		for i in $(seq 1 50); do
			grep -q "DELETED.*$name" "$WORK/$name.watch" && break
			sleep 0.1
		done
		kill "$wp" 2>/dev/null || true
		wait "$wp" || true
		run cat "$WORK/$name.watch"
		[[ "$output" == *"ADDED"*"$name"* ]]
		[[ "$output" == *"MODIFIED"*"$name"* ]]
		[[ "$output" == *"DELETED"*"$name"* ]]
	done
}

@test "built-in defaults: Secret stringData, Service type and ports, workload replicas" {
	printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: sd}\nstringData: {user: admin}\n' | k apply -f -
	run k get secret sd -o jsonpath='{.type} {.data.user} {.stringData}'
	[ "$output" = "Opaque YWRtaW4= " ]
	printf 'apiVersion: v1\nkind: Service\nmetadata: {name: sv}\nspec: {ports: [{port: 80}]}\n' | k apply -f -
	run k get svc sv -o jsonpath='{.spec.type} {.spec.ports[0].protocol} {.spec.ports[0].targetPort}'
	[ "$output" = "ClusterIP TCP 80" ]
	printf 'apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: st}\nspec: {selector: {matchLabels: {a: b}}, serviceName: sv, template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: x}]}}}\n' | k apply -f -
	k wait --for=jsonpath='{.status.readyReplicas}'=1 sts/st --timeout=10s
	run k get sts st -o jsonpath='{.spec.replicas} {.status.readyReplicas}'
	[ "$output" = "1 1" ]
}
