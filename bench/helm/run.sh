#!/usr/bin/env bash
# Benchmark: `eddy helm template` against `helm template` on a chart rendering 500 objects.
# Prints wall time (best of N runs) and peak RSS of each, and the ratios. Not run by the tests.
# Usage: bench/helm/run.sh [EDDY_BINARY] (default: build/bin/eddy)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
eddy=${1:-}
[ -n "$eddy" ] || eddy="$root/build/bin/eddy"
helm=${HELM:-$root/.tools/bin/helm}
runs=${RUNS:-5}
chart="$here/chart"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

"$helm" template bench "$chart" > "$tmp/helm.yaml"
"$eddy" helm template bench "$chart" > "$tmp/eddy.yaml"
objects=$(grep -c '^kind:' "$tmp/helm.yaml")
if cmp -s "$tmp/helm.yaml" "$tmp/eddy.yaml"; then same=byte-identical; else same=DIFFERENT; fi

measure() { # cmd... -> "best_wall_seconds best_cpu_seconds max_rss_kb"
  local best=999999 cpu=999999 rss=0 t u s r
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %U %S %M" -o "$tmp/t" "$@" > /dev/null
    read -r t u s r < "$tmp/t"
    best=$(python3 -c "print(min($best, $t))")
    cpu=$(python3 -c "print(min($cpu, $u + $s))")
    [ "$r" -gt "$rss" ] && rss=$r
  done
  echo "$best $cpu $rss"
}
read -r ht hc hr < <(measure "$helm" template bench "$chart")
read -r et ec er < <(measure "$eddy" helm template bench "$chart")
echo "objects rendered: $objects (outputs $same)"
printf "helm template:       wall %6.3f s  cpu %6.3f s  peak RSS %7d KiB\n" "$ht" "$hc" "$hr"
printf "eddy helm template:  wall %6.3f s  cpu %6.3f s  peak RSS %7d KiB\n" "$et" "$ec" "$er"
python3 -c "print('speedup: wall %.1fx, cpu %.1fx   memory: %.1fx less' % ($ht / max($et, 0.001), $hc / max($ec, 0.001), $hr / max($er, 1)))"
