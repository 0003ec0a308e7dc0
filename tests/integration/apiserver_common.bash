# Shared helpers for the eddy-apiserver bats suites: start a server on a free loopback port with
# a fresh data directory, point kubectl/helm at it, and stop it (checking a clean exit, which
# in the sanitizer build also means no leaks).

: "${EDDY_BIN:?EDDY_BIN must point at build/bin}"
: "${KUBECTL:=kubectl}"
: "${HELM:=helm}"

# start_apiserver DIR [extra flags...]: start on 127.0.0.1:0 with data dir DIR (created if
# needed), wait for DIR/kubeconfig and export KUBECONFIG/KUBECACHEDIR and APISERVER_PID.
start_apiserver() {
	local dir=$1; shift
	mkdir -p "$dir"
	rm -f "$dir/kubeconfig"
	"$EDDY_BIN/eddy-apiserver" --data-dir "$dir" --listen 127.0.0.1:0 "$@" \
		>>"$dir/apiserver.log" 2>&1 &
	APISERVER_PID=$!
	export APISERVER_PID
	local i
	for i in $(seq 1 100); do
		[ -s "$dir/kubeconfig" ] && break
		kill -0 "$APISERVER_PID" 2>/dev/null || { cat "$dir/apiserver.log" >&2; return 1; }
		sleep 0.1
	done
	[ -s "$dir/kubeconfig" ] || { echo "apiserver did not start" >&2; return 1; }
	export KUBECONFIG="$dir/kubeconfig"
	export KUBECACHEDIR="$dir/kubecache"
	APISERVER_URL=$(sed -n 's/^ *server: //p' "$dir/kubeconfig")
	export APISERVER_URL
}

# stop_apiserver: SIGTERM and wait; fails when the exit status is not 0.
stop_apiserver() {
	[ -n "${APISERVER_PID:-}" ] || return 0
	kill -TERM "$APISERVER_PID" 2>/dev/null || true
	local rc=0
	wait "$APISERVER_PID" || rc=$?
	APISERVER_PID=
	return $rc
}

kill9_apiserver() {
	[ -n "${APISERVER_PID:-}" ] || return 0
	kill -9 "$APISERVER_PID" 2>/dev/null || true
	wait "$APISERVER_PID" 2>/dev/null || true
	APISERVER_PID=
}

k() { "$KUBECTL" "$@"; }

# api METHOD PATH [curl args...]: raw request, prints the body; HTTP code in $API_CODE file.
api() {
	local method=$1 path=$2; shift 2
	curl -sS -X "$method" "$APISERVER_URL$path" "$@"
}
