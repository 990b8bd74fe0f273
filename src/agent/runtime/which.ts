import { accessSync, constants } from 'node:fs';

/** The absolute path of a program: `name` itself when absolute, else the first hit on PATH (plus sbin folders). */
export function which(name: string, extra: string[] = ['/usr/sbin', '/sbin', '/usr/local/sbin', '/usr/libexec/podman']): string | undefined {
  const candidates = name.startsWith('/')
    ? [name]
    : [...(process.env.PATH ?? '').split(':').filter(Boolean), ...extra].map((d) => `${d}/${name}`);
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch { /* next */ }
  }
  return undefined;
}
