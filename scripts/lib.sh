# Shared by the scripts: build a configured CMake tree, printing the log only when it fails.
build_quietly() { # build-dir
  local log
  log=$(mktemp)
  if ! cmake --build "$1" -j "$(nproc)" >"$log" 2>&1; then
    grep -E 'error|Error|warning' "$log" | head -n 60 >&2 || tail -n 60 "$log" >&2
    echo "build failed in $1" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
}
