/**
 * The two shell scripts that boot a local machine (pure: rendered from parameters, written into
 * the machine folder at every start).
 *
 * start.sh (the detached wrapper): joins the machine's cgroup in every hierarchy, then
 *   `nsenter --net=<netns> unshare --mount --uts --ipc --pid --cgroup --fork --kill-child ... init.sh boot`.
 * init.sh boot (PID 1 of the new namespaces): overlay of / as root (upper/work in the machine
 *   folder), first-boot setup, real data dirs, /dev, proc, sysfs, the cgroup hierarchies of its
 *   own cgroup namespace, hostname/hosts/resolv.conf, authorized key, tmpfs on /run and /tmp,
 *   host state hidden, pivot_root, then exec tini.
 * init.sh supervise (tini's child): sshd, then /etc/tsmachine/boot.d/* in the background; on
 *   SIGTERM, SIGTERM to every process of the machine, a bounded grace, SIGKILL, exit.
 */

export interface InitParams {
  /** Machine name: hostname. */
  name: string;
  ip: string;
  /** The machine's driver folder on the host (holds init.sh, upper, work, rootfs, data). */
  localDir: string;
  /** OpenSSH public key line authorized for root. */
  sshPublicKey: string;
  /** Host folders (other than /tmp and /run) that must look empty inside: stores, lease files. */
  hide: string[];
  tini: string;
  sshd: string;
  /** Seconds processes get after SIGTERM when the machine stops. */
  graceSeconds: number;
  /** Pure cgroup v2: the cgroup PID 1 joins before unsharing the cgroup namespace (see cgroups.ts). */
  enterBeforeCgroupns?: string;
  unshare: string;
}

export interface StartParams {
  localDir: string;
  netnsPath: string;
  /** Cgroups the wrapper joins (the machine's own, or its wrapper leaf on pure v2). */
  cgroupDirs: string[];
  /** Unshare the cgroup namespace here (false on pure v2: PID 1 does it after moving itself). */
  cgroupns: boolean;
  nsenter: string;
  unshare: string;
}

/** Folders of the machine (inside) that are bind mounts of real folders under <localDir>/data. */
export const DATA_DIRS = ['tsagent', 'docker'] as const;

/** Where boot hooks live inside the machine, and where their output goes. */
export const BOOT_HOOK_DIR = '/etc/tsmachine/boot.d';
export const BOOT_HOOK_LOG = '/var/log/tsmachine-boot.log';

/** Single-quotes a string for sh. */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function renderStartScript(p: StartParams): string {
  return [
    '#!/bin/sh',
    '# tsmachine local machine wrapper (generated): join the cgroups, enter the netns, unshare the rest.',
    'set -e',
    `for d in ${p.cgroupDirs.map(shq).join(' ')}; do echo $$ > "$d/cgroup.procs"; done`,
    `exec ${shq(p.nsenter)} --net=${shq(p.netnsPath)} ${shq(p.unshare)} --mount --uts --ipc --pid${p.cgroupns ? ' --cgroup' : ''} --fork --kill-child --propagation private /bin/sh ${shq(`${p.localDir}/init.sh`)} boot`,
    '',
  ].join('\n');
}

export function renderInitScript(p: InitParams): string {
  const header = [
    '#!/bin/sh',
    `# tsmachine local machine ${p.name} (generated at every start; see src/drivers/local/init-script.ts)`,
    'export LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root',
    `NAME=${shq(p.name)}`,
    `HOST_NAME=${shq(p.name.slice(0, 64))}`,
    `IP=${shq(p.ip)}`,
    `MDIR=${shq(p.localDir)}`,
    'R="$MDIR/rootfs"',
    `KEY=${shq(p.sshPublicKey.trim())}`,
    `TINI=${shq(p.tini)}`,
    `SSHD=${shq(p.sshd)}`,
    `UNSHARE=${shq(p.unshare)}`,
    `CGROUP_ENTER=${shq(p.enterBeforeCgroupns ?? '')}`,
    `GRACE=${Math.max(1, Math.floor(p.graceSeconds))}`,
    `DATA_DIRS=${shq(DATA_DIRS.join(' '))}`,
    `HOOKS=${shq(BOOT_HOOK_DIR)}`,
    `HOOK_LOG=${shq(BOOT_HOOK_LOG)}`,
    `hidden_paths() { for h in ${p.hide.map(shq).join(' ')}; do echo "$h"; done; }`,
  ];
  return [...header, BOOT_FUNCTIONS, SUPERVISE_FUNCTIONS, MAIN].join('\n');
}

/** `${` in the shell text (String.raw still interpolates it). */
const DL = '${';

const BOOT_FUNCTIONS = String.raw`
log() { echo "tsmachine-init[$NAME]: $*"; }

# Folders of the host that a machine starts without (whiteouts made in the upper dir before
# mounting, so nothing is walked or copied): homes, temp files, tsmachine and tsagent state.
FRESH_DIRS='/root /home /var/tmp /etc/tsmachine /etc/tsagent'

first_boot_upper() {
  for d in $FRESH_DIRS; do
    mkdir -p "$MDIR/upper${DL}d%/*}"
    rm -rf "$MDIR/upper$d"
    mknod "$MDIR/upper$d" c 0 0
  done
}

first_boot() {
  log "first boot: fresh host keys, machine id and homes; host-only state hidden"
  mkdir -m 700 "$R/root"
  if [ -d /etc/skel ]; then cp -a /etc/skel/. "$R/root/"; fi
  chmod 700 "$R/root"
  mkdir -m 755 "$R/home"
  mkdir -m 1777 "$R/var/tmp"
  mkdir -p "$R$HOOKS" "$R/etc/ssh"
  rm -f "$R"/etc/ssh/ssh_host_* "$R/etc/machine-id" "$R$HOOK_LOG"
  ssh-keygen -q -N '' -t ed25519 -C "root@$NAME" -f "$R/etc/ssh/ssh_host_ed25519_key"
  ssh-keygen -q -N '' -t ecdsa -C "root@$NAME" -f "$R/etc/ssh/ssh_host_ecdsa_key"
  od -An -N16 -tx1 /dev/urandom | tr -d ' \n' > "$R/etc/machine-id"
  echo >> "$R/etc/machine-id"
  : > "$MDIR/first-boot-done"
}

data_dirs() {
  for d in $DATA_DIRS; do
    mkdir -p "$MDIR/data/$d" "$R/var/lib/$d"
    mount --bind "$MDIR/data/$d" "$R/var/lib/$d"
  done
}

devices() {
  mount --rbind /dev "$R/dev"
  mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 tsm-devpts "$R/dev/pts"
  mount --bind "$R/dev/pts/ptmx" "$R/dev/ptmx"
  mount -t tmpfs -o mode=1777,nosuid,nodev tsm-shm "$R/dev/shm"
}

cgroups() {
  C="$R/sys/fs/cgroup"
  if grep -q ' /sys/fs/cgroup cgroup2 ' /proc/self/mounts; then
    # The namespace root is tsmachine/<id>; its processes move to the init leaf so that it can
    # hand its controllers down (the wrapper already sits in the wrapper leaf).
    mount -t cgroup2 tsm-cgroup "$C"
    mkdir -p "$C/init"
    echo 0 > "$C/init/cgroup.procs"
    for c in $(cat "$C/cgroup.controllers"); do echo "+$c" > "$C/cgroup.subtree_control" || true; done
    return 0
  fi
  mount -t tmpfs -o mode=755,nosuid,nodev,noexec tsm-cgroup "$C"
  grep -E '^[^ ]+ /sys/fs/cgroup/[^ ]+ cgroup2? ' /proc/self/mounts > "$MDIR/cgroup-mounts"
  while read -r _ mnt fstype opts _; do
    mkdir -p "$R$mnt"
    mount -t "$fstype" -o "$opts" tsm-cgroup "$R$mnt"
  done < "$MDIR/cgroup-mounts"
  for l in /sys/fs/cgroup/*; do
    if [ -L "$l" ]; then ln -sfn "$(readlink "$l")" "$C/${DL}l##*/}"; fi
  done
}

host_files() {
  printf '%s' "$HOST_NAME" > /proc/sys/kernel/hostname
  printf '%s\n' "$HOST_NAME" > "$R/etc/hostname"
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n%s\t%s\n' "$IP" "$HOST_NAME" > "$R/etc/hosts"
  src=/etc/resolv.conf
  if grep -q '^nameserver 127\.' /etc/resolv.conf 2>/dev/null && [ -f /run/systemd/resolve/resolv.conf ]; then
    src=/run/systemd/resolve/resolv.conf
  fi
  rm -f "$R/etc/resolv.conf"
  grep -v '^nameserver 127\.' "$src" > "$R/etc/resolv.conf" 2>/dev/null || true
  mkdir -p "$R/root/.ssh"
  chmod 700 "$R/root/.ssh"
  touch "$R/root/.ssh/authorized_keys"
  chmod 600 "$R/root/.ssh/authorized_keys"
  grep -qxF "$KEY" "$R/root/.ssh/authorized_keys" || printf '%s\n' "$KEY" >> "$R/root/.ssh/authorized_keys"
}

volatile_dirs() {
  mount -t tmpfs -o mode=755,nosuid,nodev tsm-run "$R/run"
  mount -t tmpfs -o mode=1777,nosuid,nodev tsm-tmp "$R/tmp"
  hidden_paths | while read -r h; do
    if [ -d "$R$h" ]; then mount -t tmpfs -o mode=700,size=64k tsm-hidden "$R$h"; fi
  done
  mkdir -p "$R/run/tsmachine" "$R/run/lock" "$R/run/sshd"
  chmod 1777 "$R/run/lock"
  chmod 755 "$R/run/sshd"
  cp "$MDIR/init.sh" "$R/run/tsmachine/init.sh"
}

pivot() {
  mkdir "$R/run/.oldroot"
  cd "$R"
  pivot_root . run/.oldroot
  cd /
  umount -l /run/.oldroot
  rmdir /run/.oldroot
}

enter_cgroupns() {
  # Pure cgroup v2: join the machine's cgroup, then make it the root of a new cgroup namespace.
  echo 0 > "$CGROUP_ENTER/cgroup.procs"
  export TSM_IN_CGROUPNS=1
  exec "$UNSHARE" --cgroup /bin/sh "$MDIR/init.sh" boot
}

boot() {
  set -e
  if [ -n "$CGROUP_ENTER" ] && [ -z "${DL}TSM_IN_CGROUPNS:-}" ]; then enter_cgroupns; fi
  mkdir -p "$MDIR/upper" "$MDIR/work" "$R"
  if [ ! -e "$MDIR/first-boot-done" ]; then first_boot_upper; fi
  mount -t overlay tsmachine -o "lowerdir=/,upperdir=$MDIR/upper,workdir=$MDIR/work" "$R"
  if [ ! -e "$MDIR/first-boot-done" ]; then first_boot; fi
  data_dirs
  devices
  mount -t proc proc "$R/proc"
  mount -t sysfs sysfs "$R/sys"
  cgroups
  host_files
  volatile_dirs
  pivot
  exec "$TINI" -- /bin/sh /run/tsmachine/init.sh supervise
}
`;

const SUPERVISE_FUNCTIONS = String.raw`
others_alive() {
  for d in /proc/[0-9]*; do
    p=${DL}d#/proc/}
    if [ "$p" = 1 ] || [ "$p" = $$ ]; then continue; fi
    st=
    while read -r k v _; do
      if [ "$k" = State: ]; then st=$v; break; fi
    done 2>/dev/null < "$d/status"
    if [ -n "$st" ] && [ "$st" != Z ]; then return 0; fi
  done
  return 1
}

shutdown() {
  log "stopping: SIGTERM to every process, $GRACE s grace"
  kill -TERM -1 2>/dev/null
  i=0
  while [ $i -lt $((GRACE * 10)) ] && others_alive; do sleep 0.1; i=$((i + 1)); done
  kill -KILL -1 2>/dev/null
  log "stopped"
  exit 0
}

boot_hooks() {
  for f in "$HOOKS"/*; do
    if [ ! -f "$f" ] || [ ! -x "$f" ]; then continue; fi
    echo "== $(date -u '+%Y-%m-%dT%H:%M:%SZ') $f"
    "$f"
    echo "== $f exited with $?"
  done
}

supervise() {
  trap shutdown TERM INT
  "$SSHD" -E /var/log/sshd.log -o PidFile=/run/sshd.pid -o Port=22 -o PermitRootLogin=prohibit-password ||
    log "sshd did not start: see /var/log/sshd.log in the machine"
  log "ready"
  boot_hooks >> "$HOOK_LOG" 2>&1 < /dev/null &
  while :; do
    sleep 86400 &
    wait $!
  done
}
`;

const MAIN = String.raw`
case "$1" in
  boot) boot ;;
  supervise) supervise ;;
  *) echo "usage: $0 boot|supervise" >&2; exit 2 ;;
esac
`;
