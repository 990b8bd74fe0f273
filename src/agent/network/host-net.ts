import { promises as fsp } from 'node:fs';
import { run, runOk } from '../util/proc';
import { mkdirp } from '../util/fsx';
import { KeyedMutex } from '../util/lock';

/**
 * The agent's own iptables chains. Every rule tsagent adds lives in one of them (plus one jump
 * from each built-in chain), tagged with a comment naming its network or container.
 */
export const CHAINS = {
  dnat: 'TSA-DNAT',
  post: 'TSA-POSTROUTING',
  forward: 'TSA-FORWARD',
  isolation: 'TSA-ISOLATION',
} as const;

/** Interface-name prefix shared by every bridge tsagent creates (iptables wildcard `tsa+`). */
export const BRIDGE_PREFIX = 'tsa';

/** Rule numbers shift when rules are inserted or deleted: those changes run one at a time. */
const numbering = new KeyedMutex();

export async function iptables(args: string[]): Promise<void> {
  if (args.includes('-I')) await numbering.run('ipt', () => runOk('iptables', ['-w', '5', ...args]));
  else await runOk('iptables', ['-w', '5', ...args]);
}

async function iptablesOk(args: string[]): Promise<boolean> {
  return (await run('iptables', ['-w', '5', ...args])).code === 0;
}

/** Adds a rule unless it is there (`-C`); `insert` puts it first. */
export async function ensureRule(table: string, chain: string, rule: string[], insert = false): Promise<void> {
  if (await iptablesOk(['-t', table, '-C', chain, ...rule])) return;
  await iptables(['-t', table, insert ? '-I' : '-A', chain, ...rule]);
}

/** Splits one `iptables -S` line into arguments (double quotes as iptables prints them). */
export function splitRule(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]);
  return out;
}

/**
 * Deletes every rule of `chain` whose comment is `tag`, by rule number from the last (deleting by
 * rule spec is unreliable with iptables-nft when the spec has a comment).
 */
export async function deleteTagged(table: string, chain: string, tag: string): Promise<void> {
  await numbering.run('ipt', async () => {
    const r = await run('iptables', ['-w', '5', '-t', table, '-S', chain]);
    if (r.code !== 0) return;
    const numbers: number[] = [];
    let n = 0;
    for (const line of r.stdout.split('\n')) {
      const args = splitRule(line);
      if (args[0] !== '-A') continue;
      n++;
      const i = args.indexOf('--comment');
      if (i !== -1 && args[i + 1] === tag) numbers.push(n);
    }
    for (const num of numbers.reverse()) await runOk('iptables', ['-w', '5', '-t', table, '-D', chain, String(num)]);
  });
}

/** Creates tsagent's chains and the jumps into them (idempotent). */
export async function ensureChains(): Promise<void> {
  const chains: Array<[string, string]> = [['nat', CHAINS.dnat], ['nat', CHAINS.post], ['filter', CHAINS.forward], ['filter', CHAINS.isolation]];
  for (const [t, c] of chains) if (!(await iptablesOk(['-t', t, '-S', c]))) await iptables(['-t', t, '-N', c]);
  await ensureRule('nat', 'PREROUTING', ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', CHAINS.dnat]);
  await ensureRule('nat', 'OUTPUT', ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', CHAINS.dnat]);
  await ensureRule('nat', 'POSTROUTING', ['-j', CHAINS.post], true);
  await ensureRule('filter', 'FORWARD', ['-j', CHAINS.forward], true);
  await ensureRule('filter', CHAINS.forward, ['-j', CHAINS.isolation], true);
  // Traffic between two different tsagent bridges is dropped (per-bridge RETURNs come first).
  await ensureRule('filter', CHAINS.isolation, ['-i', `${BRIDGE_PREFIX}+`, '-o', `${BRIDGE_PREFIX}+`, '-j', 'DROP']);
}

export async function sysctl(path: string, value: string): Promise<void> {
  await fsp.writeFile(`/proc/sys/net/${path}`, value);
}

export async function linkExists(name: string): Promise<boolean> {
  return (await run('ip', ['link', 'show', 'dev', name])).code === 0;
}

/** Runs `ip -batch -` (one command a line), in `netns` when given. */
export async function ipBatch(lines: string[], netns?: string): Promise<void> {
  const input = `${lines.join('\n')}\n`;
  if (netns) await runOk('nsenter', [`--net=${netns}`, 'ip', '-batch', '-'], { input });
  else await runOk('ip', ['-batch', '-'], { input });
}

/** IPv4 routes of the agent's network namespace as CIDR strings (the default route left out). */
export async function routedSubnets(): Promise<string[]> {
  const out = await runOk('ip', ['-4', 'route', 'show', 'table', 'all']);
  return out.split('\n').map((l) => l.trim().split(/\s+/)).filter((w) => w[0] && w[0] !== 'default' && w[0] !== 'broadcast' && w[0] !== 'local')
    .map((w) => (w[0] === 'unicast' ? w[1] : w[0])).map((d) => (d.includes('/') ? d : `${d}/32`)).filter((d) => /^\d/.test(d));
}

/** Creates a network namespace kept alive by a bind mount on `file`. */
export async function createNetns(file: string): Promise<void> {
  await mkdirp(file.slice(0, file.lastIndexOf('/')), 0o755);
  await fsp.writeFile(file, '', { mode: 0o644 });
  const r = await run('unshare', [`--net=${file}`, 'true']);
  if (r.code !== 0) {
    await fsp.rm(file, { force: true });
    throw new Error(`could not create a network namespace at ${file}: ${r.stderr.trim()}`);
  }
}

/** Unmounts and removes a namespace file (its interfaces go with it). Resolves if already gone. */
export async function deleteNetns(file: string): Promise<void> {
  if (!(await fsp.access(file).then(() => true, () => false))) return;
  await run('umount', ['-l', file]);
  await fsp.rm(file, { force: true });
}
