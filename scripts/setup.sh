#!/usr/bin/env bash
# Installs what tsmachine and its test suites need on Debian/Ubuntu (run as root), then builds.
# Used by README's set-up and by CI. Arguments are more packages to install with them
# (scripts/bench-setup.sh adds the benchmarks' peer engine).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "scripts/setup.sh: run as root (the local driver makes network namespaces and mounts)" >&2
  exit 1
fi

packages=(
  iproute2 iptables util-linux procps     # namespaces, veth, bridge, firewall
  openssh-server openssh-client tini      # local machines: sshd, PID 1
  runc conmon socat tmux                  # tsagent's OCI runtime, container monitor, TTY input relay; tmux drives the TTY tests
  attr                                    # setfattr: tsagent sets layer members' extended attributes (file capabilities)
  busybox-static                          # test images are built from it
  docker-registry docker-compose skopeo   # real registry, compose and skopeo for the tests
  zstd                                    # zstd layers in the registry tests
  fish tcsh                               # env output is checked by the real shells
  ca-certificates
  "$@"
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's packages start sshd and the registry as host services where an init system runs;
# tsmachine does not need them on the host.

if ! command -v docker >/dev/null; then
  echo "Note: the docker CLI is not on PATH; install it (package docker.io or docker-ce-cli) to use machines." >&2
fi

# npm ci only when the lock file changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run build --silent
