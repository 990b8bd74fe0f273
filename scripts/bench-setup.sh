#!/usr/bin/env bash
# Set-up for the side-by-side benchmarks (bench/): everything scripts/setup.sh installs, plus
# Debian's Docker Engine (docker.io: dockerd, containerd, containerd-shim) as the peer engine.
# The test suite does not need it, so it is not in scripts/setup.sh. The benchmarks start
# their own private dockerd (own data/exec roots, socket, cgroup parent, no bridge or
# iptables); no host Docker service is used or needed.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "scripts/bench-setup.sh: run as root (the benchmarks start container engines)" >&2
  exit 1
fi

# Debian's Docker Engine (dockerd + containerd + runc); tini, which setup.sh installs, is the
# docker-init that reaps the shims' zombies.
had_docker=no
dpkg-query -W -f='${Status}' docker.io 2>/dev/null | grep -q 'install ok installed' && had_docker=yes
bash scripts/setup.sh docker.io
# Where an init system runs, the package starts a host-wide dockerd; the benchmarks do not want
# one (it would share the host's /var/lib/docker and iptables): stop what was just added.
if [ "$had_docker" = no ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
  systemctl disable --now docker.socket docker.service >/dev/null 2>&1 || true
fi
