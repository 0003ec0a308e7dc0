#!/usr/bin/env bash
# Differential suite: every tests/kustomize/cases/<name>/ through `kubectl kustomize` and
# `eddy kustomize build`. A case builds its own directory, or the directory named in its BUILD
# file. Where kubectl fails, eddy must fail too; otherwise eddy's output must equal kubectl's
# parsed (canonical JSON) and is counted as byte-identical when the bytes match.
# usage: run.sh EDDY CANON [CASE...]
#   EDDY: the binary run as `EDDY kustomize build DIR` (build/bin/eddy)
#   CANON: a binary printing a YAML stream as canonical JSON with `CANON canon FILE` (kz-driver)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
driver=$1; canon=$2; shift 2
kubectl=${KUBECTL:-$here/../../.tools/bin/kubectl}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export driver canon kubectl work

one() {
	local dir=$1 name build krc erc
	name=$(basename "$dir")
	build=$dir
	[ -f "$dir/BUILD" ] && build="$dir/$(cat "$dir/BUILD")"
	"$kubectl" kustomize "$build" >"$work/$name.k" 2>"$work/$name.ke"; krc=$?
	"$driver" kustomize build "$build" >"$work/$name.e" 2>"$work/$name.ee"; erc=$?
	if grep -q 'Sanitizer' "$work/$name.ee"; then
		echo "FAIL sanitizer $name: $(grep -m1 -A3 'Sanitizer' "$work/$name.ee" | tr '\n' ' ' | head -c 300)"
		return
	fi
	if [ $krc -ne 0 ]; then
		if [ $erc -ne 0 ]; then
			# the message without kubectl's warnings and the "error: "/"Error: " prefix
			grep -v '^# Warning: ' "$work/$name.ke" | sed '1s/^error: //' >"$work/$name.km"
			sed '1s/^Error: //' "$work/$name.ee" >"$work/$name.em"
			if cmp -s "$work/$name.km" "$work/$name.em"; then
				echo "PASS error $name (same message)"
			else
				echo "PASS error $name"
			fi
		else
			echo "FAIL noerror $name"
		fi
		return
	fi
	if [ $erc -ne 0 ]; then echo "FAIL error $name: $(head -c 300 "$work/$name.ee")"; return; fi
	if cmp -s "$work/$name.k" "$work/$name.e"; then echo "PASS bytes $name"; return; fi
	if "$canon" canon "$work/$name.k" >"$work/$name.kc" 2>/dev/null &&
	   "$canon" canon "$work/$name.e" >"$work/$name.ec" 2>/dev/null &&
	   cmp -s "$work/$name.kc" "$work/$name.ec"; then
		echo "PASS parsed $name"
	else
		echo "FAIL differ $name"
	fi
}
export -f one

if [ $# -gt 0 ]; then
	for c in "$@"; do case $c in */*) echo "$c";; *) echo "$here/cases/$c";; esac; done
else
	find "$here/cases" -mindepth 1 -maxdepth 1 -type d | sort
fi | xargs -P2 -I{} bash -c 'one "$@"' _ {} >"$work/results"

sort -k3 "$work/results" | grep -v '^PASS' || true
total=$(wc -l <"$work/results")
pass=$(grep -c '^PASS' "$work/results")
bytes=$(grep -c '^PASS bytes' "$work/results")
errs=$(grep -c '^PASS error' "$work/results")
same=$(grep -c '^PASS error .*(same message)' "$work/results")
ok_out=$((total - errs))
echo "kustomize differential: $total cases, $pass pass ($errs expected errors, $same of them" \
	"with kustomize's message byte for byte), $bytes of $ok_out outputs byte-identical"
[ -n "${KZ_SHOW_MESSAGES:-}" ] && grep '^PASS error' "$work/results" | grep -v 'same message' |
	while read -r _ _ n; do
		echo "== $n"; echo "kubectl: $(head -c 300 "$work/$n.km")"
		echo "eddy:    $(head -c 300 "$work/$n.em")"
	done
[ "$pass" -eq "$total" ] || exit 1
if [ "$ok_out" -gt 0 ] && [ $((bytes * 100)) -lt $((ok_out * 95)) ]; then
	echo "byte-identical share below 95%" >&2
	exit 1
fi
exit 0
