#!/usr/bin/env bash
# Installs the Debian packages the platform needs on this host. Idempotent: when every package
# is already installed (checked with dpkg-query) apt is not touched at all, so a second run
# takes well under a second.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PACKAGES=(
  openjdk-17-jdk-headless  # builds and runs the platform
  maven                    # builds the platform
  mariadb-server           # MySQL-dialect tests (./faaster test)
  mariadb-client           # creates the test database and user
  qemu-system-x86          # micro VMs
  qemu-utils               # qemu-img
  libvirt-daemon-system    # libvirtd, virtlogd (pulls the qemu driver)
  libvirt-clients          # virsh, for operators
  libvirt0                 # libvirt-java (JNA) loads libvirt.so.0
  busybox-static           # guest initramfs
  musl-tools               # builds the guest agent (C, static)
  make                     # ... with its Makefile
  iproute2                 # ip, for taps and bridges of the net proxy
  curl                     # health probes in ./faaster
  zip                      # the README tour (and ./faaster test's run of it) packs functions with it
  python3                  # ... and reads JSON fields with it
  ca-certificates
)

missing=()
for p in "${PACKAGES[@]}"; do
  status="$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)"
  [[ "$status" == installed ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  log "host packages: all ${#PACKAGES[@]} installed"
  exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || die "missing packages (${missing[*]}) and not root; install them as root"
  SUDO=(sudo)
else
  SUDO=()
fi

log "host packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Refresh the lists only when needed: an install from stale lists fails with 404s.
if ! "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"; then
  log "apt-get install failed; refreshing package lists and retrying"
  "${SUDO[@]}" apt-get update -q
  "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
log "host packages: done"
