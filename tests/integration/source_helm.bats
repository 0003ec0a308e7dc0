#!/usr/bin/env bats
# source-controller's HelmRepository and HelmChart reconcilers against eddy-apiserver and real
# chart repositories: charts made by the real `helm package` and `helm repo index`, served by
# lighttpd (plain, basic auth, TLS with a client certificate; tests/lib/chartserver.bash), and
# Git repositories (git http-backend behind lighttpd). The artifacts are checked with the real
# `helm template`.

bats_require_minimum_version 1.5.0

: "${KUBECTL:=kubectl}"
: "${HELM:=helm}"

setup_file() {
	export W="$BATS_FILE_TMPDIR/w"
	mkdir -p "$W/storage"
	export HELM_CACHE_HOME="$W/helm/cache" HELM_CONFIG_HOME="$W/helm/config" \
		HELM_DATA_HOME="$W/helm/data"
	source "$EDDY_SRC/tests/lib/chartserver.bash"
	gs_setup "$W/gs"
	# charts: podinfo-like "app" 1.0.0, 1.2.0, 2.0.0 and "other" 0.1.0
	cs_chart app 1.0.0 && cs_publish plain app
	sed -i 's/^version: .*/version: 1.2.0/' "$W/gs/charts-src/app/Chart.yaml" && cs_publish plain app
	sed -i 's/^version: .*/version: 2.0.0/' "$W/gs/charts-src/app/Chart.yaml" && cs_publish plain app
	cs_chart other 0.1.0 && cs_publish plain other
	sed -i 's/^version: .*/version: 1.2.0/' "$W/gs/charts-src/app/Chart.yaml"
	mkdir -p "$W/gs/www/auth" "$W/gs/www/tls"
	cp "$W/gs/www/plain/"* "$W/gs/www/auth/"
	cp "$W/gs/www/plain/"* "$W/gs/www/tls/"
	# hostile and broken repositories
	mkdir -p "$W/gs/www/notyaml" "$W/gs/www/big" "$W/gs/www/evil" "$W/gs/www/bigchart"
	printf '<html>\n<body>not: found: here</body>\n' >"$W/gs/www/notyaml/index.yaml"
	{ printf 'apiVersion: v1\nentries:\n  x:\n'; head -c 300000 /dev/zero | tr '\0' 'a' \
		| sed 's/^/  - name: x\n    version: 1.0.0\n    description: /'; echo; } \
		>"$W/gs/www/big/index.yaml"
	make_evil "$W/gs/www/evil"
	cs_chart huge 1.0.0 "$W/gs/huge"
	head -c 400000 /dev/urandom | base64 >"$W/gs/huge/templates/blob.txt"
	cs_publish bigchart huge "$W/gs/huge"
	cs_start
	export PLAIN_URL="$CS_URL/plain" BIG_URL="$CS_URL/big" NOTYAML_URL="$CS_URL/notyaml" \
		EVIL_URL="$CS_URL/evil" BIGCHART_URL="$CS_URL/bigchart" MISSING_URL="$CS_URL/nothere"
	cs_start --auth "alice:Ch4rt-s3cr3t"
	export AUTH_URL="$CS_URL/auth"
	gs_make_client_cert helm-client
	cs_start --tls --client-ca "$W/gs/tls/client-ca.crt"
	export TLS_URL="$CS_URL/tls" CA="$GS_CA"
	# a Git repository holding the chart
	gs_start_http
	export GIT_URL=$GS_HTTP_URL
	gs_repo charts
	mkdir -p "$W/gs/work/charts/charts"
	cp -r "$W/gs/charts-src/app" "$W/gs/work/charts/charts/app"
	gs_git charts add -A && gs_git charts commit -qm "app chart" && gs_git charts push -q origin HEAD 2>/dev/null
	# Debian's docker-registry (plain HTTP) with the charts pushed by the real helm push
	start_registry
	for v in 1.0.0 1.2.0 2.0.0; do
		"$HELM" push "$W/gs/www/plain/app-$v.tgz" "oci://$REG/charts" --plain-http >/dev/null 2>&1
	done
	echo "${GS_PIDS[*]}" >"$W/gs.pids"
	# the API server
	mkdir -p "$W/api"
	"$EDDY_BIN/eddy-apiserver" --data-dir "$W/api" --listen 127.0.0.1:0 >"$W/api.log" 2>&1 &
	echo $! >"$W/api.pid"
	for _ in $(seq 100); do [ -s "$W/api/kubeconfig" ] && break; sleep 0.1; done
	export KUBECONFIG="$W/api/kubeconfig" KUBECACHEDIR="$W/kcache"
	for _ in $(seq 100); do "$KUBECTL" get --raw /readyz >/dev/null 2>&1 && break; sleep 0.1; done
	for c in gitrepositories helmrepositories helmcharts; do
		"$KUBECTL" apply -f "$EDDY_SRC/config/crd/source.toolkit.fluxcd.io_$c.yaml" >/dev/null
	done
	start_sc
}

start_registry() {
	local port; port=$(gs_free_port)
	mkdir -p "$W/registry"
	cat >"$W/registry.yml" <<Y
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $W/registry
http:
  addr: 127.0.0.1:$port
Y
	/usr/bin/docker-registry serve "$W/registry.yml" >"$W/registry.log" 2>&1 &
	GS_PIDS+=($!)
	gs_wait_port "$port"
	export REG="127.0.0.1:$port"
}

# a chart archive with a "../" entry and one with a symlink out of its root, in an index
make_evil() {
	local d=$1
	python3 - "$d" <<'PY'
import io, sys, tarfile, time
d = sys.argv[1]
def add(t, name, data=b"", link=None):
    ti = tarfile.TarInfo(name)
    if link:
        ti.type, ti.linkname = tarfile.SYMTYPE, link
        t.addfile(ti)
    else:
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
chart = b"apiVersion: v2\nname: %s\nversion: 1.0.0\n"
with tarfile.open(d + "/dotdot-1.0.0.tgz", "w:gz") as t:
    add(t, "dotdot/Chart.yaml", chart % b"dotdot")
    add(t, "dotdot/../../escape.yaml", b"x: 1\n")
with tarfile.open(d + "/link-1.0.0.tgz", "w:gz") as t:
    add(t, "link/Chart.yaml", chart % b"link")
    add(t, "link/templates/passwd", link="/etc/passwd")
PY
	cat >"$d/index.yaml" <<'Y'
apiVersion: v1
entries:
  dotdot:
  - name: dotdot
    version: 1.0.0
    urls: [dotdot-1.0.0.tgz]
  link:
  - name: link
    version: 1.0.0
    urls: [link-1.0.0.tgz]
Y
}

start_sc() {
	LSAN_OPTIONS="suppressions=$EDDY_SRC/tests/lib/lsan-libgit2.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}" \
	"$EDDY_BIN/source-controller" --kubeconfig "$W/api/kubeconfig" --storage-path "$W/storage" \
		--storage-addr 127.0.0.1:0 --metrics-addr 127.0.0.1:0 --health-addr 0 \
		--min-retry-delay 300ms --max-retry-delay 4s --requeue-dependency 1s \
		--helm-index-max-size 200KiB --helm-chart-max-size 200KiB \
		--helm-cache-max-size 10 --helm-cache-ttl 1m --helm-cache-purge-interval 10s \
		${SC_EXTRA:-} >>"$W/sc.log" 2>&1 &
	echo $! >"$W/sc.pid"
}

stop_sc() {
	local pid; pid=$(cat "$W/sc.pid")
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
	return 1
}

teardown_file() {
	cp "$W/sc.log" "${SC_LOG_COPY:-/dev/null}" 2>/dev/null || true
	stop_sc || true
	local p
	for p in $(cat "$W/gs.pids") $(cat "$W/api.pid"); do kill "$p" 2>/dev/null || true; done
	for p in $(cat "$W/gs.pids") $(cat "$W/api.pid"); do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	done
}

setup() {
	source "$EDDY_SRC/tests/lib/chartserver.bash"
	GS_ROOT="$W/gs"
}

k() { "$KUBECTL" "$@"; }

helmrepo() { # name url [extra spec lines...]
	local name=$1 url=$2; shift 2
	{
		printf 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\n'
		printf 'metadata:\n  name: %s\n  namespace: default\nspec:\n' "$name"
		printf '  url: %s\n  interval: %s\n' "$url" "${INTERVAL:-1h}"
		local l; for l in "$@"; do printf '  %s\n' "$l"; done
	} | k apply -f - >/dev/null
}

helmchart() { # name kind source chart [extra spec lines...]
	local name=$1 kind=$2 src=$3 chart=$4; shift 4
	{
		printf 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmChart\n'
		printf 'metadata:\n  name: %s\n  namespace: default\nspec:\n' "$name"
		printf '  chart: %s\n  interval: %s\n' "$chart" "${INTERVAL:-1h}"
		printf '  sourceRef: {kind: %s, name: %s}\n' "$kind" "$src"
		local l; for l in "$@"; do printf '  %s\n' "$l"; done
	} | k apply -f - >/dev/null
}

gitrepo() { # name url
	printf 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: %s\n  namespace: default\nspec:\n  url: %s\n  interval: 1h\n  ref: {branch: main}\n' \
		"$1" "$2" | k apply -f - >/dev/null
}

field() { k get "$1" "$2" -o jsonpath="$3"; }
ready_status() { field "$1" "$2" '{.status.conditions[?(@.type=="Ready")].status}'; }
ready_reason() { field "$1" "$2" '{.status.conditions[?(@.type=="Ready")].reason}'; }
ready_message() { field "$1" "$2" '{.status.conditions[?(@.type=="Ready")].message}'; }

wait_ready() { # kind name [status] [timeout-s]
	local want=${3:-True} t=${4:-20} s
	for _ in $(seq $((t * 10))); do
		s=$(ready_status "$1" "$2" 2>/dev/null)
		if [ "$s" = "$want" ]; then
			[ "$want" != True ] && return 0
			[ "$(field "$1" "$2" '{.status.observedGeneration}')" = "$(field "$1" "$2" '{.metadata.generation}')" ] && return 0
		fi
		sleep 0.1
	done
	echo "$1/$2: Ready=$s ($(ready_reason "$1" "$2"): $(ready_message "$1" "$2")), wanted $want" >&2
	return 1
}

wait_field() { # kind name jsonpath value [timeout-s]
	local t=${5:-20} v
	for _ in $(seq $((t * 10))); do
		v=$(field "$1" "$2" "$3" 2>/dev/null)
		[ "$v" = "$4" ] && return 0
		sleep 0.1
	done
	echo "$1/$2: $3 = '$v', wanted '$4'" >&2
	return 1
}

fetch() { curl -sf -o "$3" "$(field "$1" "$2" '{.status.artifact.url}')"; }

sha() { echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"; }

no_secret_anywhere() { # secret...
	local s
	k get events -o yaml >"$W/events.yaml"
	k get helmrepositories,helmcharts -o yaml >"$W/objects.yaml"
	for s in "$@"; do
		! grep -q -- "$s" "$W/sc.log"
		! grep -q -- "$s" "$W/events.yaml"
		! grep -q -- "$s" "$W/objects.yaml"
	done
}

@test "HelmRepository: Ready, revision is the sha256 of the served index, the artifact is the normalised index" {
	helmrepo plain "$PLAIN_URL"
	wait_ready helmrepository plain
	local rev; rev=$(sha "$W/gs/www/plain/index.yaml")
	[ "$(field helmrepository plain '{.status.artifact.revision}')" = "$rev" ]
	[ "$(ready_message helmrepository plain)" = "stored artifact: revision '$rev'" ]
	[ "$(field helmrepository plain '{.status.artifact.path}')" = "helmrepository/default/plain/index-${rev#sha256:}.yaml" ]
	fetch helmrepository plain "$W/index.json"
	[ "$(sha "$W/index.json")" = "$(field helmrepository plain '{.status.artifact.digest}')" ]
	[ "$(stat -c %s "$W/index.json")" = "$(field helmrepository plain '{.status.artifact.size}')" ]
	# JSON with the entries sorted, versions highest first, that helm itself reads as an index
	python3 - "$W/index.json" <<'PY'
import json, sys
ix = json.load(open(sys.argv[1]))
assert ix["apiVersion"] == "v1"
assert list(ix["entries"]) == ["app", "other"], list(ix["entries"])
assert [v["version"] for v in ix["entries"]["app"]] == ["2.0.0", "1.2.0", "1.0.0"]
v = ix["entries"]["app"][0]
assert v["urls"] == ["app-2.0.0.tgz"] and v["digest"] and v["created"].endswith("Z") or "+" in v["created"]
PY
	curl -sf "$(field helmrepository plain '{.status.url}')" | cmp - "$W/index.json"
	k get events -o jsonpath='{range .items[*]}{.reason} {.message}{"\n"}{end}' \
		| grep -q "^NewArtifact stored fetched index of size .*B from '$PLAIN_URL'"
}

@test "HelmChart from an HTTP repository: the range picks the highest match, the artifact is the served file, helm template agrees" {
	helmchart app HelmRepository plain app "version: '>=1.0.0 <2.0.0'"
	wait_ready helmchart app
	[ "$(field helmchart app '{.status.artifact.revision}')" = 1.2.0 ]
	[ "$(ready_reason helmchart app)" = ChartPullSucceeded ]
	[ "$(ready_message helmchart app)" = "pulled 'app' chart with version '1.2.0'" ]
	[ "$(field helmchart app '{.status.observedChartName}')" = app ]
	[ "$(field helmchart app '{.status.observedSourceArtifactRevision}')" = "$(field helmrepository plain '{.status.artifact.revision}')" ]
	[ "$(field helmchart app '{.status.artifact.path}')" = helmchart/default/app/app-1.2.0.tgz ]
	fetch helmchart app "$W/app.tgz"
	[ "$(sha "$W/app.tgz")" = "$(field helmchart app '{.status.artifact.digest}')" ]
	cmp "$W/app.tgz" "$W/gs/www/plain/app-1.2.0.tgz"
	"$HELM" template r "$W/app.tgz" >"$W/a.out"
	"$HELM" template r "$W/gs/www/plain/app-1.2.0.tgz" >"$W/b.out"
	diff "$W/a.out" "$W/b.out"
	# the default range "*" takes the latest stable version
	helmchart latest HelmRepository plain app
	wait_ready helmchart latest
	[ "$(field helmchart latest '{.status.artifact.revision}')" = 2.0.0 ]
}

@test "HelmChart valuesFiles: merged in order into values.yaml, packaged as <version>+<generation>, helm template agrees" {
	helmchart vals HelmRepository plain app "version: 1.2.0" \
		"valuesFiles: [values.yaml, values-prod.yaml, missing.yaml]" "ignoreMissingValuesFiles: true"
	wait_ready helmchart vals
	local gen; gen=$(field helmchart vals '{.metadata.generation}')
	[ "$(field helmchart vals '{.status.artifact.revision}')" = "1.2.0+$gen" ]
	[ "$(ready_reason helmchart vals)" = ChartPackageSucceeded ]
	[ "$(ready_message helmchart vals)" = "packaged 'app' chart with version '1.2.0+$gen' and merged values files [values.yaml values-prod.yaml]" ]
	[ "$(field helmchart vals '{.status.observedValuesFiles}')" = '["values.yaml","values-prod.yaml"]' ]
	fetch helmchart vals "$W/vals.tgz"
	[ "$(sha "$W/vals.tgz")" = "$(field helmchart vals '{.status.artifact.digest}')" ]
	"$HELM" show chart "$W/vals.tgz" | grep -qx "version: 1.2.0+$gen"
	mkdir -p "$W/orig" && tar -xzf "$W/gs/www/plain/app-1.2.0.tgz" -C "$W/orig"
	"$HELM" template r "$W/vals.tgz" | sed "s/1.2.0_$gen/1.2.0/" >"$W/a.out"
	"$HELM" template r "$W/orig/app" -f "$W/orig/app/values.yaml" -f "$W/orig/app/values-prod.yaml" >"$W/b.out"
	diff "$W/a.out" "$W/b.out"
	grep -q 'replicas: 3' "$W/a.out"
	# a missing file without ignoreMissingValuesFiles: stalling ValuesFilesError
	helmchart valsbad HelmRepository plain app "version: 1.2.0" "valuesFiles: [values.yaml, nope.yaml]"
	wait_ready helmchart valsbad False
	[ "$(ready_reason helmchart valsbad)" = ValuesFilesError ]
	[ "$(ready_message helmchart valsbad)" = "values files merge error: failed to merge chart values: no values file found at path 'nope.yaml'" ]
	[ "$(field helmchart valsbad '{.status.conditions[?(@.type=="BuildFailed")].status}')" = True ]
	wait_field helmchart valsbad '{.status.conditions[?(@.type=="Stalled")].status}' True
}

@test "a new chart version in the repository moves the artifact on the next reconcile; nothing is pulled again otherwise" {
	wait_ready helmchart app
	local f; f="$W/storage/$(field helmchart app '{.status.artifact.path}')"
	local m1; m1=$(stat -c %Y.%s "$f")
	k annotate --overwrite helmchart app reconcile.fluxcd.io/requestedAt=n1
	wait_field helmchart app '{.status.lastHandledReconcileAt}' n1
	[ "$(stat -c %Y.%s "$f")" = "$m1" ]
	local before; before=$(grep -c 'GET /plain/app-1.2.0.tgz' "$W"/gs/lighttpd-*.access | paste -sd+ | bc)
	sed -i 's/^version: .*/version: 1.5.0/' "$W/gs/charts-src/app/Chart.yaml"
	cs_publish plain app
	k annotate --overwrite helmrepository plain reconcile.fluxcd.io/requestedAt=n2
	wait_field helmchart app '{.status.artifact.revision}' 1.5.0
	wait_ready helmchart app
	[ "$(field helmchart app '{.status.artifact.path}')" = helmchart/default/app/app-1.5.0.tgz ]
	fetch helmchart app "$W/app15.tgz"
	cmp "$W/app15.tgz" "$W/gs/www/plain/app-1.5.0.tgz"
	local after; after=$(grep -c 'GET /plain/app-1.2.0.tgz' "$W"/gs/lighttpd-*.access | paste -sd+ | bc)
	[ "$before" = "$after" ]
}

@test "HelmChart from a GitRepository: packaged as helm package does, reconcileStrategy Revision follows commits" {
	gitrepo charts "$GIT_URL/charts.git"
	wait_ready gitrepository charts
	helmchart gitapp GitRepository charts charts/app
	wait_ready helmchart gitapp
	[ "$(field helmchart gitapp '{.status.artifact.revision}')" = 1.2.0 ]
	[ "$(ready_reason helmchart gitapp)" = ChartPackageSucceeded ]
	fetch helmchart gitapp "$W/gitapp.tgz"
	[ "$(sha "$W/gitapp.tgz")" = "$(field helmchart gitapp '{.status.artifact.digest}')" ]
	"$HELM" template r "$W/gitapp.tgz" >"$W/a.out"
	"$HELM" template r "$W/gs/work/charts/charts/app" >"$W/b.out"
	diff "$W/a.out" "$W/b.out"
	# the files helm package puts in, read by helm as the same chart
	mkdir -p "$W/hp" && "$HELM" package -d "$W/hp" "$W/gs/work/charts/charts/app" >/dev/null
	diff <(tar -tzf "$W/gitapp.tgz" | sort) <(tar -tzf "$W/hp/app-1.2.0.tgz" | sort)
	diff <("$HELM" show chart "$W/gitapp.tgz") <("$HELM" show chart "$W/hp/app-1.2.0.tgz")
	diff <("$HELM" show values "$W/gitapp.tgz") <("$HELM" show values "$W/hp/app-1.2.0.tgz")
	# Revision: <version>+<commit[0:12]>, and values files relative to the repository root
	helmchart gitrev GitRepository charts ./charts/app "reconcileStrategy: Revision" \
		"valuesFiles: [charts/app/values.yaml, charts/app/values-prod.yaml]"
	wait_ready helmchart gitrev
	local head gen; head=$(git -C "$W/gs/repos/charts.git" rev-parse main)
	gen=$(field helmchart gitrev '{.metadata.generation}')
	[ "$(field helmchart gitrev '{.status.artifact.revision}')" = "1.2.0+${head:0:12}.$gen" ]
	fetch helmchart gitrev "$W/gitrev.tgz"
	"$HELM" template r "$W/gitrev.tgz" | sed "s/1.2.0_${head:0:12}.$gen/1.2.0/" >"$W/a.out"
	"$HELM" template r "$W/gs/work/charts/charts/app" -f "$W/gs/work/charts/charts/app/values-prod.yaml" >"$W/b.out"
	diff "$W/a.out" "$W/b.out"
	# a new commit: the Revision chart follows it, the ChartVersion one keeps its artifact
	local d1; d1=$(field helmchart gitapp '{.status.artifact.digest}')
	gs_commit charts charts/app/templates/cm.yaml "$(printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n')" "cm"
	head=$(git -C "$W/gs/repos/charts.git" rev-parse main)
	k annotate --overwrite gitrepository charts reconcile.fluxcd.io/requestedAt=g1
	wait_field helmchart gitrev '{.status.artifact.revision}' "1.2.0+${head:0:12}.$gen"
	wait_field helmchart gitapp '{.status.observedSourceArtifactRevision}' "main@sha1:$head"
	[ "$(field helmchart gitapp '{.status.artifact.digest}')" = "$d1" ]
	# a chart path that does not exist
	helmchart gitnone GitRepository charts charts/nope
	wait_ready helmchart gitnone False
	[ "$(ready_reason helmchart gitnone)" = InvalidChartReference ]
}

@test "basic auth (secretRef) and TLS with a client certificate (certSecretRef); wrong credentials fail with Flux's reason and no secret leaks" {
	k create secret generic helm-auth --from-literal=username=alice --from-literal=password=Ch4rt-s3cr3t >/dev/null
	k create secret generic helm-wrong --from-literal=username=alice --from-literal=password=Wr0ng-pa55 >/dev/null
	helmrepo auth "$AUTH_URL" "secretRef: {name: helm-auth}"
	wait_ready helmrepository auth
	helmchart authapp HelmRepository auth app "version: 1.2.0"
	wait_ready helmchart authapp
	helmrepo wrong "$AUTH_URL" "secretRef: {name: helm-wrong}"
	wait_ready helmrepository wrong False
	[ "$(ready_reason helmrepository wrong)" = Failed ]
	[ "$(ready_message helmrepository wrong)" = "failed to fetch Helm repository index: failed to cache index to temporary file: failed to fetch $AUTH_URL/index.yaml : 401 Unauthorized" ]
	[ "$(field helmrepository wrong '{.status.conditions[?(@.type=="FetchFailed")].reason}')" = Failed ]
	helmrepo nosecret "$AUTH_URL" "secretRef: {name: not-there}"
	wait_ready helmrepository nosecret False
	[ "$(ready_reason helmrepository nosecret)" = AuthenticationFailed ]
	# TLS: CA and client certificate
	k create secret generic helm-tls --from-file=tls.crt="$W/gs/tls/helm-client.crt" \
		--from-file=tls.key="$W/gs/tls/helm-client.key" --from-file=ca.crt="$CA" >/dev/null
	k create secret generic helm-ca --from-file=ca.crt="$CA" >/dev/null
	helmrepo tls "$TLS_URL" "certSecretRef: {name: helm-tls}"
	wait_ready helmrepository tls
	helmchart tlsapp HelmRepository tls app "version: 1.2.0"
	wait_ready helmchart tlsapp
	helmrepo tlsnocert "$TLS_URL" "certSecretRef: {name: helm-ca}"
	wait_ready helmrepository tlsnocert False
	[ "$(ready_reason helmrepository tlsnocert)" = Failed ]
	helmrepo tlsnoca "$TLS_URL"
	wait_ready helmrepository tlsnoca False
	no_secret_anywhere Ch4rt-s3cr3t Wr0ng-pa55 "$(sed -n 2p "$W/gs/tls/helm-client.key")"
}

@test "failures: 404 index, index over the cap, not YAML, chart over the cap, missing chart, bad range, .. and links in an archive" {
	helmrepo missing "$MISSING_URL"
	helmrepo big "$BIG_URL"
	helmrepo notyaml "$NOTYAML_URL"
	helmrepo evil "$EVIL_URL"
	helmrepo bigchart "$BIGCHART_URL"
	wait_ready helmrepository missing False
	[ "$(ready_reason helmrepository missing)" = Failed ]
	[ "$(ready_message helmrepository missing)" = "failed to fetch Helm repository index: failed to cache index to temporary file: failed to fetch $MISSING_URL/index.yaml : 404 Not Found" ]
	wait_ready helmrepository big False
	[ "$(ready_message helmrepository big)" = "failed to fetch Helm repository index: failed to cache index to temporary file: index exceeds the maximum index file size of 204800 bytes" ]
	wait_ready helmrepository notyaml False
	[ "$(ready_reason helmrepository notyaml)" = IndexationFailed ]
	ready_message helmrepository notyaml | grep -q '^failed to load Helm repository from index YAML: failed to load index: error converting YAML to JSON: yaml: line 2: mapping values are not allowed in this context$'
	wait_ready helmrepository evil
	wait_ready helmrepository bigchart
	helmchart dotdot HelmRepository evil dotdot
	helmchart link HelmRepository evil link
	helmchart huge HelmRepository bigchart huge
	helmchart nochart HelmRepository plain nochart
	helmchart badrange HelmRepository plain app "version: '>=1.0.0 <<'"
	helmchart norange HelmRepository plain app "version: '>=9.0.0'"
	wait_ready helmchart dotdot False
	[ "$(ready_reason helmchart dotdot)" = ChartPullError ]
	ready_message helmchart dotdot | grep -q 'chart illegally contains content outside the base directory'
	wait_ready helmchart link False
	ready_message helmchart link | grep -q 'link'
	wait_ready helmchart huge False
	[ "$(ready_reason helmchart huge)" = ChartPullError ]
	[ "$(ready_message helmchart huge)" = "chart pull error: failed to download chart for remote reference: chart exceeds the maximum chart size of 204800 bytes" ]
	wait_ready helmchart nochart False
	[ "$(ready_reason helmchart nochart)" = InvalidChartReference ]
	[ "$(ready_message helmchart nochart)" = "invalid chart reference: failed to get chart version for remote reference: no chart name found" ]
	wait_ready helmchart badrange False
	[ "$(ready_reason helmchart badrange)" = InvalidChartReference ]
	[ "$(ready_message helmchart badrange)" = "invalid chart reference: failed to get chart version for remote reference: improper constraint: >=1.0.0 <<" ]
	wait_ready helmchart norange False
	[ "$(ready_message helmchart norange)" = "invalid chart reference: failed to get chart version for remote reference: no 'app' chart with version matching '>=9.0.0' found" ]
	# Warning events with the reasons, and the controller still serves
	k get events -o jsonpath='{range .items[*]}{.type} {.reason}{"\n"}{end}' | grep -q '^Warning IndexationFailed'
	k get events -o jsonpath='{range .items[*]}{.type} {.reason}{"\n"}{end}' | grep -q '^Warning InvalidChartReference'
	kill -0 "$(cat "$W/sc.pid")"
	k annotate --overwrite helmchart app reconcile.fluxcd.io/requestedAt=f1
	wait_field helmchart app '{.status.lastHandledReconcileAt}' f1
	# nothing escaped the extraction
	[ ! -e "$W/storage/escape.yaml" ] && [ ! -e "$W/escape.yaml" ]
}

@test "HelmChart from an OCI registry (docker-registry, charts pushed by helm push): range, digest, helm template" {
	helmrepo reg "oci://$REG/charts" "type: oci" "insecure: true"
	wait_ready helmrepository reg
	helmchart ociapp HelmRepository reg app "version: '>=1.0.0 <2.0.0'"
	wait_ready helmchart ociapp
	[ "$(field helmchart ociapp '{.status.artifact.revision}')" = 1.2.0 ]
	[ "$(ready_message helmchart ociapp)" = "pulled 'app' chart with version '1.2.0'" ]
	fetch helmchart ociapp "$W/oci.tgz"
	[ "$(sha "$W/oci.tgz")" = "$(field helmchart ociapp '{.status.artifact.digest}')" ]
	cmp "$W/oci.tgz" "$W/gs/www/plain/app-1.2.0.tgz"
	diff <("$HELM" template r "$W/oci.tgz") <("$HELM" template r "oci://$REG/charts/app" --version 1.2.0 --plain-http)
	# valuesFiles and a new version pushed
	helmchart ocivals HelmRepository reg app "valuesFiles: [values.yaml, values-prod.yaml]"
	wait_ready helmchart ocivals
	local gen; gen=$(field helmchart ocivals '{.metadata.generation}')
	[ "$(field helmchart ocivals '{.status.artifact.revision}')" = "2.0.0+$gen" ]
	sed -i 's/^version: .*/version: 3.0.0/' "$W/gs/charts-src/app/Chart.yaml"
	mkdir -p "$W/oci3" && "$HELM" package -d "$W/oci3" "$W/gs/charts-src/app" >/dev/null
	"$HELM" push "$W/oci3/app-3.0.0.tgz" "oci://$REG/charts" --plain-http >/dev/null 2>&1
	k annotate --overwrite helmchart ocivals reconcile.fluxcd.io/requestedAt=o1
	wait_field helmchart ocivals '{.status.artifact.revision}' "3.0.0+$gen"
	# a chart that is not there, a range nothing matches
	helmchart ocinone HelmRepository reg nothere
	wait_ready helmchart ocinone False
	[ "$(ready_reason helmchart ocinone)" = InvalidChartReference ]
	helmchart ocirange HelmRepository reg app "version: '>=9'"
	wait_ready helmchart ocirange False
	[ "$(ready_message helmchart ocirange)" = "invalid chart reference: failed to get chart version for remote reference: could not locate a version matching provided version string >=9" ]
}

@test "type oci: no artifact, Ready; a chart without source artifact waits; suspend, resume, deletion" {
	helmrepo oci oci://127.0.0.1:5000/charts "type: oci"
	wait_ready helmrepository oci
	[ "$(ready_message helmrepository oci)" = "Helm repository is ready" ]
	[ -z "$(field helmrepository oci '{.status.artifact}')" ]
	helmchart waits HelmRepository notyet app
	wait_ready helmchart waits False
	[ "$(ready_reason helmchart waits)" = SourceUnavailable ]
	# suspend: no reconcile of a new version
	k patch helmchart latest --type merge -p '{"spec":{"suspend":true}}' >/dev/null
	sed -i 's/^version: .*/version: 2.1.0/' "$W/gs/charts-src/app/Chart.yaml"
	cs_publish plain app
	k annotate --overwrite helmrepository plain reconcile.fluxcd.io/requestedAt=s1
	wait_field helmrepository plain '{.status.lastHandledReconcileAt}' s1
	sleep 1
	[ "$(field helmchart latest '{.status.artifact.revision}')" = 2.0.0 ]
	k patch helmchart latest --type merge -p '{"spec":{"suspend":false}}' >/dev/null
	wait_field helmchart latest '{.status.artifact.revision}' 2.1.0
	# deletion removes the storage directories
	[ -d "$W/storage/helmchart/default/latest" ]
	k delete helmchart latest >/dev/null
	k delete helmrepository big >/dev/null
	for _ in $(seq 50); do [ -d "$W/storage/helmchart/default/latest" ] || break; sleep 0.1; done
	[ ! -d "$W/storage/helmchart/default/latest" ]
}

@test "metrics per kind; the eddy CLI gets, reconciles, suspends and resumes helm and chart sources" {
	local port; port=$(grep -o '"serving metrics server".*"port":[0-9]*' "$W/sc.log" | tail -1 | grep -o '[0-9]*$')
	curl -sf "http://127.0.0.1:$port/metrics" >"$W/metrics"
	grep -q 'gotk_reconcile_duration_seconds_count{kind="HelmRepository",name="plain",namespace="default"}' "$W/metrics"
	grep -q 'gotk_reconcile_duration_seconds_count{kind="HelmChart",name="app",namespace="default"}' "$W/metrics"
	# the HelmCharts of "plain" found its index in the cache (--helm-cache-max-size 10)
	grep -q '^gotk_cache_events_total{event_type="cache_hit",name="plain",namespace="default"} [1-9]' "$W/metrics"
	"$EDDY_BIN/eddy" -n default get sources helm >"$W/get.out"
	grep -q '^plain ' "$W/get.out"
	"$EDDY_BIN/eddy" -n default get sources chart >"$W/getc.out"
	grep -q '^app ' "$W/getc.out"
	"$EDDY_BIN/eddy" -n default reconcile source helm plain
	"$EDDY_BIN/eddy" -n default reconcile source chart app
	"$EDDY_BIN/eddy" -n default suspend source chart app
	[ "$(field helmchart app '{.spec.suspend}')" = true ]
	"$EDDY_BIN/eddy" -n default resume source chart app
	[ "$(field helmchart app '{.spec.suspend}')" = false ]
	"$EDDY_BIN/eddy" -n default suspend source helm plain
	[ "$(field helmrepository plain '{.spec.suspend}')" = true ]
	"$EDDY_BIN/eddy" -n default resume source helm plain
	[ "$(field helmrepository plain '{.spec.suspend}')" = false ]
}

@test "SIGTERM: clean exit (and no sanitizer report in the ASan build)" {
	stop_sc
	wait "$(cat "$W/sc.pid")" 2>/dev/null || true
	! grep -E 'Sanitizer|runtime error' "$W/sc.log"
}
