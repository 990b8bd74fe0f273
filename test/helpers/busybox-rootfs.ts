/**
 * Builds a tiny busybox root filesystem from the host's static /bin/busybox (Debian package
 * busybox-static) and returns it as a tar, ready for `docker import -`. Used wherever a test
 * needs an image: nothing can be pulled from the internet here.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const BUSYBOX = '/bin/busybox';

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n';
const GROUP = 'root:x:0:\ndaemon:x:1:\ntty:x:5:\nusers:x:100:nobody\nnogroup:x:65534:\n';

function run(cmd: string, args: string[], cwd?: string): Buffer {
  const r = spawnSync(cmd, args, { cwd, maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr?.toString() ?? r.error?.message}`);
  return r.stdout;
}

/**
 * Fills `dir` with bin/busybox, one symlink per applet at its usual path (like
 * `busybox --install -s`), etc/passwd, etc/group and the usual empty folders.
 */
export function writeBusyboxRootfs(dir: string): void {
  if (!existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} is missing: install the busybox-static package`);
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'root', 'tmp', 'var', 'proc', 'sys', 'dev']) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(join(dir, 'tmp'), 0o1777);
  copyFileSync(BUSYBOX, join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  const applets = run(BUSYBOX, ['--list-full']).toString().split('\n').filter(Boolean);
  for (const rel of applets) {
    if (rel === 'bin/busybox') continue;
    const target = join(dir, rel);
    if (existsSync(target)) continue;
    mkdirSync(dirname(target), { recursive: true });
    symlinkSync('/bin/busybox', target);
  }
  writeFileSync(join(dir, 'etc/passwd'), PASSWD);
  writeFileSync(join(dir, 'etc/group'), GROUP);
}

/** Builds the rootfs in `dir` and returns `tar -C dir -c .` (uncompressed). */
export async function buildBusyboxRootfs(dir: string): Promise<Buffer> {
  writeBusyboxRootfs(dir);
  return run('tar', ['--numeric-owner', '-C', dir, '-c', '.']);
}
