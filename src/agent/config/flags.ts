/**
 * tsagent's command line, shaped like dockerd's. Pure: `parseAgentFlags(argv)` returns the
 * configuration or throws FlagError listing every problem at once.
 */

export interface ListenAddress {
  proto: 'tcp' | 'unix';
  /** host:port for tcp, a path for unix. */
  address: string;
  host?: string;
  port?: number;
}

export interface TlsConfig {
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface AgentConfig {
  hosts: ListenAddress[];
  /** Present when --tlsverify was given (mutual TLS on every tcp listener). */
  tls?: TlsConfig;
  dataRoot: string;
  execRoot: string;
  labels: string[];
  insecureRegistries: string[];
  registryMirrors: string[];
  /** Per-registry TLS material, Docker's certs.d layout: <dir>/<host:port>/{*.crt, client.cert, client.key}. */
  registryCertsDir: string;
  /** Bytes per PATCH when pushing stored blobs (0: one request per blob). */
  uploadChunkSize: number;
  cgroupParent: string;
  pidfile: string;
  /** Path or name of the OCI runtime (runc or crun); resolved on PATH when not absolute. */
  runtime?: string;
  /** Path of conmon; resolved on PATH when not absolute. */
  conmon?: string;
  /** Name of the default bridge network's Linux bridge; "none": containers on "bridge" get only lo. */
  bridge: string;
  debug: boolean;
  showVersion: boolean;
  showHelp: boolean;
}

export class FlagError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? problems[0] : `${problems.length} problems with the flags:\n  ${problems.join('\n  ')}`);
    this.name = 'FlagError';
  }
}

type Kind = 'string' | 'list' | 'bool';
interface FlagDef { names: string[]; kind: Kind; key: string; help: string }

const FLAGS: FlagDef[] = [
  { names: ['-H', '--host'], kind: 'list', key: 'host', help: 'address to listen on: tcp://IP:PORT (needs --tlsverify) or unix:///path' },
  { names: ['--tlsverify'], kind: 'bool', key: 'tlsverify', help: 'require TLS client certificates signed by --tlscacert' },
  { names: ['--tls'], kind: 'bool', key: 'tls', help: 'use TLS (implied by --tlsverify; alone it is refused)' },
  { names: ['--tlscacert'], kind: 'string', key: 'tlscacert', help: 'CA that signs accepted client certificates' },
  { names: ['--tlscert'], kind: 'string', key: 'tlscert', help: 'server certificate' },
  { names: ['--tlskey'], kind: 'string', key: 'tlskey', help: 'server key' },
  { names: ['--data-root', '-g', '--graph'], kind: 'string', key: 'dataRoot', help: 'persistent state (default /var/lib/tsagent)' },
  { names: ['--exec-root'], kind: 'string', key: 'execRoot', help: 'runtime state (default /run/tsagent)' },
  { names: ['--label'], kind: 'list', key: 'label', help: 'engine label key=value (repeatable)' },
  { names: ['--insecure-registry'], kind: 'list', key: 'insecureRegistry', help: 'registry reached over plain HTTP (repeatable)' },
  { names: ['--registry-mirror'], kind: 'list', key: 'registryMirror', help: 'Docker Hub mirror URL (repeatable)' },
  { names: ['--registry-certs-dir'], kind: 'string', key: 'registryCertsDir', help: 'registry CAs and client certs: <dir>/<host:port>/ca.crt (default /etc/tsagent/certs.d)' },
  { names: ['--registry-upload-chunk'], kind: 'string', key: 'uploadChunk', help: 'push blobs in PATCH chunks of this many bytes (default 0: one request)' },
  { names: ['--cgroup-parent'], kind: 'string', key: 'cgroupParent', help: 'parent cgroup of containers (default /tsagent)' },
  { names: ['-p', '--pidfile'], kind: 'string', key: 'pidfile', help: 'pid file (default /run/tsagent.pid)' },
  { names: ['--runtime'], kind: 'string', key: 'runtime', help: 'OCI runtime: runc (default) or crun, a name or a path' },
  { names: ['--conmon'], kind: 'string', key: 'conmon', help: 'conmon binary (default: conmon on PATH)' },
  { names: ['--bridge', '-b'], kind: 'string', key: 'bridge', help: 'Linux bridge of the default "bridge" network (default tsa0; none: no default bridge)' },
  { names: ['-D', '--debug'], kind: 'bool', key: 'debug', help: 'debug logging' },
  { names: ['-v', '--version'], kind: 'bool', key: 'version', help: 'print the version and exit' },
  { names: ['-h', '--help'], kind: 'bool', key: 'help', help: 'print this help and exit' },
];

export function agentUsage(): string {
  const lines = FLAGS.map((f) => `  ${f.names.join(', ').padEnd(34)} ${f.help}`);
  return `Usage: tsagent [OPTIONS]\n\nA container engine speaking the Docker Engine API.\n\nOptions:\n${lines.join('\n')}\n`;
}

function parseBool(v: string): boolean | undefined {
  if (['1', 'true', 'True', 'TRUE'].includes(v)) return true;
  if (['0', 'false', 'False', 'FALSE'].includes(v)) return false;
  return undefined;
}

function collect(argv: readonly string[], problems: string[]): Map<string, string[]> {
  const values = new Map<string, string[]>();
  const byName = new Map(FLAGS.flatMap((f) => f.names.map((n) => [n, f] as const)));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.startsWith('-') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const def = byName.get(name);
    if (!def) {
      problems.push(arg.startsWith('-') ? `unknown flag: ${name}` : `unexpected argument: ${arg}`);
      continue;
    }
    let value: string | undefined = eq > 0 ? arg.slice(eq + 1) : undefined;
    if (def.kind === 'bool') {
      const b = value === undefined ? true : parseBool(value);
      if (b === undefined) problems.push(`${name}: expected true or false, got "${value}"`);
      value = String(b ?? false);
    } else if (value === undefined) {
      if (i + 1 >= argv.length) { problems.push(`${name}: needs a value`); continue; }
      value = argv[++i];
    }
    values.set(def.key, [...(values.get(def.key) ?? []), value]);
  }
  return values;
}

/** A --registry-mirror value: http(s)://host[:port] with no path, as dockerd accepts; the host[:port] and scheme. */
export function parseMirrorUrl(raw: string): { scheme: 'http' | 'https'; host: string } {
  const bad = (why: string) => new Error(`--registry-mirror "${raw}": ${why} (use https://host[:port])`);
  let u: URL;
  try { u = new URL(raw); } catch { throw bad('not a URL'); }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw bad('the scheme must be https or http');
  if (u.username || u.password) throw bad('credentials do not belong in the URL');
  if ((u.pathname !== '/' && u.pathname !== '') || u.search || u.hash) throw bad('a mirror URL has no path, query or fragment');
  return { scheme: u.protocol === 'https:' ? 'https' : 'http', host: u.host };
}

/** Parses one -H value: tcp://host:port, unix:///path, or fd:// (refused). */
export function parseListenAddress(raw: string): ListenAddress {
  const m = /^(tcp|unix):\/\/(.*)$/.exec(raw);
  if (!m) throw new Error(`invalid -H "${raw}": use tcp://IP:PORT or unix:///path`);
  if (m[1] === 'unix') {
    if (!m[2].startsWith('/')) throw new Error(`invalid -H "${raw}": the unix socket path must be absolute`);
    return { proto: 'unix', address: m[2] };
  }
  const hp = /^(\[[0-9a-fA-F:]+\]|[^:/]*)(?::(\d+))?$/.exec(m[2]);
  if (!hp) throw new Error(`invalid -H "${raw}": expected tcp://IP:PORT`);
  const host = (hp[1] || '0.0.0.0').replace(/^\[|\]$/g, '');
  const port = hp[2] === undefined ? 2376 : Number(hp[2]);
  if (!(port > 0 && port < 65536)) throw new Error(`invalid -H "${raw}": port must be 1-65535`);
  return { proto: 'tcp', address: `${host}:${port}`, host, port };
}

function last(values: Map<string, string[]>, key: string): string | undefined {
  const v = values.get(key);
  return v ? v[v.length - 1] : undefined;
}

function checkTls(values: Map<string, string[]>, hosts: ListenAddress[], problems: string[]): TlsConfig | undefined {
  const verify = last(values, 'tlsverify') === 'true';
  const tcp = hosts.filter((h) => h.proto === 'tcp');
  const files = { caFile: last(values, 'tlscacert'), certFile: last(values, 'tlscert'), keyFile: last(values, 'tlskey') };
  if (tcp.length > 0 && !verify) {
    problems.push(`refusing to listen on tcp://${tcp[0].address} without --tlsverify: tsagent serves TCP only with mutual TLS (add --tlsverify --tlscacert --tlscert --tlskey)`);
  }
  if (!verify) return undefined;
  const missing = (['tlscacert', 'tlscert', 'tlskey'] as const).filter((k) => !last(values, k));
  for (const k of missing) problems.push(`--tlsverify needs --${k}`);
  if (missing.length > 0) return undefined;
  return files as TlsConfig;
}

function checkLabels(labels: string[], problems: string[]): void {
  for (const l of labels) if (!/^[^=\s]+=/.test(l)) problems.push(`--label "${l}": expected key=value`);
}

/** Parses tsagent's argv (without node and script). Throws FlagError with every problem. */
export function parseAgentFlags(argv: readonly string[]): AgentConfig {
  const problems: string[] = [];
  const values = collect(argv, problems);
  const hosts: ListenAddress[] = [];
  for (const h of values.get('host') ?? ['unix:///var/run/tsagent.sock']) {
    try { hosts.push(parseListenAddress(h)); } catch (e) { problems.push((e as Error).message); }
  }
  const tls = checkTls(values, hosts, problems);
  const labels = values.get('label') ?? [];
  checkLabels(labels, problems);
  const cgroupParent = last(values, 'cgroupParent') ?? '/tsagent';
  if (!/^\/?[A-Za-z0-9_.\-/]+$/.test(cgroupParent) || cgroupParent.split('/').includes('..')) {
    problems.push(`--cgroup-parent "${cgroupParent}": use a path like /tsagent`);
  }
  for (const [key, flag] of [['dataRoot', '--data-root'], ['execRoot', '--exec-root'], ['pidfile', '--pidfile'], ['registryCertsDir', '--registry-certs-dir']]) {
    const v = last(values, key);
    if (v !== undefined && !v.startsWith('/')) problems.push(`${flag} "${v}": must be an absolute path`);
  }
  for (const m of values.get('registryMirror') ?? []) {
    try { parseMirrorUrl(m); } catch (e) { problems.push((e as Error).message); }
  }
  const chunk = last(values, 'uploadChunk') ?? '0';
  if (!/^\d+$/.test(chunk)) problems.push(`--registry-upload-chunk "${chunk}": expected a number of bytes`);
  const bridge = last(values, 'bridge') ?? 'tsa0';
  if (!/^[a-zA-Z0-9_.-]{1,15}$/.test(bridge)) problems.push(`--bridge "${bridge}": give an interface name of at most 15 characters, or none`);
  if (problems.length > 0) throw new FlagError(problems);
  return {
    bridge,
    uploadChunkSize: Number(chunk),
    hosts,
    tls,
    dataRoot: last(values, 'dataRoot') ?? '/var/lib/tsagent',
    execRoot: last(values, 'execRoot') ?? '/run/tsagent',
    labels,
    insecureRegistries: values.get('insecureRegistry') ?? [],
    registryMirrors: values.get('registryMirror') ?? [],
    registryCertsDir: last(values, 'registryCertsDir') ?? '/etc/tsagent/certs.d',
    cgroupParent: cgroupParent.startsWith('/') ? cgroupParent : `/${cgroupParent}`,
    pidfile: last(values, 'pidfile') ?? '/run/tsagent.pid',
    runtime: last(values, 'runtime'),
    conmon: last(values, 'conmon'),
    debug: last(values, 'debug') === 'true',
    showVersion: last(values, 'version') === 'true',
    showHelp: last(values, 'help') === 'true',
  };
}
