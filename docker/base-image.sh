#!/usr/bin/env bash
# The offline base image: a Debian bookworm root file system from Debian's package registry (debootstrap),
# imported as a Docker image, for machines that reach no container registry. Python is Debian's 3.11.
#
#   bash docker/base-image.sh [NAME:TAG]        # default soccerpredict/base:bookworm-py311
#
# Idempotent: an existing image of that name is kept (docker rmi it to rebuild). Needs root (debootstrap).
set -euo pipefail

name=${1:-soccerpredict/base:bookworm-py311}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# Everything both images need from Debian: Python, venv (uv's bootstrap), the CA store, xgboost's OpenMP runtime.
packages=python3,python3-venv,ca-certificates,libgomp1

if docker image inspect "$name" >/dev/null 2>&1; then
  echo "base-image: $name exists"
  exit 0
fi
command -v debootstrap >/dev/null 2>&1 || {
  echo "base-image: debootstrap is missing; install it with: apt-get install -y debootstrap" >&2
  exit 1
}
rootfs=$(mktemp -d /var/tmp/soccerpredict-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
echo "base-image: debootstrap bookworm ($packages) into $rootfs"
start=$SECONDS
debootstrap --variant=minbase --include="$packages" bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 || {
  tail -n 20 "$rootfs.log" >&2
  echo "base-image: debootstrap failed (full log: $rootfs.log)" >&2
  exit 1
}
rm -f "$rootfs.log"
# What a container never needs: package lists, caches, docs and man pages.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/*
tar -C "$rootfs" --numeric-owner -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8' \
  --change 'CMD ["/bin/bash"]' \
  --message "debootstrap --variant=minbase --include=$packages bookworm" - "$name" >/dev/null
echo "base-image: $name built in $((SECONDS - start)) s"
