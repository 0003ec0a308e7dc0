#!/usr/bin/env bats
# eddy sandbox, used as a new user would: `sandbox up` in a scratch directory, then kubectl with
# the printed kubeconfig, eddy get/reconcile/diff/build/tree/trace/suspend/resume against it
# (build/diff with postBuild substitution from the cluster),
# and `sandbox down` leaving no process and nothing listening. The tests run in order and share
# the one sandbox started by the first.

bats_require_minimum_version 1.5.0

: "${KUBECTL:=kubectl}"

setup_file() {
	export SB="$BATS_FILE_TMPDIR/sb"
	export OUT="$BATS_FILE_TMPDIR/out"
	mkdir -p "$OUT"
	export LSAN_OPTIONS="suppressions=$EDDY_SRC/tests/lib/lsan-libgit2.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
	export NO_COLOR=1 KUBECACHEDIR="$BATS_FILE_TMPDIR/kcache"
	export GIT_AUTHOR_NAME=Tester GIT_AUTHOR_EMAIL=tester@example.com
	export GIT_COMMITTER_NAME=Tester GIT_COMMITTER_EMAIL=tester@example.com
}

# Whatever happens, nothing started here survives the file.
teardown_file() {
	"$EDDY_BIN/eddy" sandbox down --dir "$SB" >/dev/null 2>&1 || true
	local f p
	for f in "$SB"/run/eddy-apiserver "$SB"/run/git-server "$SB"/run/*-controller; do
		[ -f "$f" ] || continue
		p=$(awk '$1 == "pid" {print $2}' "$f")
		[ -n "$p" ] && kill -KILL -- "-$p" 2>/dev/null || true
	done
}

eddy() { "$EDDY_BIN/eddy" --kubeconfig "$SB/api/kubeconfig" "$@"; }
k() { "$KUBECTL" --kubeconfig "$SB/api/kubeconfig" "$@"; }
head_rev() { echo "main@sha1:$(git -C "$SB/repo" rev-parse HEAD)"; }
ks_field() { k -n flux-system get kustomization "$1" -o jsonpath="$2"; }

# the pids and ports recorded by the sandbox
sandbox_pids() { awk '$1 == "pid" {print $2}' "$SB"/run/eddy-apiserver "$SB"/run/git-server \
	"$SB"/run/*-controller 2>/dev/null; }
sandbox_ports() { awk '($1 == "port" || $1 == "health" || $1 == "metrics") && $2 > 0 {print $2}' \
	"$SB"/run/eddy-apiserver "$SB"/run/git-server "$SB"/run/*-controller 2>/dev/null; }

running() { # pid: alive and not a zombie
	local s
	s=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$s" ] && [ "$s" != Z ] && [ "$s" != X ]
}

@test "sandbox up starts everything and applies the example within 2 minutes" {
	local t0=$SECONDS
	run --separate-stderr timeout 120 "$EDDY_BIN/eddy" sandbox up --dir "$SB"
	echo "$output" >"$OUT/up.out"
	echo "$stderr" >"$OUT/up.err"
	echo "$stderr"
	echo "$output"
	[ "$status" -eq 0 ]
	[ $((SECONDS - t0)) -lt 120 ]
	# progress in a pipe: plain lines saying what is waited on
	[[ "$stderr" == *"✔ eddy-apiserver serving on https://127.0.0.1:"* ]]
	[[ "$stderr" == *"✔ sandbox ready in"* ]]
	[[ "$stderr" != *$'\r'* ]]
	# what was applied, where the kubeconfig is, what to do next
	[[ "$output" == *"Kustomization/flux-system/staging  $(head_rev)"* ]]
	[[ "$output" == *"  Deployment/staging/demo"* ]]
	[[ "$output" == *"  Deployment/production/demo"* ]]
	[[ "$output" == *"Kubeconfig: $SB/api/kubeconfig"* ]]
	[[ "$output" == *"eddy sandbox down --dir $SB"* ]]
	for f in eddy-apiserver git-server source-controller kustomize-controller; do
		[ -s "$SB/run/$f" ]
		[ -f "$SB/logs/$f.log" ]
	done
	# the example served is examples/demo-app (embedded in eddy at build time)
	diff -r -x .git "$EDDY_SRC/examples/demo-app" "$SB/repo"
}

@test "kubectl with the printed kubeconfig lists the application" {
	local kc
	kc=$(sed -n 's/^Kubeconfig: //p' "$OUT/up.out")
	[ "$kc" = "$SB/api/kubeconfig" ]
	run "$KUBECTL" --kubeconfig "$kc" get deploy -A
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"staging "*"demo"* ]]
	[[ "$output" == *"production "*"demo"* ]]
	[ "$(k -n production get deploy demo -o jsonpath='{.spec.replicas}')" = 3 ]
	# eddy-apiserver --simulate-workloads rolls Deployments out
	for _ in $(seq 50); do
		[ "$(k -n production get deploy demo -o jsonpath='{.status.readyReplicas}')" = 3 ] &&
			break
		sleep 0.1
	done
	[ "$(k -n production get deploy demo -o jsonpath='{.status.readyReplicas}')" = 3 ]
	# the example's Kustomizations wait for their workloads (wait: true)
	[ "$(ks_field production '{.status.conditions[?(@.type=="Healthy")].status}')" = True ]
	[ "$(k -n staging get deploy demo -o jsonpath='{.metadata.labels.environment}')" = staging ]
	[ "$(k -n staging get cm demo-config -o jsonpath='{.data.PODINFO_UI_MESSAGE}')" = \
	  "hello from staging" ]
}

@test "eddy get kustomizations shows them Ready with the revision" {
	run eddy get kustomizations
	echo "$output"
	[ "$status" -eq 0 ]
	local rev; rev=$(head_rev)
	local n
	for n in flux-system staging production; do
		echo "$output" | grep -E "^$n +$rev +False +True +Applied revision: $rev\$"
	done
}

@test "sandbox status shows every component running and healthy" {
	run "$EDDY_BIN/eddy" sandbox status --dir "$SB"
	echo "$output"
	[ "$status" -eq 0 ]
	echo "$output" | grep -E '^eddy-apiserver +[0-9]+ +[0-9]+ +serving +running'
	echo "$output" | grep -E '^git-server +[0-9]+ +[0-9]+ +listening +running'
	echo "$output" | grep -E '^source-controller +[0-9]+ +[0-9]+ +ready \(:[0-9]+\) +running'
	echo "$output" | grep -E '^kustomize-controller +[0-9]+ +- +ready \(:[0-9]+\) +running'
	[[ "$output" == *"Kustomization/flux-system/staging  Ready=True"* ]]
}

@test "a commit then reconcile --with-source prints the new revision and applies it" {
	sed -i 's/value: hello from staging/value: hello after a commit/' \
		"$SB/repo/apps/staging/kustomization.yaml"
	git -C "$SB/repo" commit -qam "staging: new message"
	git -C "$SB/repo" push -q
	local rev; rev=$(head_rev)
	run eddy reconcile kustomization staging --with-source
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"✔ fetched revision $rev"* ]]
	[[ "$output" == *"✔ applied revision $rev"* ]]
	[ "$(k -n staging get cm demo-config -o jsonpath='{.data.PODINFO_UI_MESSAGE}')" = \
	  "hello after a commit" ]
	[ "$(ks_field staging '{.status.lastAppliedRevision}')" = "$rev" ]
}

@test "eddy diff kustomization: no change exits 0, a local change exits 1 and shows it" {
	run eddy diff kustomization staging --path "$SB/repo/apps/staging"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"no changes"* ]]

	sed -i 's/value: hello after a commit/value: hello from my laptop/' \
		"$SB/repo/apps/staging/kustomization.yaml"
	printf 'replicas:\n- name: demo\n  count: 2\n' >>"$SB/repo/apps/staging/kustomization.yaml"
	run --separate-stderr eddy diff ks staging --path "$SB/repo/apps/staging"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"► ConfigMap/staging/demo-config drifted"* ]]
	[[ "$output" == *"-  PODINFO_UI_MESSAGE: hello after a commit"* ]]
	[[ "$output" == *"+  PODINFO_UI_MESSAGE: hello from my laptop"* ]]
	[[ "$output" == *"► Deployment/staging/demo drifted"* ]]
	[[ "$output" == *"-  replicas: 1"* ]]
	[[ "$output" == *"+  replicas: 2"* ]]
	[[ "$output" != *"Service/staging/demo"* ]]
	[[ "$output" != *"managedFields"* ]]
	# nothing was applied
	[ "$(k -n staging get cm demo-config -o jsonpath='{.data.PODINFO_UI_MESSAGE}')" = \
	  "hello after a commit" ]
	git -C "$SB/repo" checkout -q -- apps/staging
}

@test "eddy diff kustomization shows created objects and, with prune, deleted ones" {
	cat >"$SB/repo/apps/staging/extra.yaml" <<-'EOF'
	apiVersion: v1
	kind: ConfigMap
	metadata:
	  name: extra
	data:
	  k: v
	EOF
	sed -i 's/^- namespace.yaml$/- extra.yaml/' "$SB/repo/apps/staging/kustomization.yaml"
	run eddy diff ks staging --path "$SB/repo/apps/staging"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"✚ ConfigMap/staging/extra created"* ]]
	[[ "$output" == *"✗ Namespace/staging deleted"* ]]
	git -C "$SB/repo" checkout -q -- apps/staging
	rm -f "$SB/repo/apps/staging/extra.yaml"
	run eddy diff ks staging --path "$SB/repo/apps/staging"
	[ "$status" -eq 0 ]
}

@test "eddy diff kustomization never prints Secret values" {
	printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  namespace: staging\ndata:\n  password: %s\n  user: %s\n' \
		"$(printf old-pass | base64)" "$(printf admin | base64)" | k apply -f - >/dev/null
	printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\ndata:\n  password: %s\n  user: %s\n' \
		"$(printf new-pass | base64)" "$(printf admin | base64)" >"$SB/repo/apps/staging/creds.yaml"
	sed -i 's/^- namespace.yaml$/- namespace.yaml\n- creds.yaml/' \
		"$SB/repo/apps/staging/kustomization.yaml"
	run eddy diff ks staging --path "$SB/repo/apps/staging"
	echo "$output"
	git -C "$SB/repo" checkout -q -- apps/staging
	rm -f "$SB/repo/apps/staging/creds.yaml"
	k -n staging delete secret creds >/dev/null
	[ "$status" -eq 1 ]
	[[ "$output" == *"► Secret/staging/creds drifted"* ]]
	[[ "$output" == *"-  password: '*** (before)'"* ]]
	[[ "$output" == *"+  password: '*** (after)'"* ]]
	[[ "$output" != *"$(printf old-pass | base64)"* ]]
	[[ "$output" != *"$(printf new-pass | base64)"* ]]
	[[ "$output" != *"$(printf admin | base64)"* ]]
}

@test "eddy diff and build: errors say what to do and exit 2" {
	run eddy diff ks staging
	[ "$status" -eq 2 ]
	[[ "$output" == *"--path is required"* ]]
	run eddy diff ks nosuch --path "$SB/repo/apps/staging"
	[ "$status" -eq 2 ]
	[[ "$output" == *"Kustomization nosuch not found in flux-system namespace"* ]]
	run eddy build ks staging --path "$SB/no/such/dir"
	[ "$status" -eq 2 ]
	[[ "$output" == *"invalid --path"* ]]
}

@test "eddy build kustomization prints what the controller applied" {
	run --separate-stderr eddy build kustomization staging --path "$SB/repo/apps/staging"
	[ "$status" -eq 0 ]
	echo "$output" >"$OUT/build.yaml"
	[[ "$output" == *"kustomize.toolkit.fluxcd.io/name: staging"* ]]
	[[ "$output" == *"kustomize.toolkit.fluxcd.io/namespace: flux-system"* ]]
	# the same objects as the inventory, and the same content as the cluster
	local built inv
	built=$("$KUBECTL" --kubeconfig "$SB/api/kubeconfig" apply --dry-run=client \
		-f "$OUT/build.yaml" -o jsonpath='{range .items[*]}{.kind}/{.metadata.name}{"\n"}{end}' |
		sort)
	inv=$(ks_field staging '{range .status.inventory.entries[*]}{.id}{"\n"}{end}' |
		awk -F_ '{print $4 "/" $2}' | sort)
	echo "built: $built"
	echo "inventory: $inv"
	[ "$built" = "$inv" ]
}

@test "build --dry-run with --kustomization-file needs no cluster and matches the cluster build" {
	run --separate-stderr eddy build ks staging --path "$SB/repo/apps/staging"
	[ "$status" -eq 0 ]
	local live=$output
	run --separate-stderr "$EDDY_BIN/eddy" --kubeconfig /nonexistent build ks staging \
		--path "$SB/repo/apps/staging" \
		--kustomization-file "$SB/repo/clusters/sandbox/staging.yaml" --dry-run
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$output" = "$live" ]
	run "$EDDY_BIN/eddy" build ks nope --path "$SB/repo/apps/staging" \
		--kustomization-file "$SB/repo/clusters/sandbox/staging.yaml" --dry-run
	[ "$status" -eq 2 ]
	[[ "$output" == *"no Kustomization named 'nope' in namespace 'flux-system'"* ]]
	run eddy diff ks staging --path "$SB/repo/apps/staging" --dry-run
	[ "$status" -eq 2 ]
	[[ "$output" == *"works with build only"* ]]
}

@test "diff --kustomization-file takes the spec from the file and the inventory from the cluster" {
	sed 's/^  prune: true$/  prune: true\n  namePrefix: new-/' \
		"$SB/repo/clusters/sandbox/staging.yaml" >"$BATS_TEST_TMPDIR/ks.yaml"
	run eddy diff ks staging --path "$SB/repo/apps/staging" \
		--kustomization-file "$BATS_TEST_TMPDIR/ks.yaml"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"✚ ConfigMap/staging/new-demo-config created"* ]]
	[[ "$output" == *"✚ Deployment/staging/new-demo created"* ]]
	[[ "$output" == *"✗ ConfigMap/staging/demo-config deleted"* ]]
	[[ "$output" == *"✗ Deployment/staging/demo deleted"* ]]
	[[ "$output" != *"Namespace/staging deleted"* ]]
}

@test "build and diff apply postBuild substitution from the cluster like the controller" {
	k create namespace subst >/dev/null
	k -n flux-system create configmap subst-vars --from-literal=greeting=hello-from-configmap \
		>/dev/null
	cat >"$BATS_TEST_TMPDIR/subst.yaml" <<-'EOF'
	apiVersion: kustomize.toolkit.fluxcd.io/v1
	kind: Kustomization
	metadata:
	  name: subst
	  namespace: flux-system
	spec:
	  interval: 10m
	  path: ./apps/base
	  prune: true
	  targetNamespace: subst
	  sourceRef:
	    kind: GitRepository
	    name: flux-system
	  patches:
	  - target:
	      kind: ConfigMap
	      name: demo-config
	    patch: |
	      - op: add
	        path: /data/GREETING
	        value: ${greeting}
	      - op: add
	        path: /data/SUFFIX
	        value: ${suffix}-${unset_with_default:=fallback}
	  postBuild:
	    substitute:
	      suffix: inline
	    substituteFrom:
	    - kind: ConfigMap
	      name: subst-vars
	    - kind: Secret
	      name: no-such-secret
	      optional: true
	EOF
	k apply -f "$BATS_TEST_TMPDIR/subst.yaml" >/dev/null
	local got=""
	for _ in $(seq 300); do
		got=$(k -n subst get cm demo-config -o jsonpath='{.data.GREETING}' 2>/dev/null) || true
		[ "$got" = hello-from-configmap ] && break
		sleep 0.1
	done
	[ "$got" = hello-from-configmap ]

	run --separate-stderr eddy build ks subst --path "$SB/repo/apps/base"
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[[ "$output" == *"GREETING: hello-from-configmap"* ]]
	[[ "$output" == *"SUFFIX: inline-fallback"* ]]
	[[ "$output" != *'${'* ]]
	[[ "$stderr" != *"not applied"* ]]

	# the cluster holds what the controller substituted: no false drift
	run eddy diff ks subst --path "$SB/repo/apps/base"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"no changes"* ]]

	# the variables are read from the cluster: a changed ConfigMap is a difference
	k -n flux-system patch configmap subst-vars --type merge \
		-p '{"data":{"greeting":"changed"}}' >/dev/null
	run eddy diff ks subst --path "$SB/repo/apps/base"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"► ConfigMap/subst/demo-config drifted"* ]]
	[[ "$output" == *"-  GREETING: hello-from-configmap"* ]]
	[[ "$output" == *"+  GREETING: changed"* ]]

	# strict: a substituteFrom that is not optional and missing is an error
	sed 's/      optional: true/      optional: false/' "$BATS_TEST_TMPDIR/subst.yaml" \
		>"$BATS_TEST_TMPDIR/strict.yaml"
	run eddy build ks subst --path "$SB/repo/apps/base" \
		--kustomization-file "$BATS_TEST_TMPDIR/strict.yaml"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"substitute from 'Secret/no-such-secret' error"* ]]

	# --dry-run: offline, only spec.postBuild.substitute (as flux build --dry-run)
	run "$EDDY_BIN/eddy" --kubeconfig /nonexistent build ks subst \
		--path "$SB/repo/apps/base" --kustomization-file "$BATS_TEST_TMPDIR/subst.yaml" --dry-run \
		--strict-substitute
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"post build failed for 'demo-config'"* ]]
	[[ "$output" == *'variable not set (strict mode): "greeting"'* ]]
	run --separate-stderr "$EDDY_BIN/eddy" --kubeconfig /nonexistent build ks subst \
		--path "$SB/repo/apps/base" --kustomization-file "$BATS_TEST_TMPDIR/subst.yaml" \
		--dry-run
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"SUFFIX: inline-fallback"* ]]
	[[ "$output" != *"hello-from-configmap"* ]]

	k -n flux-system delete kustomization subst --wait=false >/dev/null
	k -n flux-system delete configmap subst-vars >/dev/null
	for _ in $(seq 100); do
		k -n flux-system get kustomization subst >/dev/null 2>&1 || break
		sleep 0.1
	done
	k delete namespace subst --wait=false >/dev/null
}

@test "eddy tree and eddy trace agree with the inventory" {
	run eddy tree kustomization flux-system
	echo "$output"
	[ "$status" -eq 0 ]
	local id ns name kind
	for ks in flux-system staging production; do
		while IFS=_ read -r ns name _ kind; do
			[ -n "$kind" ] || continue
			if [ -n "$ns" ]; then
				[[ "$output" == *"── $kind/$ns/$name"* ]]
			else
				[[ "$output" == *"── $kind/$name"* ]]
			fi
		done < <(ks_field "$ks" '{range .status.inventory.entries[*]}{.id}{"\n"}{end}')
	done
	[ "$(echo "$output" | grep -c '──')" -eq 10 ]
	run eddy trace deployment demo -n staging
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Kustomization:  staging"* ]]
	[[ "$output" == *"Revision:       $(head_rev)"* ]]
	[[ "$output" == *"GitRepository:  flux-system"* ]]
	run eddy trace configmap demo-config -n production
	[[ "$output" == *"Kustomization:  production"* ]]
}

@test "suspend and resume change spec.suspend and stop and restart reconciles" {
	run eddy suspend kustomization staging
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(ks_field staging '{.spec.suspend}')" = true ]
	local before; before=$(head_rev)
	sed -i 's/value: hello after a commit/value: hello while suspended/' \
		"$SB/repo/apps/staging/kustomization.yaml"
	git -C "$SB/repo" commit -qam "staging: while suspended"
	git -C "$SB/repo" push -q
	local rev; rev=$(head_rev)
	run eddy reconcile source git flux-system
	[ "$status" -eq 0 ]
	[[ "$output" == *"$rev"* ]]
	# production (not suspended) follows the new revision, staging does not
	for _ in $(seq 100); do
		[ "$(ks_field production '{.status.lastAppliedRevision}')" = "$rev" ] && break
		sleep 0.1
	done
	[ "$(ks_field production '{.status.lastAppliedRevision}')" = "$rev" ]
	sleep 2
	[ "$(ks_field staging '{.status.lastAppliedRevision}')" = "$before" ]
	[ "$(k -n staging get cm demo-config -o jsonpath='{.data.PODINFO_UI_MESSAGE}')" = \
	  "hello after a commit" ]
	run eddy get ks staging
	echo "$output"
	echo "$output" | grep -E "^staging +$before +True "

	run eddy resume kustomization staging
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(ks_field staging '{.spec.suspend}')" = false ]
	[[ "$output" == *"applied revision $rev"* ]]
	[ "$(k -n staging get cm demo-config -o jsonpath='{.data.PODINFO_UI_MESSAGE}')" = \
	  "hello while suspended" ]
}

@test "sandbox up again restarts the sandbox and keeps its repository" {
	local rev; rev=$(head_rev)
	run --separate-stderr timeout 120 "$EDDY_BIN/eddy" sandbox up --dir "$SB"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"restarting it"* ]]
	[[ "$stderr" == *"reusing the repository"* ]]
	[[ "$output" == *"Kustomization/flux-system/staging  $rev"* ]]
	[ "$(sandbox_pids | wc -l)" -eq 4 ]
}

@test "sandbox down leaves no process running and nothing listening" {
	local pids ports p
	pids=$(sandbox_pids)
	ports=$(sandbox_ports)
	[ "$(echo "$pids" | wc -w)" -eq 4 ]
	[ "$(echo "$ports" | wc -w)" -ge 6 ]
	for p in $pids; do running "$p"; done
	run "$EDDY_BIN/eddy" sandbox down --dir "$SB"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"sandbox stopped"* ]]
	for p in $pids; do
		if running "$p"; then echo "pid $p still runs"; false; fi
		# nothing left in its process group either (lighttpd's CGI children, ...)
		[ -z "$(ps -o pid= -g "$p" 2>/dev/null | while read -r q; do running "$q" && echo "$q"; done)" ]
	done
	for p in $ports; do
		[ -z "$(ss -ltnH "sport = :$p")" ]
	done
	[ ! -e "$SB/run/eddy-apiserver" ]
	# and they all stopped cleanly (in the sanitizer build: no leak, no error report)
	if grep -l 'Sanitizer\|runtime error:' "$SB"/logs/*.log; then false; fi
	run "$EDDY_BIN/eddy" sandbox status --dir "$SB"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no sandbox in $SB; start one with 'eddy sandbox up --dir $SB'"* ]]
	run "$EDDY_BIN/eddy" sandbox down --dir "$SB"
	[ "$status" -eq 0 ]
	[[ "$output" == *"no sandbox running"* ]]
}

@test "sandbox up --repo serves a local repository; a bad --repo fails with a hint" {
	local r="$BATS_TEST_TMPDIR/myrepo" d="$BATS_TEST_TMPDIR/sb2"
	mkdir -p "$r/deploy"
	git init -q -b trunk "$r"
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: mine\n  namespace: default\ndata:\n  a: b\n' \
		>"$r/deploy/cm.yaml"
	git -C "$r" add -A
	git -C "$r" commit -qm init
	run timeout 120 "$EDDY_BIN/eddy" sandbox up --repo "$r" --path ./deploy --dir "$d"
	echo "$output"
	local ok=$status
	"$KUBECTL" --kubeconfig "$d/api/kubeconfig" get cm mine -o jsonpath='{.data.a}' >"$OUT/mine" || true
	"$EDDY_BIN/eddy" sandbox down --dir "$d"
	[ "$ok" -eq 0 ]
	[ "$(cat "$OUT/mine")" = b ]
	[[ "$output" == *"branch trunk"* ]]

	run timeout 60 "$EDDY_BIN/eddy" sandbox up --repo "$BATS_TEST_TMPDIR/nope" --dir "$d.bad"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"is not a Git repository; pass --repo PATH"* ]]
	[ ! -e "$d.bad/run/eddy-apiserver" ]
}

@test "sandbox: unknown subcommand and flags are refused with usage hints" {
	run "$EDDY_BIN/eddy" sandbox
	[ "$status" -eq 2 ]
	[[ "$output" == *"eddy sandbox up"* ]]
	run "$EDDY_BIN/eddy" sandbox start
	[ "$status" -eq 2 ]
	[[ "$output" == *"use up, status or down"* ]]
	run "$EDDY_BIN/eddy" sandbox up --bogus
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown flag"* ]]
}

@test "sandbox up: a component that dies is reported with its log and everything stops" {
	local d="$BATS_TEST_TMPDIR/sb3" fake="$BATS_TEST_TMPDIR/fake-lighttpd"
	printf '#!/bin/sh\necho "fake lighttpd: cannot bind, address in use" >&2\nexit 1\n' >"$fake"
	chmod +x "$fake"
	run timeout 60 env EDDY_LIGHTTPD="$fake" "$EDDY_BIN/eddy" sandbox up --dir "$d"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"✗ git-server exited"* ]]
	[[ "$output" == *"fake lighttpd: cannot bind, address in use"* ]]
	[[ "$output" == *"a port it was given was taken meanwhile"* ]]
	[[ "$output" == *"run 'eddy sandbox up --dir $d' again"* ]]
	# what had started (eddy-apiserver) was stopped again
	[ ! -e "$d/run/eddy-apiserver" ]
	[ ! -e "$d/run/git-server" ]
}

@test "sandbox up: missing CRDs, lighttpd and binaries are errors that say what to do" {
	run env EDDY_CRD_DIR="$BATS_TEST_TMPDIR/none" "$EDDY_BIN/eddy" sandbox up \
		--dir "$BATS_TEST_TMPDIR/sb4"
	[ "$status" -eq 1 ]
	[[ "$output" == *"EDDY_CRD_DIR=$BATS_TEST_TMPDIR/none is not a directory"* ]]
	run env EDDY_LIGHTTPD="$BATS_TEST_TMPDIR/none" "$EDDY_BIN/eddy" sandbox up \
		--dir "$BATS_TEST_TMPDIR/sb4"
	[ "$status" -eq 1 ]
	[[ "$output" == *"the Git server needs lighttpd and git-http-backend"*"scripts/setup.sh"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/sb4/run/eddy-apiserver" ]
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	cp "$EDDY_BIN/eddy" "$BATS_TEST_TMPDIR/bin/"
	run "$BATS_TEST_TMPDIR/bin/eddy" sandbox up --dir "$BATS_TEST_TMPDIR/sb4"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"eddy-apiserver not found next to eddy in $BATS_TEST_TMPDIR/bin"* ]]
}

@test "an installed eddy (binaries copied elsewhere) needs no source tree" {
	local bin="$BATS_TEST_TMPDIR/inst/bin" d="$BATS_TEST_TMPDIR/sb5" b
	mkdir -p "$bin"
	for b in eddy eddy-apiserver source-controller kustomize-controller; do
		cp "$EDDY_BIN/$b" "$bin/"
	done
	cd "$BATS_TEST_TMPDIR"
	run timeout 120 "$bin/eddy" sandbox up --dir "$d"
	echo "$output"
	local ok=$status
	"$bin/eddy" sandbox down --dir "$d"
	[ "$ok" -eq 0 ]
	[[ "$output" == *"CustomResourceDefinitions (embedded in eddy)"* ]]
	[[ "$output" == *"  Deployment/production/demo"* ]]
}
