#!/usr/bin/env bash
# Set up (first time) and run the service; the first start builds the index.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/qa-service serve "$@"
