#!/usr/bin/env bash
# Differential suite: template cases (cases/*.cases) and charts (charts/*) rendered by the
# reference `helm template` and by ours, compared parsed and byte for byte; safety cases
# (safety/) must be refused by ours in bounded time. Usage: run.sh EDDY_HELM_BINARY
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec python3 "$here/run.py" "$@"
