#!/usr/bin/env bash
# The main job: install what is missing, build, then start the local sandbox with
# `eddy sandbox up`: eddy-apiserver, a Git server serving the example application
# (examples/demo-app), source-controller and kustomize-controller, all in the background, and
# wait until the example is applied. The script ends there; the sandbox keeps running so you can
# look at it (the output says how) until you stop it with `build/bin/eddy sandbox down`.
#
# Arguments go to `eddy sandbox up` (--dir DIR, --repo PATH, --path DIR, --timeout 3m).
# Environment: EDDY_SKIP_SETUP=1 skips scripts/setup.sh (the tests use it); EDDY_BUILD_DIR picks
# the build tree (default: build).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
if [ "${EDDY_SKIP_SETUP:-0}" != 1 ]; then
  bash scripts/setup.sh
fi
build=${EDDY_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
source scripts/lib.sh
echo "building in $build ..."
build_quietly "$build"
eddy=$(cd "$build/bin" && pwd)/eddy
"$eddy" sandbox up "$@"
echo
echo "To use eddy and kubectl from any directory:"
echo "  export PATH=$(dirname "$eddy"):$here/.tools/bin:\$PATH"
