#!/usr/bin/env bash
# Runs the whole test suite: lint (ruff), types (mypy --strict), unit and integration tests
# against a real registry, skopeo, umoci, buildah and Go, all started on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --system-tools
export PATH="$PWD/.venv/bin:$PATH" GOTOOLCHAIN=local GOPROXY=off
.venv/bin/ruff check src tests bench
.venv/bin/mypy
.venv/bin/python -m pytest -n 2 --dist loadgroup "$@"
