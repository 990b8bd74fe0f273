import type { RunConfig } from './image-config';

/**
 * Applies `docker import --change` / `docker commit --change` instructions (a Dockerfile
 * subset: CMD ENTRYPOINT ENV LABEL EXPOSE VOLUME USER WORKDIR STOPSIGNAL ONBUILD) to a run
 * config. Pure; throws ChangeError naming the bad instruction.
 */
export class ChangeError extends Error {}

/** Splits `a=b c="d e"` into words, honouring quotes and backslashes. */
export function splitWords(s: string): string[] {
  const words: string[] = [];
  let cur = '';
  let quote: string | null = null;
  let has = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length && quote !== "'") { cur += s[++i]; has = true; continue; }
    if (quote) { if (c === quote) quote = null; else cur += c; continue; }
    if (c === '"' || c === "'") { quote = c; has = true; continue; }
    if (/\s/.test(c)) { if (has) words.push(cur); cur = ''; has = false; continue; }
    cur += c;
    has = true;
  }
  if (quote) throw new ChangeError(`unterminated quote in "${s}"`);
  if (has) words.push(cur);
  return words;
}

/** JSON-array form (`["a","b"]`) or shell form (`/bin/sh -c "..."`). */
function commandForm(args: string): string[] {
  const t = args.trim();
  if (t.startsWith('[')) {
    try {
      const v: unknown = JSON.parse(t);
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
    } catch { /* not JSON: shell form */ }
  }
  return ['/bin/sh', '-c', t];
}

function keyValues(instr: string, args: string): Array<[string, string]> {
  const words = splitWords(args);
  if (words.length === 0) throw new ChangeError(`${instr} requires at least one argument`);
  if (!words[0].includes('=')) {
    // Legacy form: ENV key value with spaces
    const m = /^\s*(\S+)\s+([\s\S]*)$/.exec(args);
    if (!m) throw new ChangeError(`${instr} ${args}: expected key=value`);
    return [[m[1], m[2].trim()]];
  }
  return words.map((w) => {
    const i = w.indexOf('=');
    if (i <= 0) throw new ChangeError(`${instr} ${args}: expected key=value, got "${w}"`);
    return [w.slice(0, i), w.slice(i + 1)];
  });
}

function setEnv(env: string[], key: string, value: string): string[] {
  return [...env.filter((e) => e.split('=')[0] !== key), `${key}=${value}`];
}

function listForm(args: string): string[] {
  const t = args.trim();
  if (t.startsWith('[')) {
    try { return JSON.parse(t) as string[]; } catch { /* fall through */ }
  }
  return splitWords(t);
}

function applyOne(cfg: RunConfig, line: string): RunConfig {
  const m = /^\s*(\w+)\s*([\s\S]*)$/.exec(line);
  if (!m) throw new ChangeError(`invalid change "${line}"`);
  const instr = m[1].toUpperCase();
  const args = m[2];
  switch (instr) {
    case 'CMD': return { ...cfg, Cmd: commandForm(args) };
    case 'ENTRYPOINT': return { ...cfg, Entrypoint: commandForm(args) };
    case 'ENV': return { ...cfg, Env: keyValues(instr, args).reduce((env, [k, v]) => setEnv(env, k, v), cfg.Env ?? []) };
    case 'LABEL': return { ...cfg, Labels: { ...(cfg.Labels ?? {}), ...Object.fromEntries(keyValues(instr, args)) } };
    case 'EXPOSE': {
      const ports = { ...(cfg.ExposedPorts ?? {}) };
      for (const p of splitWords(args)) ports[p.includes('/') ? p.toLowerCase() : `${p}/tcp`] = {};
      return { ...cfg, ExposedPorts: ports };
    }
    case 'VOLUME': {
      const vols = { ...(cfg.Volumes ?? {}) };
      for (const v of listForm(args)) vols[v] = {};
      return { ...cfg, Volumes: vols };
    }
    case 'USER': return { ...cfg, User: args.trim() };
    case 'WORKDIR': {
      const dir = args.trim();
      const base = cfg.WorkingDir || '/';
      return { ...cfg, WorkingDir: dir.startsWith('/') ? dir : `${base.replace(/\/$/, '')}/${dir}` };
    }
    case 'STOPSIGNAL': return { ...cfg, StopSignal: args.trim() };
    case 'ONBUILD': return { ...cfg, OnBuild: [...(cfg.OnBuild ?? []), args.trim()] };
    default:
      throw new ChangeError(`${instr} is not a valid change command`);
  }
}

/** Applies every change in order. */
export function applyChanges(cfg: RunConfig, changes: readonly string[]): RunConfig {
  return changes.filter((c) => c.trim() !== '').reduce(applyOne, cfg);
}
