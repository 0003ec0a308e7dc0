#!/usr/bin/env bats
# kill -9 of eddy-apiserver during a burst of 1000 writes: every acknowledged write survives,
# resourceVersions keep increasing after the restart, and watches resume.

load apiserver_common

TOOL="$BATS_TEST_DIRNAME/apiserver_tool.py"

setup() {
	WORK="$BATS_TEST_TMPDIR/work"
	mkdir -p "$WORK"
}

teardown() {
	stop_apiserver
}

@test "kill -9 during a burst of 1000 writes loses nothing acknowledged" {
	start_apiserver "$WORK/data"
	k create ns burst
	: >"$WORK/acks"
	python3 "$TOOL" burst "$APISERVER_URL" burst 1000 "$WORK/acks" &
	local bp=$!
	# kill once a good part of the burst is acknowledged (but not all of it)
	local i
	for i in $(seq 1 300); do
		[ "$(wc -l <"$WORK/acks")" -ge 200 ] && break
		sleep 0.02
	done
	kill9_apiserver
	wait "$bp" || true
	local acked
	acked=$(wc -l <"$WORK/acks")
	echo "acknowledged before kill: $acked"
	[ "$acked" -ge 200 ]
	start_apiserver "$WORK/data"
	run python3 "$TOOL" check "$APISERVER_URL" burst "$WORK/acks"
	[ "$status" -eq 0 ]
	local list_rv max_acked
	list_rv=$(echo "$output" | awk '{print $1}')
	max_acked=$(echo "$output" | awk '{print $2}')
	[ "$list_rv" -ge "$max_acked" ]
	# new writes get larger resourceVersions
	k create cm -n burst after >/dev/null
	local rv_after
	rv_after=$(k get cm -n burst after -o jsonpath='{.metadata.resourceVersion}')
	[ "$rv_after" -gt "$max_acked" ]
	# a watch resumes from a version seen before the crash
	python3 "$TOOL" watch "$APISERVER_URL" \
		"/api/v1/namespaces/burst/configmaps?watch=1&resourceVersion=$max_acked&timeoutSeconds=1" \
		"$WORK/w"
	run python3 "$TOOL" events "$WORK/w"
	[[ "$output" == *"ADDED after $rv_after"* ]]
	[[ "$output" != *"ERROR"* ]]
	# the rest of the burst goes through after the restart
	python3 "$TOOL" burst "$APISERVER_URL" burst 1000 "$WORK/acks2"
	run python3 "$TOOL" check "$APISERVER_URL" burst "$WORK/acks"
	[ "$status" -eq 0 ]
	run k get cm -n burst -o name
	[ "${#lines[@]}" -eq 1001 ]
}

@test "a second server on the same data directory refuses to start" {
	start_apiserver "$WORK/data"
	run "$EDDY_BIN/eddy-apiserver" --data-dir "$WORK/data" --listen 127.0.0.1:0
	[ "$status" -eq 1 ]
	[[ "$output" == *"is in use by another eddy-apiserver"* ]]
	run k get ns default -o name
	[ "$output" = "namespace/default" ]
}
