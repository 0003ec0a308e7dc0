#!/usr/bin/env bash
# Benchmark: `eddy kustomize build` against `kubectl kustomize` on generated trees of 10, 100,
# 1000 and 5000 resources (bases, overlays, patches, generators); wall time and peak RSS of each,
# measured in the same run. Not part of the test suite.
# usage: bench/kustomize/run.sh [EDDY_DRIVER]  (default build/tests/kz-driver, or build/bin/eddy
#        once it dispatches `kustomize`)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
eddy=${1:-$src/build/tests/kz-driver}
kubectl=${KUBECTL:-$src/.tools/bin/kubectl}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
measure() { # label, command... ; prints "seconds maxrss_kb"
	local out="$work/time.txt"
	/usr/bin/time -v "$@" >"$work/out.yaml" 2>"$out" || { echo "failed: $*" >&2; tail -3 "$out" >&2; exit 1; }
	local wall rss
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out")
	rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out")
	# m:ss.ss to seconds
	echo "$(echo "$wall" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }') $rss"
}
printf '%-7s %12s %12s %8s %14s %14s %8s %s\n' resources kubectl_s eddy_s speedup kubectl_rss_kb eddy_rss_kb rss_ratio identical
for n in 10 100 1000 5000; do
	python3 "$here/gen.py" "$n" "$work/t$n"
	read -r kt kr < <(measure "$kubectl" kustomize "$work/t$n/overlay")
	cp "$work/out.yaml" "$work/k.yaml"
	read -r et er < <(measure "$eddy" kustomize build "$work/t$n/overlay")
	same=no
	cmp -s "$work/k.yaml" "$work/out.yaml" && same=yes
	printf '%-7s %12.3f %12.3f %8.1f %14d %14d %8.1f %s\n' "$n" "$kt" "$et" \
		"$(awk -v a="$kt" -v b="$et" 'BEGIN { print (b > 0 ? a / b : 0) }')" "$kr" "$er" \
		"$(awk -v a="$kr" -v b="$er" 'BEGIN { print (b > 0 ? a / b : 0) }')" "$same"
done
