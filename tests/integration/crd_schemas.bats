#!/usr/bin/env bats
# Our CRDs in config/crd accept exactly what Flux's accept: the schema trees are compared with
# the Flux CRDs kept in ../shared/reference/flux-crds (descriptions aside).

@test "config/crd schemas equal Flux's" {
  ref="$EDDY_SRC/../shared/reference/flux-crds"
  [ -d "$ref" ] || skip "no Flux reference CRDs beside the checkout"
  run python3 "$EDDY_SRC/tests/tools/crd_schema_diff.py" "$EDDY_SRC/config/crd" "$ref"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"15 CRDs match"* ]]
}

@test "a changed schema is detected" {
  ref="$EDDY_SRC/../shared/reference/flux-crds"
  [ -d "$ref" ] || skip "no Flux reference CRDs beside the checkout"
  tmp=$(mktemp -d)
  cp "$EDDY_SRC"/config/crd/*.yaml "$tmp"/
  sed -i '0,/type: string/s//type: integer/' "$tmp/source.toolkit.fluxcd.io_gitrepositories.yaml"
  run python3 "$EDDY_SRC/tests/tools/crd_schema_diff.py" "$tmp" "$ref"
  rm -rf "$tmp"
  [ "$status" -eq 1 ]
}
