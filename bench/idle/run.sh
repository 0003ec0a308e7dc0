#!/usr/bin/env bash
# Idle resident memory of each binary: eddy-apiserver with the CRDs of config/crd installed and
# no objects, then each controller started against it; once a controller has logged that its
# workers started and has been quiet for a few seconds, VmRSS and its parts are read from
# /proc/PID/status. Prints one row per binary (KiB), and the libraries loaded on first use
# (libcurl, libarchive) that an idle binary has nevertheless mapped ("lazy: -" when none).
#
#   bench/idle/run.sh [BIN_DIR]     (default build/bin; KUBECTL defaults to .tools/bin/kubectl)
#   SETTLE=5 bench/idle/run.sh      seconds to wait after start-up before reading
#   SMAPS=1 bench/idle/run.sh       also print each controller's largest mappings by Rss
#   TLS=1 bench/idle/run.sh         eddy-apiserver with --tls (client certificates in kubeconfig)
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$(cd "${1:-${EDDY_BIN:-$SRC/build/bin}}" && pwd)
KUBECTL=${KUBECTL:-$SRC/.tools/bin/kubectl}
SETTLE=${SETTLE:-5}
CONTROLLERS=(source-controller kustomize-controller helm-controller notification-controller
	image-controller)

WORK=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

k() { "$KUBECTL" --kubeconfig "$WORK/data/kubeconfig" --cache-dir "$WORK/kcache" "$@"; }

field() { # pid field -> value in kB
	awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"
}

lazy() { # pid: libcurl/libarchive mapped, or -
	local l
	l=$(grep -o 'lib\(curl\|archive\)\.so[.0-9]*' "/proc/$1/maps" | sort -u | tr '\n' ' ')
	echo "${l:--}"
}

row() { # name pid
	printf '%-24s %8s %8s %8s %8s  lazy: %s\n' "$1" "$(field "$2" VmRSS)" "$(field "$2" RssAnon)" \
		"$(field "$2" RssFile)" "$(field "$2" RssShmem)" "$(lazy "$2")"
}

smaps() { # pid: the mappings with the most resident memory
	awk '/^[0-9a-f]+-[0-9a-f]+ /{name = ($6 == "" ? "[anon]" : $6)}
		/^Rss:/{rss[name] += $2}
		END {for (n in rss) if (rss[n] > 0) printf "    %6d kB  %s\n", rss[n], n}' \
		"/proc/$1/smaps" | sort -rn | head -n 12
}

mkdir -p "$WORK/data"
tls=()
[ "${TLS:-0}" = 1 ] && tls=(--tls)
"$BIN/eddy-apiserver" --data-dir "$WORK/data" --listen 127.0.0.1:0 "${tls[@]}" \
	>"$WORK/apiserver.log" 2>&1 &
API=$!
PIDS+=("$API")
for _ in $(seq 600); do
	if [ -s "$WORK/data/kubeconfig" ] && k get --raw /readyz >/dev/null 2>&1; then
		break
	fi
	sleep 0.05
done
k apply --server-side -f "$SRC/config/crd/" >/dev/null

printf '%-24s %8s %8s %8s %8s\n' binary VmRSS RssAnon RssFile RssShmem
for c in "${CONTROLLERS[@]}"; do
	args=(--kubeconfig "$WORK/data/kubeconfig" --metrics-addr 127.0.0.1:0
		--health-addr 127.0.0.1:0)
	help=$("$BIN/$c" --help 2>&1 || true)
	if grep -q -- '--storage-path' <<<"$help"; then
		mkdir -p "$WORK/storage-$c"
		args+=(--storage-path "$WORK/storage-$c")
	fi
	if grep -q -- '--storage-addr' <<<"$help"; then
		args+=(--storage-addr 127.0.0.1:0)
	fi
	"$BIN/$c" "${args[@]}" >"$WORK/$c.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	for _ in $(seq 300); do
		grep -q 'Starting workers\|starting workers\|starting manager' "$WORK/$c.log" && break
		sleep 0.1
	done
	sleep "$SETTLE"
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "$c exited; log:" >&2
		cat "$WORK/$c.log" >&2
		exit 1
	fi
	row "$c" "$pid"
	[ "${SMAPS:-0}" = 1 ] && smaps "$pid"
done
row eddy-apiserver "$API"
