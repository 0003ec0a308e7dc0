#!/usr/bin/env bats
# Hostile and malformed requests get Status errors, never crash or leak (the sanitizer build
# checks the clean exit in teardown).

load apiserver_common

setup() {
	WORK="$BATS_TEST_TMPDIR/work"
	mkdir -p "$WORK"
	start_apiserver "$WORK/data"
}

teardown() {
	stop_apiserver
}

code() { # METHOD PATH CONTENT-TYPE BODY
	curl -s -o "$WORK/body" -w '%{http_code}' -X "$1" -H "Content-Type: $3" \
		--data-binary "$4" "$APISERVER_URL$2"
}

@test "malformed bodies, patches, selectors and tokens" {
	local cms=/api/v1/namespaces/default/configmaps
	[ "$(code POST $cms application/json '{bad')" = 400 ]
	grep -q '"kind":"Status"' "$WORK/body"
	local deep
	deep=$(python3 -c 'print("["*5000+"]"*5000)')
	[ "$(code POST $cms application/json "$deep")" = 400 ]
	[ "$(code POST $cms application/json '[1,2]')" = 400 ]
	[ "$(code POST $cms application/json '{"metadata":{"name":5}}')" = 422 ]
	[ "$(code POST $cms application/json '{"metadata":{"name":"x","labels":{"a":5}}}')" = 422 ]
	[ "$(code POST $cms application/vnd.kubernetes.protobuf $'k8s\x00\x0a\x05garbage')" = 415 ]
	[ "$(code POST $cms text/plain x)" = 415 ]
	[ "$(code POST $cms application/json '{"metadata":{"name":"c1"}}')" = 201 ]
	[ "$(code PATCH $cms/c1 application/json-patch+json '{"not":"array"}')" = 422 ]
	[ "$(code PATCH $cms/c1 application/merge-patch+json '[1]')" = 422 ]
	[ "$(code PATCH $cms/c1 application/strategic-merge-patch+json '{"metadata":{"finalizers":5}}')" = 422 ]
	[ "$(code PATCH "$cms/c1?fieldManager=x" application/apply-patch+yaml 'a: [b')" = 400 ]
	[ "$(code PATCH "$cms/c1" application/apply-patch+yaml '{}')" = 400 ]
	grep -q 'requires fieldManager' "$WORK/body"
	[ "$(code PATCH $cms/c1 application/x-unknown '{}')" = 415 ]
	[ "$(code PUT $cms/c1 application/json '{"metadata":{"name":"other"}}')" = 400 ]
	grep -q 'does not match the name on the URL' "$WORK/body"
	[ "$(code DELETE $cms/c1 application/json '{bad')" = 400 ]
	local long
	long=$(python3 -c 'print("b"*20000)')
	[ "$(code GET "$cms?labelSelector=a%3D$long" application/json '')" = 400 ]
	[ "$(code GET "$cms?labelSelector=a%20in%20(x" application/json '')" = 400 ]
	[ "$(code GET "$cms?continue=!!!&limit=1" application/json '')" = 400 ]
	[ "$(code GET "$cms?resourceVersion=99999999&resourceVersionMatch=Exact" application/json '')" = 504 ]
	[ "$(code GET "$cms?resourceVersion=x" application/json '')" = 400 ]
	[ "$(code GET /apis/nope.example.com/v1/things application/json '')" = 404 ]
	[ "$(code GET /openapi/v2 application/json '')" = 404 ]
	run curl -s -o /dev/null -w "%{http_code}" -H "Accept: application/vnd.kubernetes.protobuf" "$APISERVER_URL$cms"
	[ "$output" = 406 ]
	[ "$(code PUT /api/v1/namespaces/default/configmaps application/json '{}')" = 405 ]
	# the server still works
	run k get cm c1 -o name
	[ "$output" = "configmap/c1" ]
}

@test "many concurrent watches and a client that never reads" {
	local i pids=()
	for i in $(seq 1 20); do
		curl -sN "$APISERVER_URL/api/v1/configmaps?watch=1&timeoutSeconds=3" >/dev/null &
		pids+=($!)
	done
	# a stalled reader: connect, ask for a watch, never read
	python3 - "$APISERVER_URL" <<-'PY' &
	import socket, sys, time, urllib.parse
	u = urllib.parse.urlparse(sys.argv[1])
	s = socket.create_connection((u.hostname, u.port))
	s.sendall(b"GET /api/v1/configmaps?watch=1 HTTP/1.1\r\nHost: x\r\n\r\n")
	time.sleep(4)
	PY
	pids+=($!)
	for i in $(seq 1 50); do k create cm "many-$i" >/dev/null; done
	for p in "${pids[@]}"; do wait "$p" || true; done
	run k get cm -o name
	[ "${#lines[@]}" -eq 50 ]
}

@test "unknown fields of built-in kinds: Strict fails, Warn warns" {
	run k apply -f - <<<'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"t1"},"date":{"a":"b"}}'
	[ "$status" -ne 0 ]
	[[ "$output" == *'strict decoding error: unknown field "date"'* ]]
	run k apply --validate=warn -f - <<<'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"t1"},"date":{"a":"b"}}'
	[ "$status" -eq 0 ]
	[[ "$output" == *'Warning: unknown field "date"'* ]]
	run k get cm t1 -o jsonpath='{.date}'
	[ -z "$output" ]
}
