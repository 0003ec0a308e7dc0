#!/usr/bin/env bats
# The README's main job, scripts/run.sh, end to end: it builds (an up-to-date tree here, so
# quickly) and runs `eddy sandbox up`; it must end within 2 minutes with the example
# application applied, print the kubeconfig and how to stop, and leave a sandbox that
# `eddy sandbox down` stops completely. Setup (apt) is skipped with EDDY_SKIP_SETUP=1: the test
# runs after it.

bats_require_minimum_version 1.5.0

: "${KUBECTL:=kubectl}"

setup_file() {
	export SB="$BATS_FILE_TMPDIR/sb"
	export LSAN_OPTIONS="suppressions=$EDDY_SRC/tests/lib/lsan-libgit2.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
	export NO_COLOR=1 KUBECACHEDIR="$BATS_FILE_TMPDIR/kcache"
}

teardown_file() {
	"$EDDY_BIN/eddy" sandbox down --dir "$SB" >/dev/null 2>&1 || true
}

@test "scripts/run.sh ends with the example applied and says how to look and stop" {
	local t0=$SECONDS
	run --separate-stderr timeout 300 env EDDY_SKIP_SETUP=1 EDDY_BUILD_DIR="$(dirname "$EDDY_BIN")" \
		bash "$EDDY_SRC/scripts/run.sh" --dir "$SB"
	echo "$stderr"
	echo "$output"
	[ "$status" -eq 0 ]
	[ $((SECONDS - t0)) -lt 120 ]
	[[ "$output" == *"Kubeconfig: $SB/api/kubeconfig"* ]]
	[[ "$output" == *"eddy sandbox down --dir $SB"* ]]
	[[ "$output" == *"export PATH="* ]]
	run "$KUBECTL" --kubeconfig "$SB/api/kubeconfig" get deploy -A
	echo "$output"
	[[ "$output" == *"staging "*"demo"* ]]
	[[ "$output" == *"production "*"demo"* ]]
	run "$EDDY_BIN/eddy" --kubeconfig "$SB/api/kubeconfig" get ks
	echo "$output"
	echo "$output" | grep -E '^staging +main@sha1:[0-9a-f]{40} +False +True '
	echo "$output" | grep -E '^production +main@sha1:[0-9a-f]{40} +False +True '
	local ports
	ports=$(awk '($1 == "port" || $1 == "health" || $1 == "metrics") && $2 > 0 {print $2}' \
		"$SB"/run/eddy-apiserver "$SB"/run/git-server "$SB"/run/*-controller)
	run "$EDDY_BIN/eddy" sandbox down --dir "$SB"
	[ "$status" -eq 0 ]
	local p
	for p in $ports; do [ -z "$(ss -ltnH "sport = :$p")" ]; done
}
