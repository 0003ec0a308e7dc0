#!/usr/bin/env bats
# Remote bases of `eddy kustomize build --enable-remote` against `kubectl kustomize` on the
# same URLs: git http-backend behind lighttpd on a loopback port (tests/lib/gitserver.bash);
# kubectl's kustomize clones with the git binary, eddy with libgit2 (eddy/git.h).

bats_require_minimum_version 1.5.0

: "${KUBECTL:=kubectl}"

setup_file() {
	export W="$BATS_FILE_TMPDIR/w"
	mkdir -p "$W"
	source "$EDDY_SRC/tests/lib/gitserver.bash"
	gs_setup "$W/gs"
	gs_start_http
	export HTTP_URL=$GS_HTTP_URL
	echo "${GS_PIDS[*]}" >"$W/gs.pids"
	gs_repo base
	gs_commit base app/kustomization.yaml $'resources:\n- cm.yaml\nnamePrefix: remote-\n' "app"
	gs_commit base app/cm.yaml $'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  v: "1"\n' "cm"
	gs_commit base kustomization.yaml $'resources:\n- app\ncommonLabels:\n  root: "yes"\n' "root"
	gs_git base tag v1
	gs_commit base app/cm.yaml $'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  v: "2"\n' "v2"
	gs_git base checkout -q -b feature
	gs_commit base app/cm.yaml $'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  v: "feature"\n' "feature"
	gs_git base checkout -q main
	gs_git base push -q origin --all 2>/dev/null
	gs_git base push -q origin --tags 2>/dev/null
}

teardown_file() {
	for p in $(cat "$W/gs.pids" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
}

# same OVERLAY_TEXT: write an overlay and compare kubectl's and eddy's builds byte for byte
same() {
	local d="$BATS_TEST_TMPDIR/overlay"
	mkdir -p "$d"
	printf '%s' "$1" >"$d/kustomization.yaml"
	run --separate-stderr "$KUBECTL" kustomize "$d"
	[ "$status" -eq 0 ] || { echo "kubectl: $stderr"; return 1; }
	local want=$output
	run --separate-stderr "$EDDY_BIN/eddy" kustomize build --enable-remote "$d"
	[ "$status" -eq 0 ] || { echo "eddy: $stderr"; return 1; }
	[ "$output" = "$want" ] || { diff <(echo "$want") <(echo "$output"); return 1; }
}

@test "remote base: repo//path with ref (branch, tag) is the same as kubectl's" {
	same "resources:
- $HTTP_URL/base.git//app?ref=main
"
	same "resources:
- $HTTP_URL/base.git//app?ref=v1
namePrefix: o-
"
	same "resources:
- $HTTP_URL/base.git//app?ref=feature
"
}

@test "remote base: repository root, .git/path form, git:: prefix, version= and no ref" {
	same "resources:
- $HTTP_URL/base.git
"
	same "resources:
- $HTTP_URL/base.git/app?version=v1
"
	same "resources:
- git::$HTTP_URL/base.git//app?ref=main&timeout=30s&submodules=false
"
	same "resources:
- $HTTP_URL/base.git//app
"
}

@test "remote base: origin annotations and a remote next to local resources" {
	local d="$BATS_TEST_TMPDIR/o2"
	mkdir -p "$d"
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: local\n' >"$d/local.yaml"
	printf 'buildMetadata: [originAnnotations]\nresources:\n- local.yaml\n- %s/base.git//app?ref=v1\n' \
		"$HTTP_URL" >"$d/kustomization.yaml"
	run --separate-stderr "$KUBECTL" kustomize "$d"
	local want=$output
	run --separate-stderr "$EDDY_BIN/eddy" kustomize build --enable-remote "$d"
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ] || { diff <(echo "$want") <(echo "$output"); return 1; }
}

@test "remote base: refused without --enable-remote, errors for a missing ref or path" {
	local d="$BATS_TEST_TMPDIR/o3"
	mkdir -p "$d"
	printf 'resources:\n- %s/base.git//app?ref=main\n' "$HTTP_URL" >"$d/kustomization.yaml"
	run --separate-stderr "$EDDY_BIN/eddy" kustomize build "$d"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"remote bases are disabled"* ]]
	printf 'resources:\n- %s/base.git//app?ref=nothere\n' "$HTTP_URL" >"$d/kustomization.yaml"
	run --separate-stderr "$KUBECTL" kustomize "$d"
	[ "$status" -ne 0 ]
	run --separate-stderr "$EDDY_BIN/eddy" kustomize build --enable-remote "$d"
	[ "$status" -ne 0 ]
	printf 'resources:\n- %s/base.git//nodir?ref=main\n' "$HTTP_URL" >"$d/kustomization.yaml"
	run --separate-stderr "$KUBECTL" kustomize "$d"
	[ "$status" -ne 0 ]
	mkdir -p "$BATS_TEST_TMPDIR/tmp"
	TMPDIR="$BATS_TEST_TMPDIR/tmp" run --separate-stderr "$EDDY_BIN/eddy" kustomize build \
		--enable-remote "$d"
	[ "$status" -ne 0 ]
	# nothing left behind in the temporary directory
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/tmp")" ]
}
