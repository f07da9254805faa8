#!/usr/bin/env bash
# CI only: what the image and Compose tests (tests/test_docker.py, test_docker_compose.py) need on a fresh Debian machine, as root:
# a Docker daemon and the Dockerfile's base image (or, where Docker Hub is out of reach, a
# stand-in for it made with debootstrap). Users never need this; scripts/setup.sh does not do it.
set -euo pipefail
cd "$(dirname "$0")/.."
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
  # the base image named by the Dockerfile's FROM line (pinned there)
  bash .ci/docker-offline-base.sh "$(awk '/^FROM /{print $2; exit}' Dockerfile)" \
    || echo "!! no base image for the Dockerfile; the image test will be skipped"
else
  echo "!! no Docker daemon: the image test will be skipped (see /tmp/qa-dockerd.log)"
fi
