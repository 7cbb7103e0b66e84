#!/usr/bin/env bash
# Builds the example Go service in examples/hello into its local OCI layout
# (examples/hello/.goship/oci) and prints the image's digest. No registry, no Docker.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH" GOTOOLCHAIN=local GOPROXY="${GOPROXY:-off}"
goship -C examples/hello build "$@"
