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
	printf 'apiVersion: v1\nentries: [\n  :: {\n' >"$W/gs/www/notyaml/index.yaml"
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
