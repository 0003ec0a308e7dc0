#!/usr/bin/env bash
# Fails when C sources call functions that are banned in Eddy (unbounded or unchecked).
set -euo pipefail
cd "$(dirname "$0")/.."
banned='\b(strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|atoll|strtok)[[:space:]]*\('
hits=$(git ls-files -co --exclude-standard -- '*.c' '*.h' | xargs -r grep -nE "$banned" \
       | grep -vE '^\S+:[0-9]+:\s*(/\*|\*|//)' || true)
if [ -n "$hits" ]; then
  echo "banned functions used (use snprintf, buf_*, strtol with checks, strtok_r):" >&2
  echo "$hits" >&2
  exit 1
fi
echo "check-banned: no banned functions"
