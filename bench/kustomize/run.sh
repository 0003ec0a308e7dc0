#!/usr/bin/env bash
# Benchmark: `eddy kustomize build` against `kubectl kustomize` on generated trees of 10, 100,
# 1000 and 5000 resources (bases, overlays, patches, generators); wall time and peak RSS of each,
# measured in the same run. Not part of the test suite.
# usage: bench/kustomize/run.sh [EDDY]  (default build/bin/eddy)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
eddy=${1:-$src/build/bin/eddy}
kubectl=${KUBECTL:-$src/.tools/bin/kubectl}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
measure() { # command... ; prints "wall_seconds maxrss_kb cpu_seconds"
	local out="$work/time.txt"
	/usr/bin/time -v "$@" >"$work/out.yaml" 2>"$out" || { echo "failed: $*" >&2; tail -3 "$out" >&2; exit 1; }
	local wall rss cpu
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out")
	rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out")
	cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$out")
	# m:ss.ss to seconds
	echo "$(echo "$wall" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }') $rss $cpu"
}
# Wall times are noisy on a shared machine; CPU seconds (user+sys) are shown too.
printf '%-9s %10s %8s %8s %10s %8s %8s %12s %10s %6s %s\n' resources kubectl_s eddy_s speedup \
	kubectl_cpu eddy_cpu cpu_x kubectl_rss_kb eddy_rss_kb rss_x identical
for n in 10 100 1000 5000; do
	python3 "$here/gen.py" "$n" "$work/t$n"
	read -r kt kr kc < <(measure "$kubectl" kustomize "$work/t$n/overlay")
	cp "$work/out.yaml" "$work/k.yaml"
	read -r et er ec < <(measure "$eddy" kustomize build "$work/t$n/overlay")
	same=no
	cmp -s "$work/k.yaml" "$work/out.yaml" && same=yes
	ratio() { awk -v a="$1" -v b="$2" 'BEGIN { print (b > 0 ? a / b : 0) }'; }
	printf '%-9s %10.2f %8.2f %8.1f %10.2f %8.2f %8.1f %12d %10d %6.1f %s\n' "$n" "$kt" "$et" \
		"$(ratio "$kt" "$et")" "$kc" "$ec" "$(ratio "$kc" "$ec")" "$kr" "$er" \
		"$(ratio "$kr" "$er")" "$same"
done
