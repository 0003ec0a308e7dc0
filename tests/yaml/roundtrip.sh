#!/usr/bin/env bash
# YAML conformance: every manifest under manifests/ goes through `kubectl kustomize` (a
# kustomization listing just that file) and through yml_roundtrip (our parser + emitter);
# the outputs must be identical byte for byte. Usage: roundtrip.sh PATH/TO/yml_roundtrip
set -uo pipefail
tool=${1:?usage: roundtrip.sh yml_roundtrip}
here=$(cd "$(dirname "$0")" && pwd)
kubectl=${KUBECTL:-$here/../../.tools/bin/kubectl}
if [ ! -x "$kubectl" ]; then
  echo "roundtrip: kubectl not found at $kubectl" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0 n=0
for m in "$here"/manifests/*.yaml; do
  name=$(basename "$m")
  d="$work/$name.d"
  mkdir -p "$d"
  cp "$m" "$d/resource.yaml"
  printf 'resources:\n- resource.yaml\n' >"$d/kustomization.yaml"
  if ! "$kubectl" kustomize "$d" >"$d/expected" 2>"$d/kerr"; then
    echo "not ok $name: kubectl kustomize failed: $(head -c 300 "$d/kerr")"
    fail=1
    continue
  fi
  if ! "$tool" "$m" >"$d/got" 2>"$d/err"; then
    echo "not ok $name: yml_roundtrip failed: $(cat "$d/err")"
    fail=1
    continue
  fi
  if ! cmp -s "$d/expected" "$d/got"; then
    echo "not ok $name: output differs from kubectl kustomize"
    diff -u "$d/expected" "$d/got" | head -40
    fail=1
    continue
  fi
  n=$((n + 1))
done
echo "roundtrip: $n manifests identical to kubectl kustomize"
[ "$n" -ge 1 ] || fail=1
exit $fail
