#!/usr/bin/env bash
# A stand-in for the Dockerfile's base image (its FROM line) on a machine that reaches
# Debian's mirror but not Docker Hub: Debian bookworm (its Python is 3.11) made with
# debootstrap and imported under that name. Only for checking the image here; a real
# build pulls the official image. Needs root, debootstrap and a Docker daemon.
set -euo pipefail
cd "$(dirname "$0")/.."
NAME=${1:-$(awk '/^FROM /{print $2; exit}' Dockerfile)}
if docker image inspect "$NAME" >/dev/null 2>&1; then
  echo "==> $NAME is present"; exit 0
fi
if timeout 60 docker pull -q "$NAME" >/dev/null 2>&1; then
  echo "==> pulled $NAME"; exit 0
fi
echo "==> Docker Hub unreachable: building a stand-in for $NAME with debootstrap (1-2 minutes)"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
  bookworm "$root" http://deb.debian.org/debian >/dev/null
# this machine may reach PyPI through a proxy with its own CA: the image trusts what the host trusts
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
ln -sf /usr/bin/python3 "$root/usr/local/bin/python"
ln -sf /usr/bin/python3 "$root/usr/local/bin/python3"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" -c . | docker import \
  --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change "LABEL description=\"offline stand-in for $NAME (Debian bookworm, python3 3.11)\"" \
  --change 'CMD ["python3"]' - "$NAME" >/dev/null
echo "==> $NAME: stand-in imported"
