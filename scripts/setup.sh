#!/usr/bin/env bash
# One-time set-up of a fresh Debian 12 machine (root, node 20) for developing and testing:
# the Debian packages behind the lab and the UI tests, the npm dependencies, and code-server.
#   bash scripts/setup.sh --check   exit 0 when the set-up is in place, 1 (naming what is missing) when not:
#                                   `npm run try` and `npm test` run the set-up then
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  docker.io                       # dockerd + containerd + runc for the lab's Docker host
  docker-registry                 # the lab's registry holding the stand-in vDVS plugin
  golang-go golang-github-vmware-govmomi-dev  # vcsim and the stand-in plugin are built from these
  openssh-server openssh-client busybox-static  # the lab's ESXi shell
  e2fsprogs binutils curl jq psmisc iproute2 util-linux  # ext4 images, VIB (ar) files, test CLIs
  xfsprogs                        # the lab's datastores: XFS images with reflinks (ESXi-like snapshots)
  restic rclone                   # restic repositories as backup destinations; rclone serves the lab's REST repository
  chromium ripgrep libkrb5-dev build-essential python3    # code-server and the UI tests
)
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if [ "${1:-}" = --check ]; then
  # npm ci writes node_modules/.package-lock.json: older than package-lock.json means a dependency changed since
  [ -e node_modules/esbuild ] && [ node_modules/.package-lock.json -nt package-lock.json ] || missing+=(node_modules)
  [ ${#missing[@]} -eq 0 ] && exit 0
  echo "setup: missing ${missing[*]}" >&2
  exit 1
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# The Debian package starts a system dockerd/containerd/registry; the lab runs its own.
for svc in docker.socket docker containerd docker-registry; do systemctl stop "$svc" >/dev/null 2>&1 || true; done

npm ci --no-audit --no-fund
node scripts/provision-code-server.mjs
