/**
 * The system folders tsmachine's helpers live in (ip, iptables, sshd and mount are in sbin on
 * Debian). A root shell usually has them on PATH, but cron, CI runners, `env -i` and some sudo
 * set-ups do not; both entry points (bin/run.js, tsagent) add whichever are missing, after
 * the caller's own folders so the caller's choices still win.
 */
export const SYSTEM_DIRS: readonly string[] = Object.freeze(['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']);

/** `path` with every SYSTEM_DIRS folder it lacks appended, in order. */
export function withSystemDirs(path: string | undefined): string {
  const have = (path ?? '').split(':').filter(Boolean);
  return [...have, ...SYSTEM_DIRS.filter((d) => !have.includes(d))].join(':');
}
