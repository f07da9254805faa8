#!/usr/bin/env bash
# Set up (first time) and run the whole test suite against the real corpus and index:
# lint (ruff) and types (mypy, the serving layer) first, they take seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
.venv/bin/ruff check qa_service tests scripts
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"
