import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { atomicWrite } from '../util/fsx';

export interface EtcPaths {
  hosts: string;
  hostname: string;
  resolvConf: string;
}

export function etcPaths(containerDir: string): EtcPaths {
  return { hosts: join(containerDir, 'hosts'), hostname: join(containerDir, 'hostname'), resolvConf: join(containerDir, 'resolv.conf') };
}

/** /etc/hosts as dockerd writes it for a container without network addresses (plus --add-host lines). */
export function hostsFile(extraHosts: string[]): string {
  const lines = [
    '127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', 'fe00::\tip6-localnet',
    'ff00::\tip6-mcastprefix', 'ff02::1\tip6-allnodes', 'ff02::2\tip6-allrouters',
  ];
  for (const h of extraHosts) {
    const i = h.indexOf(':');
    if (i > 0) lines.push(`${h.slice(i + 1)}\t${h.slice(0, i)}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * resolv.conf from the host's, without loopback nameservers (unreachable from the container's
 * network namespace); Google's resolvers when none remain, as dockerd does.
 */
export function resolvConf(hostText: string, dns: string[], search: string[], options: string[]): string {
  const lines = hostText.split('\n');
  let ns = dns.length ? dns : lines.filter((l) => /^\s*nameserver\s+/.test(l)).map((l) => l.trim().split(/\s+/)[1])
    .filter((a) => !/^127\./.test(a) && a !== '::1');
  if (ns.length === 0) ns = ['8.8.8.8', '8.8.4.4'];
  const keep = lines.filter((l) => /^\s*(search|domain|options)\s/.test(l) && !(search.length && /^\s*(search|domain)\s/.test(l)) && !(options.length && /^\s*options\s/.test(l)));
  const out = [...keep, ...(search.length ? [`search ${search.join(' ')}`] : []), ...(options.length ? [`options ${options.join(' ')}`] : []), ...ns.map((n) => `nameserver ${n}`)];
  return `${out.join('\n')}\n`;
}

/** Writes the container's hostname, hosts and resolv.conf files (host networking starts from the host's hosts file). */
export async function writeEtcFiles(
  containerDir: string,
  hostname: string,
  opts: { extraHosts: string[]; dns: string[]; dnsSearch: string[]; dnsOptions: string[]; hostNetwork?: boolean },
): Promise<EtcPaths> {
  const p = etcPaths(containerDir);
  const hostResolv = await fsp.readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  await atomicWrite(p.hostname, `${hostname}\n`, 0o644);
  const hosts = opts.hostNetwork
    ? `${(await fsp.readFile('/etc/hosts', 'utf8').catch(() => '127.0.0.1\tlocalhost\n')).replace(/\n?$/, '\n')}${hostsFile(opts.extraHosts).split('\n').slice(6).join('\n')}`
    : hostsFile(opts.extraHosts);
  await atomicWrite(p.hosts, hosts, 0o644);
  await atomicWrite(p.resolvConf, resolvConf(hostResolv, opts.dns, opts.dnsSearch, opts.dnsOptions), 0o644);
  return p;
}
