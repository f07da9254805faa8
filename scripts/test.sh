#!/usr/bin/env bash
# Set up (first time) and run the whole test suite against the real corpus and index.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
exec .venv/bin/python -m pytest "$@"
