#!/usr/bin/env bash
# CI only: the servers some tests run for real in front of or beside the service
# (tests/test_deploy.py: nginx; tests/test_guard.py: redis-server). Without them those tests skip.
set -euo pipefail
need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if [ ${#need[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "==> installing ${need[*]} (apt)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null) \
    || echo "!! could not install ${need[*]}; their tests will be skipped"
fi
