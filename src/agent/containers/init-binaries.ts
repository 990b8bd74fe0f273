/**
 * Where a static init for `docker run --init` is looked for, in order (Docker's docker-init,
 * then Debian's and Alpine's static tini). The agent takes the first present; the provisioner
 * probes the same list to decide whether to install tini.
 */
export const INIT_BINARIES: readonly string[] = ['/usr/libexec/docker/docker-init', '/usr/bin/docker-init', '/usr/bin/tini-static', '/usr/local/bin/docker-init', '/usr/local/bin/tini-static'];
