#!/usr/bin/env bash
# The main job, end to end: create a machine on the default (local) driver, point the stock
# docker CLI at it over mutual TLS, import a busybox image, run a container, print the result,
# then remove the machine (set KEEP=1 to keep it and try it yourself).
set -euo pipefail
cd "$(dirname "$0")/.."
name=${DEMO_MACHINE:-demo}
tsm() { node bin/run.js "$@"; }

cleanup() {
  [ "${KEEP:-0}" = 1 ] || tsm rm -y "$name" >/dev/null 2>&1 || true
  rm -rf "$rootfs"
}
rootfs=$(mktemp -d)
trap cleanup EXIT

echo "==> tsmachine create $name"
start=$(date +%s%N)
tsm create "$name"
eval "$(tsm env "$name")"
echo "==> docker version (server side)"
docker version --format 'Server: {{.Server.Version}} (API {{.Server.APIVersion}}) at '"$DOCKER_HOST"
echo "==> importing a busybox image as bb"
mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/root"
cp /bin/busybox "$rootfs/bin/busybox"
for app in $("$rootfs/bin/busybox" --list); do [ "$app" = busybox ] || ln -sf busybox "$rootfs/bin/$app"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$rootfs/etc/group"
tar -C "$rootfs" -c . | docker import - bb >/dev/null
echo "==> docker run --rm bb echo hello from a tsmachine container"
out=$(docker run --rm bb echo "hello from a tsmachine container")
end=$(date +%s%N)
echo "$out"
echo "==> tsmachine ls"
tsm ls
echo "Done: create + first docker run took $(( (end - start) / 1000000 )) ms."
[ "${KEEP:-0}" = 1 ] && echo "Machine \"$name\" kept: eval \$(node bin/run.js env $name) to use it, node bin/run.js rm -y $name to remove it."
exit 0
