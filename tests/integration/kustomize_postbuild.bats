#!/usr/bin/env bats
# kustomize-controller postBuild substitution and SOPS decryption end to end: eddy-apiserver, a
# real Git server, source-controller and kustomize-controller as processes, driven with kubectl.
# The encrypted Secrets are written by tests/tools/sops_encrypt.py, which wraps the data key with
# the real `age` and `gpg` (test keys from tests/unit/sops/).

bats_require_minimum_version 1.5.0

: "${KUBECTL:=kubectl}"

# plaintexts that must never appear in the controller's log
AGE_PLAIN=age-plain-value-7f3a
PGP_PLAIN=pgp-plain-value-91c2
SUBST_SECRET=hunter2-subst-value-55e1
GEN_PLAIN=generated-plain-value-0d4b
ECC_PLAIN=ecc-plain-value-3b8e
ENV_PLAIN=env-plain-value-c6a1

setup_file() {
	export W="$BATS_FILE_TMPDIR/w"
	mkdir -p "$W/storage" "$W/tmp" "$W/enc"
	source "$EDDY_SRC/tests/lib/gitserver.bash"
	gs_setup "$W/gs"
	gs_start_http
	export HTTP_URL=$GS_HTTP_URL
	echo "${GS_PIDS[*]}" >"$W/gs.pids"
	local keys="$EDDY_SRC/tests/unit/sops" enc="$EDDY_SRC/tests/tools/sops_encrypt.py"
	local age_r; age_r=$(age-keygen -y "$keys/age.agekey")
	export GNUPGHOME="$W/gnupg"
	mkdir -m 700 "$GNUPGHOME"
	gpg --batch --import "$keys/pgp.asc" 2>/dev/null
	gpg --batch --import "$keys/pgp-ecc.asc" 2>/dev/null
	local fpr ecc; fpr=$(cat "$keys/pgp.fpr") ecc=$(cat "$keys/pgp-ecc.fpr")

	gs_repo fleet
	# postBuild: every kind of variable source, defaults, escapes, opt-out, a number field
	gs_commit fleet subst/cm.yaml 'apiVersion: v1
kind: ConfigMap
metadata:
  name: subst-out
  namespace: default
data:
  color: ${color}
  password: ${db_pass}
  region: ${region:=eu-west-1}
  zone: ${zone:-${color}-a}
  over1: ${over1}
  over2: ${over2}
  escaped: $${literal}
  bare: $color
  upper: ${color^^}
'
	gs_commit fleet subst/optout.yaml 'apiVersion: v1
kind: ConfigMap
metadata:
  name: subst-optout
  namespace: default
  annotations:
    kustomize.toolkit.fluxcd.io/substitute: disabled
data:
  color: ${color}
'
	gs_commit fleet subst/svc.yaml 'apiVersion: v1
kind: Service
metadata:
  name: subst-svc
  namespace: default
spec:
  ports:
  - port: ${port}
    name: http
'
	gs_commit fleet strict/cm.yaml 'apiVersion: v1
kind: ConfigMap
metadata:
  name: strict-out
  namespace: default
data:
  v: ${undefined_var}
'
	# SOPS: a Secret for age, one for PGP, and a secretGenerator file
	local b64a b64p
	b64a=$(printf '%s' "$AGE_PLAIN" | base64 -w0)
	b64p=$(printf '%s' "$PGP_PLAIN" | base64 -w0)
	printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: age-secret\n  namespace: default\ntype: Opaque\ndata:\n  password: %s\n' \
		"$b64a" >"$W/enc/age.yaml"
	printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: pgp-secret\n  namespace: default\ntype: Opaque\ndata:\n  password: %s\n' \
		"$b64p" >"$W/enc/pgp.yaml"
	printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: ecc-secret\n  namespace: default\ntype: Opaque\nstringData:\n  password: %s\n' \
		"$ECC_PLAIN" >"$W/enc/ecc.yaml"
	printf '{"user": "admin", "token": "%s"}\n' "$GEN_PLAIN" >"$W/enc/config.json"
	local R='^(data|stringData)$'
	gs_commit fleet sops/age.yaml "$(python3 "$enc" --age "$age_r" --encrypted-regex "$R" \
		"$W/enc/age.yaml")
"
	gs_commit fleet sops/pgp.yaml "$(python3 "$enc" --pgp "$fpr" --encrypted-regex "$R" \
		"$W/enc/pgp.yaml")
"
	sed 's/name: age-secret/name: fallback-secret/' "$W/enc/age.yaml" >"$W/enc/fallback.yaml"
	gs_commit fleet sopsfallback/secret.yaml "$(python3 "$enc" --age "$age_r" \
		--encrypted-regex "$R" "$W/enc/fallback.yaml")
"
	gs_commit fleet sops/ecc.yaml "$(python3 "$enc" --pgp "$ecc" --encrypted-regex "$R" \
		"$W/enc/ecc.yaml")
"
	gs_commit fleet sopsgen/config.json "$(python3 "$enc" --age "$age_r" --input-type json \
		"$W/enc/config.json")
"
	printf 'DB_USER: app\nDB_PASSWORD: %s\n' "$ENV_PLAIN" >"$W/enc/env.yaml"
	gs_commit fleet sopsenv/secret.env "$(python3 "$enc" --age "$age_r" --output-type dotenv \
		"$W/enc/env.yaml")
"
	gs_commit fleet sopsenv/kustomization.yaml 'secretGenerator:
- name: env-gen
  namespace: default
  envs:
  - secret.env
  literals:
  - PLAIN=visible
'
	gs_commit fleet sopsgen/kustomization.yaml 'secretGenerator:
- name: gen
  namespace: default
  files:
  - config.json
generatorOptions:
  disableNameSuffixHash: true
'
	gpgconf --kill all >/dev/null 2>&1 || true

	mkdir -p "$W/api"
	"$EDDY_BIN/eddy-apiserver" --data-dir "$W/api" --listen 127.0.0.1:0 >"$W/api.log" 2>&1 &
	echo $! >"$W/api.pid"
	for _ in $(seq 100); do [ -s "$W/api/kubeconfig" ] && break; sleep 0.1; done
	export KUBECONFIG="$W/api/kubeconfig" KUBECACHEDIR="$W/kcache"
	for _ in $(seq 100); do "$KUBECTL" get --raw /readyz >/dev/null 2>&1 && break; sleep 0.1; done
	"$KUBECTL" apply -f "$EDDY_SRC/config/crd/source.toolkit.fluxcd.io_gitrepositories.yaml" \
		-f "$EDDY_SRC/config/crd/kustomize.toolkit.fluxcd.io_kustomizations.yaml" >/dev/null
	# variables and keys
	"$KUBECTL" create configmap vars-a -n default --from-literal=color=blue \
		--from-literal=over1=cm-a --from-literal=over2=cm-a >/dev/null
	"$KUBECTL" create configmap vars-b -n default --from-literal=over1=cm-b \
		--from-literal=over2=cm-b >/dev/null
	"$KUBECTL" create secret generic vars-secret -n default \
		--from-literal=db_pass="$SUBST_SECRET" --from-literal=port=8080 >/dev/null
	"$KUBECTL" create secret generic sops-keys -n default \
		--from-file=identity.agekey="$keys/age.agekey" \
		--from-file=key.asc="$keys/pgp.asc" --from-file=ecc.asc="$keys/pgp-ecc.asc" >/dev/null
	"$KUBECTL" create secret generic fallback-age -n default \
		--from-file=identity.agekey="$keys/age.agekey" >/dev/null
	"$KUBECTL" create secret generic wrong-keys -n default \
		--from-file=identity.agekey="$keys/other.agekey" >/dev/null
	printf 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: fleet\n  namespace: default\nspec:\n  url: %s\n  interval: 1h\n  ref:\n    branch: main\n' \
		"$HTTP_URL/fleet.git" | "$KUBECTL" apply -f - >/dev/null
	LSAN_OPTIONS="suppressions=$EDDY_SRC/tests/lib/lsan-libgit2.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}" \
	"$EDDY_BIN/source-controller" --kubeconfig "$W/api/kubeconfig" --storage-path "$W/storage" \
		--storage-addr 127.0.0.1:0 --metrics-addr 127.0.0.1:0 --health-addr 0 \
		--min-retry-delay 300ms --max-retry-delay 4s >>"$W/sc.log" 2>&1 &
	echo $! >"$W/sc.pid"
	TMPDIR="$W/tmp" RUNTIME_NAMESPACE=default \
	"$EDDY_BIN/kustomize-controller" --kubeconfig "$W/api/kubeconfig" \
		--metrics-addr 127.0.0.1:0 --health-addr 0 --requeue-dependency 2s \
		--sops-age-secret fallback-age \
		--log-level debug --min-retry-delay 300ms --max-retry-delay 4s >>"$W/kc.log" 2>&1 &
	echo $! >"$W/kc.pid"
}

stop_pid() {
	local pid=$1
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
}

teardown_file() {
	stop_pid "$(cat "$W/kc.pid")"
	stop_pid "$(cat "$W/sc.pid")"
	cp "$W/kc.log" "${KC_LOG_COPY:-/dev/null}" 2>/dev/null || true
	local p
	for p in $(cat "$W/gs.pids") $(cat "$W/api.pid"); do kill "$p" 2>/dev/null || true; done
	for p in $(cat "$W/gs.pids") $(cat "$W/api.pid"); do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	done
}

k() { "$KUBECTL" "$@"; }

ks() { # name path [extra spec lines...]
	local name=$1 path=$2; shift 2
	{
		printf 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n'
		printf 'metadata:\n  name: %s\n  namespace: default\nspec:\n' "$name"
		printf '  interval: 1h\n  retryInterval: 2s\n  prune: true\n  path: %s\n' "$path"
		printf '  sourceRef:\n    kind: GitRepository\n    name: fleet\n'
		local l; for l in "$@"; do printf '  %s\n' "$l"; done
	} | k apply -f - >/dev/null
}

kfield() { k get kustomization "$1" -o jsonpath="$2"; }
ready() { kfield "$1" '{.status.conditions[?(@.type=="Ready")].status}'; }
reason() { kfield "$1" '{.status.conditions[?(@.type=="Ready")].reason}'; }
message() { kfield "$1" '{.status.conditions[?(@.type=="Ready")].message}'; }

wait_ks() { # name status [reason] [timeout-s]
	local want=$2 wr=${3:-} t=${4:-30} s r
	for _ in $(seq $((t * 10))); do
		s=$(ready "$1" 2>/dev/null) r=$(reason "$1" 2>/dev/null)
		if [ "$s" = "$want" ] && { [ -z "$wr" ] || [ "$r" = "$wr" ]; }; then
			return 0
		fi
		sleep 0.1
	done
	echo "$1: Ready=$s ($r: $(message "$1")), wanted $want $wr" >&2
	return 1
}

cm() { k get configmap "$1" -n default -o jsonpath="{.data.$2}"; }
secret() { k get secret "$1" -n default -o jsonpath="{.data.$2}" | base64 -d; }

@test "postBuild substitutes from ConfigMaps, a Secret and inline, in Flux's order" {
	ks subst ./subst \
		'postBuild:' \
		'  substitute:' \
		'    over2: inline' \
		'  substituteFrom:' \
		'  - kind: ConfigMap' \
		'    name: vars-a' \
		'  - kind: ConfigMap' \
		'    name: vars-b' \
		'  - kind: Secret' \
		'    name: vars-secret' \
		'  - kind: ConfigMap' \
		'    name: not-there' \
		'    optional: true'
	wait_ks subst True ReconciliationSucceeded
	[ "$(cm subst-out color)" = blue ]
	[ "$(cm subst-out password)" = "$SUBST_SECRET" ]
	[ "$(cm subst-out region)" = eu-west-1 ]
	[ "$(cm subst-out zone)" = blue-a ]
	# later substituteFrom entries override earlier ones; substitute overrides them all
	[ "$(cm subst-out over1)" = cm-b ]
	[ "$(cm subst-out over2)" = inline ]
	[ "$(cm subst-out escaped)" = '${literal}' ]
	[ "$(cm subst-out bare)" = '$color' ]
	[ "$(cm subst-out upper)" = BLUE ]
	# the opt-out annotation leaves the object alone
	[ "$(cm subst-optout color)" = '${color}' ]
	# a variable in a number field becomes a number again
	run -0 k get service subst-svc -n default -o json
	python3 -c 'import json,sys; p=json.load(sys.stdin)["spec"]["ports"][0]["port"]; assert p == 8080 and isinstance(p, int), p' <<<"$output"
}

@test "config watchers: a labelled ConfigMap's change is applied at once, others are not" {
	wait_ks subst True ReconciliationSucceeded
	# not labelled: no reconcile (interval is 1h)
	k patch configmap vars-b -n default --type merge -p '{"data":{"over1":"cm-b2"}}' >/dev/null
	k label configmap vars-a -n default reconcile.fluxcd.io/watch=Enabled >/dev/null
	k patch configmap vars-a -n default --type merge -p '{"data":{"color":"green"}}' >/dev/null
	for _ in $(seq 100); do [ "$(cm subst-out color)" = green ] && break; sleep 0.1; done
	[ "$(cm subst-out color)" = green ]
	# The label and the data change may queue two reconciles; let the second one finish
	# before the unlabelled change below, which no reconcile may see.
	sleep 2
	# the reconcile triggered by vars-a read the current vars-b too
	[ "$(cm subst-out over1)" = cm-b2 ]
	# an unlabelled change alone does not trigger a reconcile
	k patch configmap vars-b -n default --type merge -p '{"data":{"over1":"cm-b3"}}' >/dev/null
	sleep 2
	[ "$(cm subst-out over1)" = cm-b2 ]
}

@test "postBuild: a missing required source, a missing variable (strict) give BuildFailed" {
	ks substmissing ./subst \
		'postBuild:' \
		'  substituteFrom:' \
		'  - kind: ConfigMap' \
		'    name: absent'
	wait_ks substmissing False BuildFailed
	run -0 message substmissing
	[[ "$output" == *"substitute from 'ConfigMap/absent' error"* ]] || { echo "$output"; false; }
	ks strict ./strict \
		'postBuild:' \
		'  substitute:' \
		'    color: red'
	wait_ks strict False BuildFailed
	run -0 message strict
	[[ "$output" == *"post build failed for 'strict-out'"*'variable not set (strict mode): "undefined_var"'* ]] ||
		{ echo "$output"; false; }
	run ! k get configmap strict-out -n default
	k delete kustomization substmissing strict --wait=false >/dev/null
}

@test "SOPS: age-, PGP RSA- and PGP Curve25519-encrypted Secrets are applied decrypted" {
	ks sops ./sops \
		'decryption:' \
		'  provider: sops' \
		'  secretRef:' \
		'    name: sops-keys'
	wait_ks sops True ReconciliationSucceeded
	[ "$(secret age-secret password)" = "$AGE_PLAIN" ]
	[ "$(secret pgp-secret password)" = "$PGP_PLAIN" ]
	# stringData, decrypted, is turned into data by the API server
	run -0 k get secret ecc-secret -n default -o json
	python3 -c 'import json,sys,base64; s=json.load(sys.stdin); v=s.get("stringData",{}).get("password") or base64.b64decode(s["data"]["password"]).decode(); assert v == sys.argv[1], v' \
		"$ECC_PLAIN" <<<"$output"
	# no sops metadata reaches the cluster
	run -0 k get secret age-secret -n default -o json
	python3 -c 'import json,sys; assert "sops" not in json.load(sys.stdin)' <<<"$output"
	# a secretGenerator file that is itself a SOPS document is decrypted in the Secret
	ks sopsgen ./sopsgen \
		'decryption:' \
		'  provider: sops' \
		'  secretRef:' \
		'    name: sops-keys'
	wait_ks sopsgen True ReconciliationSucceeded
	run -0 secret gen 'config\.json'
	python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["token"] == sys.argv[1] and d["user"] == "admin", d' \
		"$GEN_PLAIN" <<<"$output"
	# a secretGenerator `envs` file in SOPS dotenv format is decrypted before the build
	ks sopsenv ./sopsenv \
		'decryption:' \
		'  provider: sops' \
		'  secretRef:' \
		'    name: sops-keys'
	wait_ks sopsenv True ReconciliationSucceeded
	run -0 k get secrets -n default -o json
	python3 -c '
import json, sys, base64
items = [s for s in json.load(sys.stdin)["items"] if s["metadata"]["name"].startswith("env-gen-")]
assert len(items) == 1, [s["metadata"]["name"] for s in items]
d = {k: base64.b64decode(v).decode() for k, v in items[0]["data"].items()}
assert d == {"DB_USER": "app", "DB_PASSWORD": sys.argv[1], "PLAIN": "visible"}, sorted(d)
' "$ENV_PLAIN" <<<"$output"
}

@test "SOPS: without secretRef the --sops-age-secret Secret provides the age keys" {
	ks sopsfallback ./sopsfallback \
		'decryption:' \
		'  provider: sops'
	wait_ks sopsfallback True ReconciliationSucceeded
	[ "$(secret fallback-secret password)" = "$AGE_PLAIN" ]
}

@test "SOPS: a wrong key fails the build; no decryption configured refuses the Secret" {
	ks sopswrong ./sops \
		'decryption:' \
		'  provider: sops' \
		'  secretRef:' \
		'    name: wrong-keys'
	wait_ks sopswrong False BuildFailed
	run -0 message sopswrong
	[[ "$output" == *"decryption failed for '"*"cannot get sops data key"* ]] ||
		{ echo "$output"; false; }
	ks sopsnone ./sops
	wait_ks sopsnone False ReconciliationFailed
	run -0 message sopsnone
	[[ "$output" == *"is SOPS encrypted, configuring decryption is required"* ]] ||
		{ echo "$output"; false; }
	ks sopsnokeys ./sops \
		'decryption:' \
		'  provider: sops' \
		'  secretRef:' \
		'    name: no-such-secret'
	wait_ks sopsnokeys False BuildFailed
	run -0 message sopsnokeys
	[[ "$output" == *"cannot get sops decryption Secret 'default/no-such-secret'"* ]] ||
		{ echo "$output"; false; }
	k delete kustomization sopswrong sopsnone sopsnokeys --wait=false >/dev/null
}

@test "no secret value in the controller's log or in Kustomization statuses" {
	local v b
	run -0 k get kustomizations -A -o yaml
	for v in "$AGE_PLAIN" "$PGP_PLAIN" "$SUBST_SECRET" "$GEN_PLAIN" "$ECC_PLAIN" "$ENV_PLAIN"; do
		[[ "$output" != *"$v"* ]] || { echo "status holds $v"; false; }
		b=$(printf '%s' "$v" | base64 -w0)
		for f in "$W/kc.log"; do
			! grep -qF -- "$v" "$f" || { echo "$v in $f"; false; }
			! grep -qF -- "$b" "$f" || { echo "base64 of $v in $f"; false; }
		done
	done
	# the log is not empty: the reconciles above were logged (debug level)
	[ "$(wc -l <"$W/kc.log")" -gt 5 ]
}

@test "kustomize-controller stops cleanly (no sanitizer report, no checkout left behind)" {
	stop_pid "$(cat "$W/kc.pid")"
	run ! kill -0 "$(cat "$W/kc.pid")"
	run ! grep -E "ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:" "$W/kc.log"
	run -0 ls -A "$W/tmp"
	[ -z "$output" ] || { echo "$output"; false; }
	# and still no plaintext in the log after shutdown
	local v
	for v in "$AGE_PLAIN" "$PGP_PLAIN" "$SUBST_SECRET" "$GEN_PLAIN" "$ECC_PLAIN" "$ENV_PLAIN"; do
		! grep -qF -- "$v" "$W/kc.log" || { echo "$v in the log"; false; }
	done
}
