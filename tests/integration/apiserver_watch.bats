#!/usr/bin/env bats
# eddy-apiserver watches: resume exactly once, 410 after compaction and relist, watch-list
# (sendInitialEvents), bookmarks, Go-style booleans, selectors on watches.

load apiserver_common

TOOL="$BATS_TEST_DIRNAME/apiserver_tool.py"

# wait_lines FILE N: wait (up to 20 s) until FILE has at least N lines.
wait_lines() {
	local i
	for i in $(seq 1 200); do
		[ -f "$1" ] && [ "$(grep -c . "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

setup() {
	WORK="$BATS_TEST_TMPDIR/work"
	mkdir -p "$WORK"
}

teardown() {
	stop_apiserver
}

@test "a client that disconnects and resumes sees every change exactly once" {
	start_apiserver "$WORK/data"
	k create ns w
	local rv0
	rv0=$(python3 "$TOOL" list-rv "$APISERVER_URL" /api/v1/namespaces/w/configmaps)
	python3 "$TOOL" watch "$APISERVER_URL" \
		"/api/v1/namespaces/w/configmaps?watch=1&resourceVersion=$rv0&timeoutSeconds=60" \
		"$WORK/w1" &
	local wp=$!
	for i in 1 2 3 4 5; do k create cm -n w "c$i" >/dev/null; done
	k label cm -n w c1 x=1 >/dev/null
	k delete cm -n w c2 >/dev/null
	wait_lines "$WORK/w1" 7
	kill "$wp"
	wait "$wp" || true
	run python3 "$TOOL" events "$WORK/w1"
	[ "${#lines[@]}" -eq 7 ]
	[[ "${lines[5]}" == "MODIFIED c1 "* ]]
	[[ "${lines[6]}" == "DELETED c2 "* ]]
	local last
	last=$(echo "${lines[6]}" | awk '{print $3}')
	# disconnected: three more changes
	k create cm -n w c6 >/dev/null
	k label cm -n w c3 y=1 >/dev/null
	k delete cm -n w c4 >/dev/null
	python3 "$TOOL" watch "$APISERVER_URL" \
		"/api/v1/namespaces/w/configmaps?watch=True&resourceVersion=$last&timeoutSeconds=1" \
		"$WORK/w2"
	run python3 "$TOOL" events "$WORK/w2"
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" == "ADDED c6 "* ]]
	[[ "${lines[1]}" == "MODIFIED c3 "* ]]
	[[ "${lines[2]}" == "DELETED c4 "* ]]
	# resourceVersions strictly increase across both streams
	cat "$WORK/w1" "$WORK/w2" >"$WORK/all"
	run bash -c "python3 '$TOOL' events '$WORK/all' | awk '{print \$3}'"
	local prev=0 rv
	for rv in "${lines[@]}"; do
		[ "$rv" -gt "$prev" ]
		prev=$rv
	done
}

@test "resume from a compacted version gets a 410 ERROR event and a relist recovers" {
	start_apiserver "$WORK/data" --compact-interval 1 --compact-retain 1 --compact-min-age 0
	k create cm old
	local rv_old
	rv_old=$(k get cm old -o jsonpath='{.metadata.resourceVersion}')
	for i in 1 2 3 4 5; do k label cm old "l$i=1" >/dev/null; done
	sleep 2.5
	python3 "$TOOL" watch "$APISERVER_URL" \
		"/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=$rv_old" "$WORK/e"
	run python3 "$TOOL" events "$WORK/e"
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "ERROR - - 410 Expired" ]]
	grep -q 'too old resource version' "$WORK/e"
	# relist, then watch from the list's resourceVersion
	local rv
	rv=$(python3 "$TOOL" list-rv "$APISERVER_URL" /api/v1/namespaces/default/configmaps)
	python3 "$TOOL" watch "$APISERVER_URL" \
		"/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=$rv&timeoutSeconds=60" \
		"$WORK/r" &
	local wp=$!
	k create cm fresh >/dev/null
	wait_lines "$WORK/r" 1
	kill "$wp"
	wait "$wp" || true
	run python3 "$TOOL" events "$WORK/r"
	[[ "${lines[0]}" == "ADDED fresh "* ]]
	# kubectl's reflector recovers too
	run k get cm old -o jsonpath='{.metadata.labels.l5}'
	[ "$output" = "1" ]
}

@test "sendInitialEvents, bookmarks and selectors" {
	start_apiserver "$WORK/data" --bookmark-interval 1
	k create cm a1
	k label cm a1 app=x
	k create cm a2
	python3 "$TOOL" watch "$APISERVER_URL" \
		"/api/v1/namespaces/default/configmaps?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=2" \
		"$WORK/i"
	run python3 "$TOOL" events "$WORK/i"
	[[ "${lines[0]}" == "ADDED a1 "* ]]
	[[ "${lines[1]}" == "ADDED a2 "* ]]
	[[ "${lines[2]}" == "BOOKMARK - "*" initial-end" ]]
	# sendInitialEvents without resourceVersionMatch is refused with 422
	run curl -s -o /dev/null -w '%{http_code}' \
		"$APISERVER_URL/api/v1/namespaces/default/configmaps?watch=1&sendInitialEvents=true"
	[ "$output" = "422" ]
	# label-selected watch: leaving the selection is a DELETED event
	local rv
	rv=$(python3 "$TOOL" list-rv "$APISERVER_URL" /api/v1/namespaces/default/configmaps)
	python3 "$TOOL" watch "$APISERVER_URL" \
		"/api/v1/namespaces/default/configmaps?watch=t&labelSelector=app%3Dx&resourceVersion=$rv&allowWatchBookmarks=True&timeoutSeconds=60" \
		"$WORK/s" &
	local wp=$!
	k label cm a2 app=x >/dev/null
	k label cm a1 app=y --overwrite >/dev/null
	k annotate cm a2 n=1 >/dev/null
	wait_lines "$WORK/s" 3
	sleep 1.5 # at least one bookmark (interval 1 s)
	kill "$wp"
	wait "$wp" || true
	run bash -c "python3 '$TOOL' events '$WORK/s' | grep -v BOOKMARK"
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" == "ADDED a2 "* ]]
	[[ "${lines[1]}" == "DELETED a1 "* ]]
	[[ "${lines[2]}" == "MODIFIED a2 "* ]]
	grep -q BOOKMARK "$WORK/s"
}
