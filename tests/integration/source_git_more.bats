#!/usr/bin/env bats
# source-controller, GitRepository beyond the basics: HTTPS with TLS client certificates, the
# proxySecretRef through a real proxy (tinyproxy), spec.timeout against a server that never
# answers, spec.provider (github App tokens against a local stand-in for the GitHub API;
# azure/aws and serviceAccountName refused clearly), artifact garbage collection by count and
# TTL, and the artifact server gated on leader election. Real servers: lighttpd + git
# http-backend (tests/lib/gitserver.bash), tinyproxy, eddy-apiserver.

bats_require_minimum_version 1.5.0

: "${KUBECTL:=kubectl}"

setup_file() {
	export W="$BATS_FILE_TMPDIR/w"
	mkdir -p "$W/storage"
	source "$EDDY_SRC/tests/lib/gitserver.bash"
	gs_setup "$W/gs"
	gs_make_ca
	export CA="$W/gs/tls/ca.crt"
	gs_make_client_cert client
	gs_make_client_cert rogue rogue-ca
	gs_start_http --tls --client-ca "$W/gs/tls/client-ca.crt"
	export MTLS_URL=$GS_HTTP_URL
	gs_start_http
	export HTTP_URL=$GS_HTTP_URL
	gs_start_http --auth "alice:pr0xy-git-Pa55" --tls
	export HTTPS_URL=$GS_HTTP_URL
	gs_start_proxy --auth "proxyuser:pr0xy-Secret-9"
	export PROXY_URL=$GS_PROXY_URL PROXY_LOG=$GS_PROXY_LOG
	# GitHub App: the token the fake API hands out is the only password the server accepts
	export GH_TOKEN="ghs_eddyFakeInstallationToken0123456789"
	gs_start_http --auth "x-access-token:$GH_TOKEN"
	export GH_GIT_URL=$GS_HTTP_URL
	openssl genrsa -out "$W/app.key" 2048 2>/dev/null
	openssl rsa -in "$W/app.key" -pubout -out "$W/app.pub" 2>/dev/null
	openssl genrsa -out "$W/other.key" 2048 2>/dev/null
	python3 "$EDDY_SRC/tests/lib/fake_github_api.py" "$W/gh.port" "$W/app.pub" 12345 678 \
		"$GH_TOKEN" "$W/gh.log" >"$W/gh.out" 2>&1 &
	GS_PIDS+=($!)
	for _ in $(seq 100); do [ -s "$W/gh.port" ] && break; sleep 0.05; done
	export GH_API="http://127.0.0.1:$(cat "$W/gh.port")"
	# a server that accepts connections and never answers
	python3 -c '
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
held = []
while True:
    c, _ = s.accept(); held.append(c)
' "$W/silent.port" &
	GS_PIDS+=($!)
	for _ in $(seq 100); do [ -s "$W/silent.port" ] && break; sleep 0.05; done
	export SILENT_PORT=$(cat "$W/silent.port")
	echo "${GS_PIDS[*]}" >"$W/gs.pids"
	gs_repo app
	gs_commit app deploy/app.yaml "kind: ConfigMap" "first commit"
	# the API server
	mkdir -p "$W/api"
	"$EDDY_BIN/eddy-apiserver" --data-dir "$W/api" --listen 127.0.0.1:0 >"$W/api.log" 2>&1 &
	echo $! >"$W/api.pid"
	for _ in $(seq 100); do [ -s "$W/api/kubeconfig" ] && break; sleep 0.1; done
	export KUBECONFIG="$W/api/kubeconfig" KUBECACHEDIR="$W/kcache"
	for _ in $(seq 100); do "$KUBECTL" get --raw /readyz >/dev/null 2>&1 && break; sleep 0.1; done
	"$KUBECTL" apply -f "$EDDY_SRC/config/crd/source.toolkit.fluxcd.io_gitrepositories.yaml" >/dev/null
	start_sc sc
}

# start_sc NAME [flags...]: a source-controller logging to $W/NAME.log, pid in $W/NAME.pid
start_sc() {
	local name=$1; shift
	# the proxy must be used even for 127.0.0.1
	env -u no_proxy -u NO_PROXY -u http_proxy -u https_proxy -u HTTP_PROXY -u HTTPS_PROXY \
	LSAN_OPTIONS="suppressions=$EDDY_SRC/tests/lib/lsan-libgit2.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}" \
	"$EDDY_BIN/source-controller" --kubeconfig "$W/api/kubeconfig" --storage-path "$W/storage" \
		--metrics-addr 127.0.0.1:0 --health-addr 0 --concurrent 4 --min-retry-delay 300ms \
		--max-retry-delay 4s ${SC_STORAGE_ADDR:---storage-addr 127.0.0.1:0} "$@" \
		>>"$W/$name.log" 2>&1 &
	echo $! >"$W/$name.pid"
}

stop_sc() {
	local pid; pid=$(cat "$W/${1:-sc}.pid" 2>/dev/null) || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
}

teardown_file() {
	local n
	for n in sc gc la lb; do stop_sc $n; done
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
cond() { field "$1" "{.status.conditions[?(@.type==\"$2\")].$3}"; }

wait_ready() { # name [status] [timeout-s]
	local want=${2:-True} t=${3:-20} s
	for _ in $(seq $((t * 10))); do
		s=$(ready_status "$1" 2>/dev/null)
		if [ "$s" = "$want" ]; then
			[ "$want" != True ] && return 0
			[ "$(field "$1" '{.status.observedGeneration}')" = "$(field "$1" '{.metadata.generation}')" ] && return 0
		fi
		sleep 0.1
	done
	echo "$1: Ready=$s ($(ready_reason "$1"): $(ready_message "$1")), wanted $want" >&2
	return 1
}

head_rev() { echo "main@sha1:$(git -C "$W/gs/repos/app.git" rev-parse main)"; }

@test "https with a TLS client certificate (tls.crt, tls.key, ca.crt); a missing or wrong one fails clearly" {
	local d="$W/gs/tls"
	k create secret generic mtls --from-file=tls.crt="$d/client.crt" \
		--from-file=tls.key="$d/client.key" --from-file=ca.crt="$CA" >/dev/null
	k create secret generic mtls-none --from-file=ca.crt="$CA" >/dev/null
	k create secret generic mtls-rogue --from-file=tls.crt="$d/rogue.crt" \
		--from-file=tls.key="$d/rogue.key" --from-file=ca.crt="$CA" >/dev/null
	k create secret generic mtls-half --from-file=tls.crt="$d/client.crt" \
		--from-file=ca.crt="$CA" >/dev/null
	gitrepo mtls "$MTLS_URL/app.git" "ref: {branch: main}" "secretRef: {name: mtls}"
	gitrepo mtls-none "$MTLS_URL/app.git" "ref: {branch: main}" "secretRef: {name: mtls-none}"
	gitrepo mtls-rogue "$MTLS_URL/app.git" "ref: {branch: main}" "secretRef: {name: mtls-rogue}"
	gitrepo mtls-half "$MTLS_URL/app.git" "ref: {branch: main}" "secretRef: {name: mtls-half}"
	wait_ready mtls
	[ "$(field mtls '{.status.artifact.revision}')" = "$(head_rev)" ]
	for n in mtls-none mtls-rogue mtls-half; do wait_ready $n False; done
	echo "none: $(ready_reason mtls-none): $(ready_message mtls-none)"
	echo "rogue: $(ready_reason mtls-rogue): $(ready_message mtls-rogue)"
	echo "half: $(ready_reason mtls-half): $(ready_message mtls-half)"
	[ "$(ready_reason mtls-none)" = GitOperationFailed ]
	ready_message mtls-none | grep -q "unable to clone '$MTLS_URL/app.git': TLS: "
	ready_message mtls-none | grep -q 'no client certificate was given'
	[ "$(ready_reason mtls-rogue)" = GitOperationFailed ]
	ready_message mtls-rogue | grep -q "unable to clone '$MTLS_URL/app.git': TLS: .*alert"
	[ "$(ready_reason mtls-half)" = AuthenticationFailed ]
	ready_message mtls-half | grep -q 'needs both tls.crt and tls.key'
	[ "$(cond mtls-half Stalled status)" = True ]
	# the key never shows up in logs, status or events
	k get gitrepositories -o yaml >"$W/mtls.yaml"
	k get events -o yaml >>"$W/mtls.yaml"
	! grep -qF -- "$(sed -n 2p "$d/client.key")" "$W/sc.log" "$W/mtls.yaml"
}

@test "proxySecretRef: http and https fetches go through the proxy (its log shows them); bad proxy settings fail clearly" {
	k create secret generic proxy --from-literal=address="$PROXY_URL" \
		--from-literal=username=proxyuser --from-literal=password=pr0xy-Secret-9 >/dev/null
	k create secret generic proxy-badpass --from-literal=address="$PROXY_URL" \
		--from-literal=username=proxyuser --from-literal=password=WRONG-pr0xy >/dev/null
	k create secret generic proxy-nocreds --from-literal=address="$PROXY_URL" >/dev/null
	k create secret generic proxy-noaddr --from-literal=username=proxyuser >/dev/null
	k create secret generic https-auth --from-literal=username=alice \
		--from-literal=password=pr0xy-git-Pa55 --from-file=ca.crt="$CA" >/dev/null
	gitrepo px-http "$HTTP_URL/app.git" "ref: {branch: main}" "proxySecretRef: {name: proxy}"
	gitrepo px-https "$HTTPS_URL/app.git" "ref: {branch: main}" "proxySecretRef: {name: proxy}" \
		"secretRef: {name: https-auth}"
	gitrepo px-bad "$HTTP_URL/app.git" "ref: {branch: main}" "proxySecretRef: {name: proxy-badpass}"
	gitrepo px-badtls "$HTTPS_URL/app.git" "ref: {branch: main}" \
		"proxySecretRef: {name: proxy-badpass}" "secretRef: {name: https-auth}"
	gitrepo px-nocreds "$HTTP_URL/app.git" "ref: {branch: main}" "proxySecretRef: {name: proxy-nocreds}"
	gitrepo px-nocredstls "$HTTPS_URL/app.git" "ref: {branch: main}" \
		"proxySecretRef: {name: proxy-nocreds}" "secretRef: {name: https-auth}"
	gitrepo px-noaddr "$HTTP_URL/app.git" "ref: {branch: main}" "proxySecretRef: {name: proxy-noaddr}"
	gitrepo px-missing "$HTTP_URL/app.git" "ref: {branch: main}" "proxySecretRef: {name: nope}"
	wait_ready px-http
	wait_ready px-https
	[ "$(field px-http '{.status.artifact.revision}')" = "$(head_rev)" ]
	[ "$(field px-https '{.status.artifact.revision}')" = "$(head_rev)" ]
	# the proxy saw the plain request and the tunnel
	local hp=${HTTP_URL#http://}; hp=${hp%%/*}
	local sp=${HTTPS_URL#https://}; sp=${sp%%/*}
	grep -q "Request (file descriptor [0-9]*): GET http://$hp/git/app.git/info/refs?service=git-upload-pack" "$PROXY_LOG"
	grep -q "Request (file descriptor [0-9]*): POST http://$hp/git/app.git/git-upload-pack" "$PROXY_LOG"
	grep -q "Request (file descriptor [0-9]*): CONNECT $sp" "$PROXY_LOG"
	for n in px-bad px-badtls px-nocreds px-nocredstls px-noaddr px-missing; do
		wait_ready $n False
		echo "$n: $(ready_reason $n): $(ready_message $n)"
	done
	# no proxy credentials: the proxy's 407
	[ "$(ready_reason px-nocreds)" = GitOperationFailed ]
	ready_message px-nocreds | grep -q '407 (proxy authentication required)'
	[ "$(ready_reason px-nocredstls)" = GitOperationFailed ]
	ready_message px-nocredstls | grep -q 'proxy: CONNECT tunnel failed, response 407'
	# a wrong proxy password: tinyproxy answers 401 (not 407), which reads as the server's
	[ "$(ready_reason px-bad)" = AuthenticationFailed ]
	[ "$(ready_reason px-badtls)" = GitOperationFailed ]
	ready_message px-badtls | grep -q 'CONNECT tunnel failed, response 401'
	[ "$(ready_reason px-noaddr)" = AuthenticationFailed ]
	[ "$(ready_message px-noaddr)" = "failed to configure proxy options: secret 'default/proxy-noaddr': key 'address' not found" ]
	[ "$(ready_reason px-missing)" = AuthenticationFailed ]
	ready_message px-missing | grep -q "^failed to configure proxy options: failed to get secret 'default/nope'"
	# a redirect of the ref listing is followed (through the proxy as well)
	gitrepo moved "${HTTP_URL%/git}/moved/app.git" "ref: {branch: main}" "proxySecretRef: {name: proxy}"
	wait_ready moved
	[ "$(field moved '{.status.artifact.revision}')" = "$(head_rev)" ]
	grep -q "Request (file descriptor [0-9]*): GET http://$hp/moved/app.git/info/refs" "$PROXY_LOG"
	! grep -qF -- "pr0xy-Secret-9" "$W/sc.log"
	! grep -qF -- "WRONG-pr0xy" "$W/sc.log"
}

@test "spec.timeout: a server that accepts and never answers fails within the timeout (http, https, ssh)" {
	local t1 n
	declare -A t0
	t0[silent]=$(date +%s%3N)
	gitrepo silent "http://127.0.0.1:$SILENT_PORT/app.git" "ref: {branch: main}" "timeout: 2s"
	t0[silent-tls]=$(date +%s%3N)
	gitrepo silent-tls "https://127.0.0.1:$SILENT_PORT/app.git" "ref: {branch: main}" "timeout: 2s"
	# over ssh the server never sends its identification line
	t0[silent-ssh]=$(date +%s%3N)
	gitrepo silent-ssh "ssh://git@127.0.0.1:$SILENT_PORT/app.git" "ref: {branch: main}" "timeout: 2s"
	for n in silent silent-tls silent-ssh; do
		wait_ready $n False 15
		t1=$(date +%s%3N)
		echo "$n: apply to Ready=False: $((t1 - t0[$n])) ms: $(ready_message $n)"
		# 2 s timeout plus the API round trips; the OS TCP timeout would take minutes
		[ $((t1 - t0[$n])) -lt 6000 ]
		[ "$(ready_reason $n)" = GitOperationFailed ]
		[ "$(cond $n FetchFailed status)" = True ]
	done
	ready_message silent | grep -q "unable to clone 'http://127.0.0.1:$SILENT_PORT/app.git': context deadline exceeded (timeout 2s)"
	ready_message silent-tls | grep -q "unable to clone 'https://127.0.0.1:$SILENT_PORT/app.git': context deadline exceeded (timeout 2s)"
	ready_message silent-ssh | grep -q "unable to clone 'ssh://127.0.0.1:$SILENT_PORT/app.git': context deadline exceeded (timeout 2s)"
}

@test "provider github: a GitHub App installation token (JWT checked by the API stand-in) authenticates as x-access-token" {
	k create secret generic ghapp --from-literal=githubAppID=12345 \
		--from-literal=githubAppInstallationID=678 --from-file=githubAppPrivateKey="$W/app.key" \
		--from-literal=githubAppBaseURL="$GH_API" >/dev/null
	gitrepo gh "$GH_GIT_URL/app.git" "ref: {branch: main}" "provider: github" "secretRef: {name: ghapp}"
	wait_ready gh
	[ "$(field gh '{.status.artifact.revision}')" = "$(head_rev)" ]
	grep -q "^POST /app/installations/678/access_tokens 201 ok$" "$W/gh.log"
	# the token is cached: another reconcile asks the API nothing
	local n; n=$(grep -c ' 201 ' "$W/gh.log")
	gs_commit app more.txt "x" "more"
	k annotate --overwrite gitrepository gh reconcile.fluxcd.io/requestedAt=gh1
	for _ in $(seq 100); do [ "$(field gh '{.status.artifact.revision}')" = "$(head_rev)" ] && break; sleep 0.1; done
	[ "$(field gh '{.status.artifact.revision}')" = "$(head_rev)" ]
	[ "$(grep -c ' 201 ' "$W/gh.log")" = "$n" ]
	# the token request goes through the proxy too (another base URL spelling: not cached)
	k create secret generic ghapp-px --from-literal=githubAppID=12345 \
		--from-literal=githubAppInstallationID=678 --from-file=githubAppPrivateKey="$W/app.key" \
		--from-literal=githubAppBaseURL="$GH_API/" >/dev/null
	k get secret proxy >/dev/null 2>&1 || k create secret generic proxy \
		--from-literal=address="$PROXY_URL" --from-literal=username=proxyuser \
		--from-literal=password=pr0xy-Secret-9 >/dev/null
	gitrepo gh-px "$GH_GIT_URL/app.git" "ref: {branch: main}" "provider: github" \
		"secretRef: {name: ghapp-px}" "proxySecretRef: {name: proxy}"
	wait_ready gh-px
	grep -q "Request (file descriptor [0-9]*): POST $GH_API/app/installations/678/access_tokens" "$PROXY_LOG"
	# a key the app does not have: the API refuses the JWT
	k create secret generic ghapp-wrongkey --from-literal=githubAppID=12345 \
		--from-literal=githubAppInstallationID=678 --from-file=githubAppPrivateKey="$W/other.key" \
		--from-literal=githubAppBaseURL="$GH_API" >/dev/null
	gitrepo gh-wrongkey "$GH_GIT_URL/app.git" "ref: {branch: main}" "provider: github" "secretRef: {name: ghapp-wrongkey}"
	wait_ready gh-wrongkey False
	echo "wrongkey: $(ready_message gh-wrongkey)"
	grep -q "401 bad-signature" "$W/gh.log"
	[ "$(ready_reason gh-wrongkey)" = AuthenticationFailed ]
	ready_message gh-wrongkey | grep -q "^failed to configure authentication options: could not refresh installation id 678's token: received non 2xx response status 401"
	# incomplete app data, no secret, app data without the provider
	k create secret generic ghapp-noid --from-literal=githubAppInstallationID=678 \
		--from-file=githubAppPrivateKey="$W/app.key" >/dev/null
	gitrepo gh-noid "$GH_GIT_URL/app.git" "provider: github" "secretRef: {name: ghapp-noid}"
	gitrepo gh-nosecret "$GH_GIT_URL/app.git" "provider: github"
	gitrepo gh-generic "$GH_GIT_URL/app.git" "secretRef: {name: ghapp}"
	for n in gh-noid gh-nosecret gh-generic; do wait_ready $n False; done
	[ "$(ready_reason gh-noid)" = AuthenticationFailed ]
	[ "$(ready_message gh-noid)" = "failed to configure authentication options: app ID must be provided to use github app authentication" ]
	[ "$(ready_reason gh-nosecret)" = InvalidProviderConfiguration ]
	[ "$(ready_message gh-nosecret)" = "secretRef with github app data must be specified when provider is set to github" ]
	[ "$(cond gh-nosecret Stalled status)" = True ]
	[ "$(ready_reason gh-generic)" = InvalidProviderConfiguration ]
	[ "$(ready_message gh-generic)" = "secretRef 'default/ghapp' has github app data but provider is not set to github" ]
	# neither the token nor the key leaks
	k get gitrepositories -o yaml >"$W/gh.yaml"
	k get events -o yaml >>"$W/gh.yaml"
	! grep -qF -- "$GH_TOKEN" "$W/sc.log" "$W/gh.yaml"
	! grep -qF -- "$(sed -n 2p "$W/app.key")" "$W/sc.log" "$W/gh.yaml"
}

@test "provider azure/aws (workload identity) and serviceAccountName: Ready=False with a clear, stalling error" {
	gitrepo az "https://dev.azure.com/org/proj/_git/repo" "provider: azure"
	gitrepo az-sa "https://dev.azure.com/org/proj/_git/repo" "provider: azure" "serviceAccountName: flux-sa"
	gitrepo aws "https://git-codecommit.eu-west-1.amazonaws.com/v1/repos/r" "provider: aws"
	for n in az az-sa aws; do wait_ready $n False; done
	[ "$(ready_reason az)" = AuthenticationFailed ]
	ready_message az | grep -q "provider 'azure' needs Azure workload identity, which Eddy's source-controller does not support"
	[ "$(cond az Stalled status)" = True ]
	[ "$(ready_reason aws)" = AuthenticationFailed ]
	[ "$(ready_reason az-sa)" = FeatureGateDisabled ]
	[ "$(ready_message az-sa)" = "to use spec.serviceAccountName for provider authentication please enable the ObjectLevelWorkloadIdentity feature gate in the controller" ]
}

@test "verify with SSH keys (*.sshpub): SSH-signed commits and tags are verified; another key fails" {
	ssh-keygen -q -t ed25519 -N '' -C signer -f "$W/sshsigner"
	ssh-keygen -q -t ed25519 -N '' -C other -f "$W/sshother"
	gs_repo sshsigned
	local w="$W/gs/work/sshsigned"
	echo one >"$w/a.txt"
	git -C "$w" add -A
	git -C "$w" -c gpg.format=ssh -c user.signingkey="$W/sshsigner" commit -q -S -m "ssh signed"
	git -C "$w" -c gpg.format=ssh -c user.signingkey="$W/sshsigner" tag -s v1.0.0 -m "ssh tag"
	git -C "$w" push -q origin HEAD --tags 2>/dev/null
	k create secret generic sshkeys --from-file=signer.sshpub="$W/sshsigner.pub" >/dev/null
	k create secret generic sshother --from-file=other.sshpub="$W/sshother.pub" >/dev/null
	gitrepo v-ssh "$HTTP_URL/sshsigned.git" "ref: {branch: main}" "verify: {mode: HEAD, secretRef: {name: sshkeys}}"
	gitrepo v-sshtag "$HTTP_URL/sshsigned.git" "ref: {tag: v1.0.0}" "verify: {mode: TagAndHEAD, secretRef: {name: sshkeys}}"
	gitrepo v-sshother "$HTTP_URL/sshsigned.git" "ref: {branch: main}" "verify: {mode: HEAD, secretRef: {name: sshother}}"
	wait_ready v-ssh
	wait_ready v-sshtag
	wait_ready v-sshother False
	local fp; fp=$(ssh-keygen -lf "$W/sshsigner.pub" | awk '{print $2}')
	cond v-ssh SourceVerified message
	[ "$(cond v-ssh SourceVerified status)" = True ]
	cond v-ssh SourceVerified message | grep -qF "with key '$fp'"
	cond v-sshtag SourceVerified message | grep -qF "tag 'v1.0.0' with key '$fp'"
	[ "$(ready_reason v-sshother)" = InvalidCommitSignature ]
	ready_message v-sshother | grep -q 'unable to verify payload with any of the given key rings'
}

@test "symlinks inside the repository become copies of their targets; links out of it are dropped" {
	gs_repo links
	local w="$W/gs/work/links"
	mkdir -p "$w/base" "$w/overlay"
	printf 'kind: ConfigMap\n' >"$w/base/cm.yaml"
	ln -s ../base/cm.yaml "$w/overlay/cm.yaml"
	ln -s base "$w/base-link"
	ln -s /etc/passwd "$w/outside"
	ln -s nowhere "$w/broken"
	ln -s .. "$w/base/up"
	git -C "$w" add -A && git -C "$w" commit -qm links && git -C "$w" push -q origin HEAD 2>/dev/null
	gitrepo links "$HTTP_URL/links.git" "ref: {branch: main}"
	wait_ready links
	curl -sf -o "$W/links.tgz" "$(field links '{.status.artifact.url}')"
	tar -tvzf "$W/links.tgz"
	mkdir -p "$W/links.x" && tar -xzf "$W/links.tgz" -C "$W/links.x"
	[ -f "$W/links.x/overlay/cm.yaml" ] && [ ! -L "$W/links.x/overlay/cm.yaml" ]
	[ "$(cat "$W/links.x/overlay/cm.yaml")" = "kind: ConfigMap" ]
	[ -f "$W/links.x/base-link/cm.yaml" ]
	[ ! -e "$W/links.x/outside" ] && [ ! -e "$W/links.x/broken" ] && [ ! -e "$W/links.x/base/up" ]
	! tar -tvzf "$W/links.tgz" | grep -q '^l'
}

@test "an empty repository (EmptyGitRepository) and a missing sparseCheckout directory fail clearly" {
	gs_repo empty
	gitrepo empty "$HTTP_URL/empty.git"
	gitrepo sparse-missing "$HTTP_URL/app.git" "ref: {branch: main}" "sparseCheckout: [deploy, nope]"
	wait_ready empty False
	wait_ready sparse-missing False
	[ "$(ready_reason empty)" = EmptyGitRepository ]
	[ "$(ready_message empty)" = "git repository is empty" ]
	[ "$(ready_reason sparse-missing)" = GitOperationFailed ]
	[ "$(ready_message sparse-missing)" = "failed to sparse checkout directories : sparse checkout dir 'nope' does not exist in repository" ]
}

@test "artifact GC: --artifact-retention-records keeps the newest, --artifact-retention-ttl drops old ones" {
	stop_sc sc
	start_sc gc --artifact-retention-ttl 1h --artifact-retention-records 2
	gs_repo gcr
	gs_commit gcr a.txt 0 "c0"
	gitrepo gcr "$HTTP_URL/gcr.git" "ref: {branch: main}"
	wait_ready gcr
	local dir="$W/storage/gitrepository/default/gcr" i rev
	for i in 1 2 3; do
		gs_commit gcr a.txt "$i" "c$i"
		rev="main@sha1:$(git -C "$W/gs/repos/gcr.git" rev-parse main)"
		k annotate --overwrite gitrepository gcr reconcile.fluxcd.io/requestedAt="gc$i"
		for _ in $(seq 100); do [ "$(field gcr '{.status.artifact.revision}')" = "$rev" ] && break; sleep 0.1; done
		[ "$(field gcr '{.status.artifact.revision}')" = "$rev" ]
		sleep 1.1 # distinct mtimes
	done
	# GC runs at the end of each reconcile: the current one and the newest other remain
	k annotate --overwrite gitrepository gcr reconcile.fluxcd.io/requestedAt="gc-last"
	for _ in $(seq 50); do [ "$(field gcr '{.status.lastHandledReconcileAt}')" = gc-last ] && break; sleep 0.1; done
	ls -l "$dir"
	[ "$(ls "$dir" | grep -c '\.tar\.gz$')" = 2 ]
	[ -f "$W/storage/$(field gcr '{.status.artifact.path}')" ]
	local prev; prev="$(git -C "$W/gs/repos/gcr.git" rev-parse main~1).tar.gz"
	[ -f "$dir/$prev" ]
	# a short TTL: older artifacts go even below the record count
	stop_sc gc
	start_sc gc --artifact-retention-ttl 1s --artifact-retention-records 10
	sleep 1.2
	k annotate --overwrite gitrepository gcr reconcile.fluxcd.io/requestedAt="gc-ttl"
	for _ in $(seq 100); do [ "$(ls "$dir" | grep -c '\.tar\.gz$')" = 1 ] && break; sleep 0.1; done
	ls -l "$dir"
	[ "$(ls "$dir" | grep -c '\.tar\.gz$')" = 1 ]
	[ -f "$W/storage/$(field gcr '{.status.artifact.path}')" ]
	stop_sc gc
}

@test "leader election: only the leader serves artifacts; the next leader takes over the server" {
	stop_sc sc
	local pa pb
	pa=$(gs_free_port); pb=$(gs_free_port)
	local le=(--enable-leader-election --leader-election-lease-duration 3s
		--leader-election-renew-deadline 2s --leader-election-retry-period 1s)
	SC_STORAGE_ADDR="--storage-addr 127.0.0.1:$pa" start_sc la "${le[@]}"
	for _ in $(seq 100); do curl -sf "http://127.0.0.1:$pa/" >/dev/null && break; sleep 0.1; done
	curl -sf "http://127.0.0.1:$pa/" >/dev/null
	grep -q 'successfully acquired lease' "$W/la.log"
	SC_STORAGE_ADDR="--storage-addr 127.0.0.1:$pb" start_sc lb "${le[@]}"
	sleep 2.5
	# b is running but not leading: nothing listens on its storage address
	kill -0 "$(cat "$W/lb.pid")"
	! curl -s -o /dev/null "http://127.0.0.1:$pb/"
	! grep -q 'artifact server listening' "$W/lb.log"
	# the leader reconciles: the artifact URL is a's
	gitrepo le "$HTTP_URL/app.git" "ref: {branch: main}"
	wait_ready le
	field le '{.status.artifact.url}' | grep -q "^http://127.0.0.1:$pa/"
	# a steps down (SIGTERM releases the lease): b leads, serves, and rewrites the URLs
	stop_sc la
	for _ in $(seq 100); do curl -sf "http://127.0.0.1:$pb/" >/dev/null && break; sleep 0.1; done
	curl -sf "http://127.0.0.1:$pb/" >/dev/null
	grep -q 'artifact server listening' "$W/lb.log"
	k annotate --overwrite gitrepository le reconcile.fluxcd.io/requestedAt=le2 >/dev/null
	for _ in $(seq 100); do field le '{.status.artifact.url}' | grep -q "^http://127.0.0.1:$pb/" && break; sleep 0.1; done
	local url; url=$(field le '{.status.artifact.url}')
	[[ "$url" == "http://127.0.0.1:$pb/"* ]]
	curl -sf -o "$W/le.tgz" "$url"
	[ "sha256:$(sha256sum "$W/le.tgz" | cut -d' ' -f1)" = "$(field le '{.status.artifact.digest}')" ]
	stop_sc lb
}

@test "clean shutdowns (and no sanitizer report in the ASan build)" {
	local n
	for n in sc gc la lb; do
		[ -f "$W/$n.log" ] || continue
		grep -q '"msg":"stopped","status":0' "$W/$n.log"
		! grep -E 'Sanitizer|runtime error' "$W/$n.log"
	done
}
