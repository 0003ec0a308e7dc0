#!/usr/bin/env bats
# scripts/check-layers.py (run by the test command before anything is built) passes on the tree
# and fails on a copy of it with a planted upward include, an unknown header, a cycle in
# libcommon/layers.txt, or a source outside every layer.

setup() {
	: "${EDDY_SRC:?EDDY_SRC must point at the checkout}"
	WORK=$(mktemp -d)
	mkdir -p "$WORK/tree/scripts"
	cp -r "$EDDY_SRC/libcommon" "$WORK/tree/"
	cp "$EDDY_SRC/scripts/check-layers.py" "$WORK/tree/scripts/"
}

teardown() {
	rm -rf "$WORK"
}

check() {
	run python3 "$WORK/tree/scripts/check-layers.py" "$WORK/tree"
}

@test "the tree as it is passes" {
	check
	[ "$status" -eq 0 ]
	[[ "$output" == *"every include goes to the layer itself or below"* ]]
}

@test "a core module that includes the kube client fails" {
	sed -i '1i #include "eddy/kube.h"' "$WORK/tree/libcommon/src/core/buf.c"
	check
	[ "$status" -eq 1 ]
	[[ "$output" == *"libcommon/src/core/buf.c:1: layer core includes eddy/kube.h of layer kube"* ]]
}

@test "an engine that reaches into the runtime's internals fails" {
	sed -i '1i #include "runtime/rt_map.h"' "$WORK/tree/libcommon/src/kustomize/sort.c"
	check
	[ "$status" -eq 1 ]
	[[ "$output" == *"layer kustomize includes runtime/rt_map.h of layer runtime"* ]]
}

@test "a public header that includes a higher layer fails" {
	sed -i '1i #include "eddy/rt.h"' "$WORK/tree/libcommon/include/format/eddy/yml.h"
	check
	[ "$status" -eq 1 ]
	[[ "$output" == *"include/format/eddy/yml.h:1: layer format includes eddy/rt.h"* ]]
}

@test "an include of a header no layer has fails" {
	sed -i '1i #include "eddy/nosuch.h"' "$WORK/tree/libcommon/src/core/buf.c"
	check
	[ "$status" -eq 1 ]
	[[ "$output" == *"includes eddy/nosuch.h, which no layer provides"* ]]
}

@test "layers that use each other fail" {
	sed -i 's/^core: *-/core: flux/' "$WORK/tree/libcommon/layers.txt"
	check
	[ "$status" -eq 1 ]
	[[ "$output" == *"core uses flux, which is not below it"* ]]
}

@test "a source file outside every layer fails" {
	echo 'int x;' >"$WORK/tree/libcommon/src/stray.c"
	check
	[ "$status" -eq 1 ]
	[[ "$output" == *"libcommon/src/stray.c: a source outside every layer's folder"* ]]
}
