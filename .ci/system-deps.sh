#!/usr/bin/env bash
# Debian packages the tests use: Chromium and its driver (the WhoScored scraper's browser tests), promtool and
# amtool (alert rules, scrape and Alertmanager config), the Docker engine and debootstrap (`make image` and the
# container tests; debootstrap builds the offline base image where no container registry answers). Installs what is missing when it can (root + apt-get),
# otherwise says exactly what to install.
set -euo pipefail

declare -A needs=([chromium]=chromium [chromedriver]=chromium-driver [promtool]=prometheus [amtool]=prometheus-alertmanager
  [dockerd]=docker.io [debootstrap]=debootstrap)
missing=()
for cmd in "${!needs[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${needs[$cmd]}")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
packages=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: missing Debian packages: $packages" >&2
  echo "system-deps: install them with: sudo apt-get install -y --no-install-recommends $packages" >&2
  exit 1
fi
echo "system-deps: installing $packages"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends $packages >/dev/null 2>&1 || {
  apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $packages >/dev/null
}
echo "system-deps: ready ($packages)"
