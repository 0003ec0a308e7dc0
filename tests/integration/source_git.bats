#!/usr/bin/env bats
# source-controller's GitRepository reconciler against eddy-apiserver and real Git servers
# (git http-backend behind lighttpd, with and without basic auth and over TLS; sshd with key
# authentication and known_hosts), see tests/lib/gitserver.bash.

bats_require_minimum_version 1.5.0

: "${KUBECTL:=kubectl}"

setup_file() {
	export W="$BATS_FILE_TMPDIR/w"
	mkdir -p "$W/storage"
	source "$EDDY_SRC/tests/lib/gitserver.bash"
	gs_setup "$W/gs"
	# the servers
	gs_start_http
	export HTTP_URL=$GS_HTTP_URL
	gs_start_http --auth "alice:s3cr3t-Pa55" --tls
	export HTTPS_URL=$GS_HTTP_URL CA=$GS_CA
	gs_start_http --bearer "tok-9f8e7d6c"
	export BEARER_URL=$GS_HTTP_URL
	gs_start_sshd
	export SSH_URL=$GS_SSH_URL SSH_KEY=$GS_SSH_KEY KNOWN_HOSTS=$GS_KNOWN_HOSTS \
		WRONG_KNOWN_HOSTS=$GS_WRONG_KNOWN_HOSTS
	echo "${GS_PIDS[*]}" >"$W/gs.pids"
	# repositories
	gs_repo app
	gs_commit app deploy/app.yaml "kind: ConfigMap" "first commit"
	gs_commit app README.md "# app" "readme"
	gs_commit app logo.png "PNG" "binary that the default excludes drop"
	gs_commit app .github/workflows/ci.yaml "on: push" "ci"
	gs_commit app run.sh "#!/bin/sh" "script"
	chmod +x "$W/gs/work/app/run.sh"
	gs_git app add -A && gs_git app commit -qm "exec bit" && gs_git app push -q origin HEAD 2>/dev/null
	gs_git app tag v1.0.0
	gs_commit app deploy/v2.yaml "v: 2" "second"
	gs_git app tag -a v1.2.0 -m "release 1.2.0"
	gs_commit app deploy/v3.yaml "v: 3" "third"
	gs_git app tag v2.0.0-rc.1
	gs_git app push -q origin --tags 2>/dev/null
	gs_git app checkout -q -b dev
	gs_commit app dev.txt "dev" "on dev"
	gs_git app checkout -q main
	git -C "$W/gs/repos/app.git" update-ref refs/pull/1/head "$(gs_git app rev-parse dev)"
	gs_repo big
	head -c 3000000 /dev/urandom >"$W/gs/work/big/blob.bin"
	gs_git big add -A && gs_git big commit -qm big && gs_git big push -q origin HEAD 2>/dev/null
	gs_repo lib
	gs_commit lib pkg/lib.yaml "lib: 1" "lib"
	gs_commit lib other/x.txt "x" "other"
	# the API server
	mkdir -p "$W/api"
	"$EDDY_BIN/eddy-apiserver" --data-dir "$W/api" --listen 127.0.0.1:0 >"$W/api.log" 2>&1 &
	echo $! >"$W/api.pid"
	for _ in $(seq 100); do [ -s "$W/api/kubeconfig" ] && break; sleep 0.1; done
	export KUBECONFIG="$W/api/kubeconfig" KUBECACHEDIR="$W/kcache"
	for _ in $(seq 100); do "$KUBECTL" get --raw /readyz >/dev/null 2>&1 && break; sleep 0.1; done
	"$KUBECTL" apply -f "$EDDY_SRC/config/crd/source.toolkit.fluxcd.io_gitrepositories.yaml" >/dev/null
	start_sc
}

start_sc() {
	LSAN_OPTIONS="suppressions=$EDDY_SRC/tests/lib/lsan-libgit2.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}" \
	"$EDDY_BIN/source-controller" --kubeconfig "$W/api/kubeconfig" --storage-path "$W/storage" \
		--storage-addr 127.0.0.1:0 --metrics-addr 127.0.0.1:0 --health-addr 0 \
		--git-max-size 1MiB --min-retry-delay 300ms --max-retry-delay 4s \
		--artifact-retention-ttl 60s >>"$W/sc.log" 2>&1 &
	echo $! >"$W/sc.pid"
}

stop_sc() {
	local pid; pid=$(cat "$W/sc.pid")
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
}

teardown_file() {
	[ -d "$W/gnupg" ] && GNUPGHOME="$W/gnupg" gpgconf --kill gpg-agent 2>/dev/null || true
	cp "$W/sc.log" "${SC_LOG_COPY:-/dev/null}" 2>/dev/null || true
	stop_sc
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

gitrepo() { # name url [extra spec yaml lines...]
	local name=$1 url=$2; shift 2
	{
		printf 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n'
		printf 'metadata:\n  name: %s\n  namespace: default\nspec:\n' "$name"
		printf '  url: %s\n  interval: %s\n' "$url" "${INTERVAL:-1h}"
		local l; for l in "$@"; do printf '  %s\n' "$l"; done
	} | k apply -f - >/dev/null
}

field() { k get gitrepository "$1" -o jsonpath="$2"; }

ready_status() { field "$1" '{.status.conditions[?(@.type=="Ready")].status}'; }
ready_reason() { field "$1" '{.status.conditions[?(@.type=="Ready")].reason}'; }
ready_message() { field "$1" '{.status.conditions[?(@.type=="Ready")].message}'; }

wait_ready() { # name [status] [timeout-s]
	local want=${2:-True} t=${3:-20} s
	for _ in $(seq $((t * 10))); do
		s=$(ready_status "$1" 2>/dev/null)
		if [ "$s" = "$want" ]; then
			[ "$want" != True ] && return 0
			# True only counts once the current generation is observed
			[ "$(field "$1" '{.status.observedGeneration}')" = "$(field "$1" '{.metadata.generation}')" ] && return 0
		fi
		sleep 0.1
	done
	echo "$1: Ready=$s ($(ready_reason "$1"): $(ready_message "$1")), wanted $want" >&2
	return 1
}

wait_revision() { # name revision timeout-s
	for _ in $(seq $(($3 * 20))); do
		[ "$(field "$1" '{.status.artifact.revision}')" = "$2" ] && return 0
		sleep 0.05
	done
	echo "$1: revision $(field "$1" '{.status.artifact.revision}'), wanted $2" >&2
	return 1
}

fetch_artifact() { # name out-file
	curl -sf -o "$2" "$(field "$1" '{.status.artifact.url}')"
}

@test "http: Ready, the artifact from status.artifact.url has the status digest and git archive's files minus ignored" {
	gitrepo plain "$HTTP_URL/app.git" "ref: {branch: main}"
	wait_ready plain
	local head; head=$(gs_git_rev main)
	[ "$(field plain '{.status.artifact.revision}')" = "main@sha1:$head" ]
	[ "$(ready_message plain)" = "stored artifact for revision 'main@sha1:$head'" ]
	[ "$(field plain '{.status.conditions[?(@.type=="ArtifactInStorage")].status}')" = True ]
	[ "$(field plain '{.status.artifact.path}')" = "gitrepository/default/plain/$head.tar.gz" ]
	fetch_artifact plain "$W/plain.tgz"
	[ "sha256:$(sha256sum "$W/plain.tgz" | cut -d' ' -f1)" = "$(field plain '{.status.artifact.digest}')" ]
	[ "$(stat -c %s "$W/plain.tgz")" = "$(field plain '{.status.artifact.size}')" ]
	# files: git archive of the commit minus the VCS files and default excludes
	mkdir -p "$W/plain.x" "$W/plain.g"
	tar -xzf "$W/plain.tgz" -C "$W/plain.x"
	git -C "$W/gs/repos/app.git" archive "$head" | tar -x -C "$W/plain.g"
	rm -rf "$W/plain.g/logo.png" "$W/plain.g/.github"
	diff -r "$W/plain.x" "$W/plain.g"
	# Flux's tar format: modes, owners, zero times
	tar -tvzf "$W/plain.tgz" | grep -q -- '-rwx------ 0/0 .* 1970-01-01 00:00 run.sh'
	tar -tvzf "$W/plain.tgz" | grep -q -- '-rw------- 0/0 .* README.md'
	# HEAD, Range and ETag on the artifact server; nothing outside the storage root
	local url; url=$(field plain '{.status.artifact.url}')
	curl -sfI "$url" | grep -qi '^etag:'
	[ "$(curl -sf -r 0-9 "$url" | wc -c)" = 10 ]
	[ "$(curl -s -o /dev/null -w '%{http_code}' "${url%/gitrepository/*}/../../etc/passwd")" != 200 ]
	[ "$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "${url%/gitrepository/*}/../etc/passwd")" != 200 ]
	# the NewArtifact event
	k get events -o jsonpath='{range .items[*]}{.reason} {.message}{"\n"}{end}' \
		| grep -q "^NewArtifact stored artifact for commit 'third'"
}

gs_git_rev() { git -C "$W/gs/repos/app.git" rev-parse "$1^{commit}"; }

@test "the same commit gives byte-identical tarballs across reconciles and restarts; no clone when unchanged" {
	wait_ready plain
	local d1 f; d1=$(field plain '{.status.artifact.digest}')
	f="$W/storage/$(field plain '{.status.artifact.path}')"
	local m1; m1=$(stat -c %Y.%s "$f")
	# a requested reconcile with nothing changed: no clone, nothing written
	k annotate --overwrite gitrepository plain reconcile.fluxcd.io/requestedAt="r1"
	for _ in $(seq 50); do [ "$(field plain '{.status.lastHandledReconcileAt}')" = r1 ] && break; sleep 0.1; done
	[ "$(field plain '{.status.lastHandledReconcileAt}')" = r1 ]
	[ "$(stat -c %Y.%s "$f")" = "$m1" ]
	# another object for the same commit builds the same bytes
	gitrepo plain2 "$HTTP_URL/app.git" "ref: {branch: main}"
	wait_ready plain2
	[ "$(field plain2 '{.status.artifact.digest}')" = "$d1" ]
	# restart with the artifact removed from storage: rebuilt, same bytes
	stop_sc
	rm -f "$f"
	start_sc
	k annotate --overwrite gitrepository plain reconcile.fluxcd.io/requestedAt="r2"
	for _ in $(seq 100); do [ -f "$f" ] && break; sleep 0.1; done
	wait_ready plain
	[ "$(field plain '{.status.artifact.digest}')" = "$d1" ]
	[ "sha256:$(sha256sum "$f" | cut -d' ' -f1)" = "$d1" ]
}

@test "a push is picked up at the next interval; requestedAt makes it Ready on the new revision within 2 s" {
	gs_repo push
	gs_commit push a.txt one "one"
	INTERVAL=2s gitrepo poll "$HTTP_URL/push.git" "ref: {branch: main}"
	gitrepo manual "$HTTP_URL/push.git" "ref: {branch: main}"
	wait_ready poll
	wait_ready manual
	gs_commit push a.txt two "two"
	local rev; rev="main@sha1:$(git -C "$W/gs/repos/push.git" rev-parse main)"
	wait_revision poll "$rev" 8
	# interval 1h: only the annotation can bring it
	[ "$(field manual '{.status.artifact.revision}')" != "$rev" ]
	local t0 t1 limit=2000
	[ "${EDDY_SANITIZE:-0}" = 1 ] && limit=6000
	t0=$(date +%s%3N)
	k annotate --overwrite gitrepository manual reconcile.fluxcd.io/requestedAt="$(date +%s.%N)"
	until [ "$(field manual '{.status.artifact.revision} {.status.conditions[?(@.type=="Ready")].status}')" = "$rev True" ]; do
		[ $(($(date +%s%3N) - t0)) -lt $((limit + 2000)) ] || break
		sleep 0.05
	done
	t1=$(date +%s%3N)
	echo "requestedAt to Ready on $rev: $((t1 - t0)) ms (kubectl annotate included)"
	[ $((t1 - t0)) -le "$limit" ]
}

@test "each ref kind resolves to the commit git resolves; semver picks the highest matching tag" {
	gitrepo r-tag "$HTTP_URL/app.git" "ref: {tag: v1.0.0}"
	gitrepo r-atag "$HTTP_URL/app.git" "ref: {tag: v1.2.0}"
	gitrepo r-semver "$HTTP_URL/app.git" "ref: {semver: '>=1.0.0 <2.0.0'}"
	gitrepo r-semver-pre "$HTTP_URL/app.git" "ref: {semver: '>=2.0.0-0'}"
	gitrepo r-name "$HTTP_URL/app.git" "ref: {name: refs/pull/1/head}"
	gitrepo r-branch "$HTTP_URL/app.git" "ref: {branch: dev}"
	local c; c=$(gs_git_rev v1.0.0)
	gitrepo r-commit "$HTTP_URL/app.git" "ref: {commit: $c}"
	gitrepo r-bcommit "$HTTP_URL/app.git" "ref: {branch: main, commit: $c}"
	for n in r-tag r-atag r-semver r-semver-pre r-name r-branch r-commit r-bcommit; do wait_ready $n; done
	[ "$(field r-tag '{.status.artifact.revision}')" = "v1.0.0@sha1:$(gs_git_rev v1.0.0)" ]
	[ "$(field r-atag '{.status.artifact.revision}')" = "v1.2.0@sha1:$(gs_git_rev v1.2.0)" ]
	[ "$(field r-semver '{.status.artifact.revision}')" = "v1.2.0@sha1:$(gs_git_rev v1.2.0)" ]
	[ "$(field r-semver-pre '{.status.artifact.revision}')" = "v2.0.0-rc.1@sha1:$(gs_git_rev v2.0.0-rc.1)" ]
	[ "$(field r-name '{.status.artifact.revision}')" = "refs/pull/1/head@sha1:$(gs_git_rev dev)" ]
	[ "$(field r-branch '{.status.artifact.revision}')" = "dev@sha1:$(gs_git_rev dev)" ]
	[ "$(field r-commit '{.status.artifact.revision}')" = "sha1:$c" ]
	[ "$(field r-bcommit '{.status.artifact.revision}')" = "main@sha1:$c" ]
	# the tag's tree, not the branch's
	fetch_artifact r-tag "$W/tag.tgz"
	! tar -tzf "$W/tag.tgz" | grep -q v2.yaml
}

@test "https with a CA and basic auth; a bearer token; ssh with a key and known_hosts" {
	k create secret generic bearer --from-literal=bearerToken=tok-9f8e7d6c >/dev/null
	gitrepo bearer "$BEARER_URL/app.git" "ref: {branch: main}" "secretRef: {name: bearer}"
	k create secret generic bearer-bad --from-literal=bearerToken=tok-WRONG-1234 >/dev/null
	gitrepo bearer-bad "$BEARER_URL/app.git" "ref: {branch: main}" "secretRef: {name: bearer-bad}"
	wait_ready bearer
	wait_ready bearer-bad False
	[ "$(ready_reason bearer-bad)" = AuthenticationFailed ]
	k create secret generic https-auth --from-literal=username=alice \
		--from-literal=password=s3cr3t-Pa55 --from-file=ca.crt="$CA" >/dev/null
	gitrepo tls "$HTTPS_URL/app.git" "ref: {branch: main}" "secretRef: {name: https-auth}"
	k create secret generic ssh-auth --from-file=identity="$SSH_KEY" \
		--from-file=known_hosts="$KNOWN_HOSTS" >/dev/null
	gitrepo ssh "$SSH_URL/app.git" "ref: {branch: main}" "secretRef: {name: ssh-auth}"
	# hashed known_hosts entries (ssh-keygen -H) work too
	cp "$KNOWN_HOSTS" "$W/hashed_known_hosts"
	ssh-keygen -q -H -f "$W/hashed_known_hosts" 2>/dev/null
	grep -q '^|1|' "$W/hashed_known_hosts"
	k create secret generic ssh-hashed --from-file=identity="$SSH_KEY" \
		--from-file=known_hosts="$W/hashed_known_hosts" >/dev/null
	gitrepo ssh-hashed "$SSH_URL/app.git" "ref: {branch: main}" "secretRef: {name: ssh-hashed}"
	wait_ready tls
	wait_ready ssh
	wait_ready ssh-hashed
	[ "$(field tls '{.status.artifact.revision}')" = "main@sha1:$(gs_git_rev main)" ]
	[ "$(field ssh '{.status.artifact.revision}')" = "main@sha1:$(gs_git_rev main)" ]
	# without the CA the server certificate is refused
	k create secret generic https-noca --from-literal=username=alice \
		--from-literal=password=s3cr3t-Pa55 >/dev/null
	gitrepo tls-noca "$HTTPS_URL/app.git" "secretRef: {name: https-noca}" "ref: {branch: main}"
	wait_ready tls-noca False
	[ "$(ready_reason tls-noca)" = GitOperationFailed ]
	ready_message tls-noca | grep -q 'certificate'
}

@test "failures: Flux's reason and a clear message, backoff, other objects still served, no credential leaks" {
	k create secret generic wrong-pass --from-literal=username=alice \
		--from-literal=password=WRONG-pa55word --from-file=ca.crt="$CA" >/dev/null
	k create secret generic unknown-host --from-file=identity="$SSH_KEY" \
		--from-file=known_hosts="$WRONG_KNOWN_HOSTS" >/dev/null
	gitrepo f-url "$HTTP_URL/nope.git" "ref: {branch: main}"
	gitrepo f-pass "$HTTPS_URL/app.git" "ref: {branch: main}" "secretRef: {name: wrong-pass}"
	gitrepo f-host "$SSH_URL/app.git" "ref: {branch: main}" "secretRef: {name: unknown-host}"
	gitrepo f-branch "$HTTP_URL/app.git" "ref: {branch: nope}"
	gitrepo f-big "$HTTP_URL/big.git" "ref: {branch: main}"
	for n in f-url f-pass f-host f-branch f-big; do wait_ready $n False; done
	[ "$(ready_reason f-url)" = GitOperationFailed ]
	ready_message f-url | grep -q "unable to clone '$HTTP_URL/nope.git'"
	[ "$(ready_reason f-pass)" = AuthenticationFailed ]
	ready_message f-pass | grep -q 'authentication required'
	[ "$(ready_reason f-host)" = GitOperationFailed ]
	ready_message f-host | grep -q 'knownhosts: key mismatch or unknown host key'
	[ "$(ready_reason f-branch)" = GitOperationFailed ]
	ready_message f-branch | grep -q 'couldn.t find remote ref "refs/heads/nope"'
	[ "$(ready_reason f-big)" = GitOperationFailed ]
	ready_message f-big | grep -q 'repository size exceeds the limit of 1048576 bytes'
	[ "$(field f-url '{.status.conditions[?(@.type=="FetchFailed")].status}')" = True ]
	# Warning events with the reason
	k get events -o jsonpath='{range .items[*]}{.type} {.reason} {.involvedObject.name}{"\n"}{end}' \
		| grep -q '^Warning AuthenticationFailed f-pass$'
	# the controller keeps serving the others
	gitrepo served "$HTTP_URL/app.git" "ref: {branch: main}"
	wait_ready served
	gs_commit app served.txt "x" "served while failing"
	k annotate --overwrite gitrepository served reconcile.fluxcd.io/requestedAt="served"
	wait_revision served "main@sha1:$(gs_git_rev main)" 5
	# retries back off: the gaps between attempts grow
	sleep 4
	local delays
	delays=$(grep '"name":"f-url"' "$W/sc.log" | grep -o 'retrying in [0-9]*ms' | grep -o '[0-9]*' | tr '\n' ' ')
	echo "delays: $delays"
	local first last
	first=$(echo $delays | cut -d' ' -f1); last=$(echo $delays | awk '{print $NF}')
	[ "$(echo $delays | wc -w)" -ge 3 ]
	[ "$last" -gt "$first" ]
	# no credential anywhere
	k get gitrepositories -o yaml >"$W/status.yaml"
	k get events -o yaml >"$W/events.yaml"
	local secret
	for secret in s3cr3t-Pa55 WRONG-pa55word tok-9f8e7d6c tok-WRONG-1234 "$(sed -n 2p "$SSH_KEY")"; do
		! grep -qF -- "$secret" "$W/sc.log" "$W/status.yaml" "$W/events.yaml"
	done
}

@test "verify: a signed commit is verified, an unsigned one fails with InvalidCommitSignature; an unsigned tag InvalidGitObject" {
	export GNUPGHOME="$W/gnupg"
	mkdir -p "$GNUPGHOME" && chmod 700 "$GNUPGHOME"
	gpg --batch --passphrase '' --quick-gen-key "Eddy Signer <signer@example.com>" ed25519 sign never 2>/dev/null
	local fpr; fpr=$(gpg --list-keys --with-colons | awk -F: '/^fpr/{print $10; exit}')
	gpg --armor --export "$fpr" >"$W/signer.asc"
	gs_repo signed
	gs_commit signed a.txt unsigned "unsigned"
	k create secret generic pgp --from-file=signer.asc="$W/signer.asc" >/dev/null
	gitrepo v-unsigned "$HTTP_URL/signed.git" "ref: {branch: main}" "verify: {mode: HEAD, secretRef: {name: pgp}}"
	wait_ready v-unsigned False
	[ "$(ready_reason v-unsigned)" = InvalidCommitSignature ]
	ready_message v-unsigned | grep -q 'signature verification of commit'
	echo signed >"$W/gs/work/signed/b.txt"
	gs_git signed add -A
	gs_git signed -c user.signingkey="$fpr" -c gpg.program=gpg commit -q -S -m signed
	gs_git signed push -q origin HEAD 2>/dev/null
	gitrepo v-signed "$HTTP_URL/signed.git" "ref: {branch: main}" "verify: {mode: HEAD, secretRef: {name: pgp}}"
	wait_ready v-signed
	[ "$(field v-signed '{.status.conditions[?(@.type=="SourceVerified")].status}')" = True ]
	field v-signed '{.status.conditions[?(@.type=="SourceVerified")].message}' | grep -q "$fpr"
	[ "$(field v-signed '{.status.sourceVerificationMode}')" = HEAD ]
	# a signed annotated tag under mode Tag; an unsigned tag fails with InvalidTagSignature
	gs_git signed -c user.signingkey="$fpr" -c gpg.program=gpg tag -s v1.0.0 -m "signed tag"
	gs_git signed tag -a v0.9.0 -m "unsigned tag"
	gs_git signed push -q origin --tags 2>/dev/null
	gitrepo v-tag "$HTTP_URL/signed.git" "ref: {tag: v1.0.0}" "verify: {mode: TagAndHEAD, secretRef: {name: pgp}}"
	gitrepo v-badtag "$HTTP_URL/signed.git" "ref: {tag: v0.9.0}" "verify: {mode: Tag, secretRef: {name: pgp}}"
	wait_ready v-tag
	field v-tag '{.status.conditions[?(@.type=="SourceVerified")].message}' | grep -q "tag 'v1.0.0'"
	wait_ready v-badtag False
	[ "$(ready_reason v-badtag)" = InvalidGitObject ]
	[ "$(ready_message v-badtag)" = "cannot verify signature of tag 'v0.9.0' since it is not signed" ]
	gpgconf --kill gpg-agent 2>/dev/null || true
}

@test "include, ignore and sparseCheckout shape the artifact" {
	gitrepo lib "$HTTP_URL/lib.git" "ref: {branch: main}"
	wait_ready lib
	gitrepo withinc "$HTTP_URL/app.git" "ref: {branch: main}" \
		"include: [{repository: {name: lib}, fromPath: pkg, toPath: vendor/lib}]" \
		"ignore: 'README.md'"
	wait_ready withinc
	fetch_artifact withinc "$W/inc.tgz"
	tar -tzf "$W/inc.tgz" | grep -qx 'vendor/lib/lib.yaml'
	! tar -tzf "$W/inc.tgz" | grep -q 'README.md'
	# spec.ignore replaces the default excludes
	tar -tzf "$W/inc.tgz" | grep -qx 'logo.png'
	[ "$(field withinc '{.status.observedIgnore}')" = README.md ]
	[ "$(field withinc '{.status.includedArtifacts[0].revision}')" = "$(field lib '{.status.artifact.revision}')" ]
	gitrepo sparse "$HTTP_URL/app.git" "ref: {branch: main}" "sparseCheckout: [deploy]"
	wait_ready sparse
	fetch_artifact sparse "$W/sparse.tgz"
	tar -tzf "$W/sparse.tgz" | grep -qx 'deploy/app.yaml'
	! tar -tzf "$W/sparse.tgz" | grep -q 'README.md'
	[ "$(field sparse '{.status.observedSparseCheckout[0]}')" = deploy ]
	# recurseSubmodules: the submodule's files are in the artifact
	gs_repo withsub
	gs_git withsub -c protocol.allow=always submodule add -q "$HTTP_URL/lib.git" libsub 2>/dev/null
	gs_commit withsub top.txt "top" "with a submodule"
	gitrepo sub "$HTTP_URL/withsub.git" "ref: {branch: main}" "recurseSubmodules: true"
	wait_ready sub
	fetch_artifact sub "$W/sub.tgz"
	tar -tzf "$W/sub.tgz" | grep -qx 'libsub/pkg/lib.yaml'
	[ "$(field sub '{.status.observedRecurseSubmodules}')" = true ]
	# an include that does not exist: IncludeUnavailable, NotFound
	gitrepo badinc "$HTTP_URL/app.git" "include: [{repository: {name: missing}}]"
	wait_ready badinc False
	[ "$(ready_reason badinc)" = NotFound ]
}

@test "suspend stops reconciling; deleting the object removes its artifacts and the finalizer" {
	gs_repo susp
	gs_commit susp a.txt one "one"
	gitrepo susp "$HTTP_URL/susp.git" "ref: {branch: main}"
	wait_ready susp
	local old; old=$(field susp '{.status.artifact.revision}')
	k patch gitrepository susp --type merge -p '{"spec":{"suspend":true}}' >/dev/null
	gs_commit susp a.txt two "two"
	k annotate --overwrite gitrepository susp reconcile.fluxcd.io/requestedAt=s1
	for _ in $(seq 50); do [ "$(field susp '{.status.lastHandledReconcileAt}')" = s1 ] && break; sleep 0.1; done
	[ "$(field susp '{.status.lastHandledReconcileAt}')" = s1 ]
	sleep 1
	[ "$(field susp '{.status.artifact.revision}')" = "$old" ]
	k patch gitrepository susp --type merge -p '{"spec":{"suspend":false}}' >/dev/null
	wait_revision susp "main@sha1:$(git -C "$W/gs/repos/susp.git" rev-parse main)" 5
	gitrepo gone "$HTTP_URL/app.git" "ref: {branch: main}"
	wait_ready gone
	[ "$(field gone '{.metadata.finalizers[0]}')" = finalizers.fluxcd.io ]
	local dir="$W/storage/gitrepository/default/gone"
	[ -n "$(ls "$dir")" ]
	k delete gitrepository gone --wait=false >/dev/null
	for _ in $(seq 50); do [ -d "$dir" ] || break; sleep 0.1; done
	[ ! -d "$dir" ]
	for _ in $(seq 50); do k get gitrepository gone >/dev/null 2>&1 || break; sleep 0.1; done
	! k get gitrepository gone >/dev/null 2>&1
}

@test "metrics: gotk_reconcile_duration_seconds is exported" {
	local port
	port=$(grep 'serving metrics server' "$W/sc.log" | tail -1 | grep -o '"port":[0-9]*' | cut -d: -f2)
	curl -sf "http://127.0.0.1:$port/metrics" \
		| grep -q 'gotk_reconcile_duration_seconds_bucket{kind="GitRepository"'
}

@test "clean shutdown on SIGTERM (and no sanitizer report in the ASan build)" {
	local pid; pid=$(cat "$W/sc.pid")
	kill -TERM "$pid"
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	! kill -0 "$pid" 2>/dev/null
	grep -q '"msg":"stopped","status":0' "$W/sc.log"
	! grep -E 'Sanitizer|runtime error' "$W/sc.log"
}
