#!/usr/bin/env bash
# Builds the example Go service in examples/hello into its local OCI layout
# (examples/hello/.goship/oci) and prints the image's digest. No registry, no Docker.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH" GOTOOLCHAIN=local GOPROXY="${GOPROXY:-off}"
# The image standard wants a source label (an https URL), which goship takes from the origin
# remote or GOSHIP_SOURCE. A copy of this repository with neither (an unpacked archive) has
# none to give: its findings are then shown as warnings instead of stopping the build.
policy=()
if ! git remote get-url origin >/dev/null 2>&1 && [ -z "${GOSHIP_SOURCE:-}" ]; then
  echo "note: this checkout has no origin remote, so the image has no source label; building with --policy=warn" >&2
  policy=(--policy=warn)
fi
goship -C examples/hello build "${policy[@]}" "$@"
