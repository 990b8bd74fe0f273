// User-defined networks with the real docker CLI: create/inspect/ls filters/rm/prune, run
// --network --network-alias, connect/disconnect (also before start, as docker-compose does),
// the per-network DNS server, isolation between networks, and an agent restart. The agent runs
// in a network namespace of its own (harness netns mode).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { AgentHarness } from './harness';

const h = AgentHarness.forSuite({ netns: true });

const ok = async (args: string[]) => {
  const r = await h.docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
};
const inspect = async (name: string) => JSON.parse(await ok(['inspect', name]))[0];
const ipt = () => h.inNetns(['iptables-save']);
const links = () => h.inNetns(['ip', '-o', 'link', 'show']).split('\n').filter(Boolean).map((l) => l.split(': ')[1].split('@')[0]);
const HTTPD = ['sh', '-c', 'mkdir -p /www && echo "hello from $HOSTNAME" > /www/index.html && exec httpd -f -p 80 -h /www'];

test('network create, inspect, ls filters and refusals', async () => {
  const id = await ok(['network', 'create', '--subnet', '10.123.0.0/24', '--label', 'team=a', 'n1']);
  assert.match(id, /^[0-9a-f]{64}$/);
  const n = JSON.parse(await ok(['network', 'inspect', 'n1']))[0];
  assert.equal(n.Id, id);
  assert.equal(n.Driver, 'bridge');
  assert.deepEqual(n.IPAM.Config, [{ Subnet: '10.123.0.0/24', Gateway: '10.123.0.1' }]);
  assert.deepEqual(n.Labels, { team: 'a' });
  const bridge = links().find((l) => l === `tsa-${id.slice(0, 11)}`);
  assert.ok(bridge, `bridge of n1 in ${links().join(',')}`);
  const dup = await h.docker(['network', 'create', 'n1']);
  assert.notEqual(dup.code, 0);
  assert.match(dup.stderr, /network with name n1 already exists/);
  const overlap = await h.docker(['network', 'create', '--subnet', '10.123.0.128/25', 'n9']);
  assert.notEqual(overlap.code, 0);
  assert.match(overlap.stderr, /overlaps with other one/);
  const pre = await h.docker(['network', 'create', 'host']);
  assert.match(pre.stderr, /pre-defined network/);
  const drv = await h.docker(['network', 'create', '-d', 'overlay', 'n8']);
  assert.match(drv.stderr, /not supported by tsagent/);
  await ok(['network', 'create', '--internal', 'n2']);
  const n2 = JSON.parse(await ok(['network', 'inspect', 'n2']))[0];
  assert.equal(n2.Internal, true);
  assert.match(n2.IPAM.Config[0].Subnet, /^172\.(1[7-9]|2\d|3[01])\.0\.0\/16$/, 'a free default pool');
  const names = async (f: string[]) => (await ok(['network', 'ls', ...f, '--format', '{{.Name}}'])).split('\n').filter(Boolean).sort();
  assert.deepEqual(await names(['--filter', 'label=team=a']), ['n1']);
  assert.deepEqual(await names(['--filter', 'type=custom']), ['n1', 'n2']);
  assert.deepEqual(await names(['--filter', 'type=builtin']), ['bridge', 'host', 'none']);
  assert.deepEqual(await names(['--filter', 'driver=null']), ['none']);
  assert.deepEqual(await names(['--filter', 'name=n']), ['n1', 'n2', 'none']);
  assert.deepEqual(await names(['--filter', 'dangling=true']), ['n1', 'n2']);
  assert.deepEqual(await names(['--filter', `id=${id.slice(0, 10)}`]), ['n1']);
  const nosuch = await h.docker(['run', '--rm', '--network', 'nosuch', 'bb', 'true']);
  assert.equal(nosuch.code, 125);
  assert.match(nosuch.stderr, /network nosuch not found/);
  assert.equal((await h.docker(['ps', '-aq'])).stdout.trim(), '', 'no container was created');
  const aliasOnBridge = await h.docker(['run', '--rm', '--network-alias', 'x', 'bb', 'true']);
  assert.match(aliasOnBridge.stderr, /network-scoped alias/, "refused (by the CLI before the daemon)");
  const rmPre = await h.docker(['network', 'rm', 'bridge']);
  assert.match(rmPre.stderr, /pre-defined network and cannot be removed/);
});

test('containers on a network reach each other by name and alias through the network DNS', async () => {
  await ok(['run', '-d', '--name', 'a', '--network', 'n1', 'bb', ...HTTPD]);
  await ok(['run', '-d', '--name', 'b', '--network', 'n1', '--network-alias', 'bee', '--ip', '10.123.0.77', 'bb', ...HTTPD]);
  const a = await inspect('a');
  const b = await inspect('b');
  assert.equal(b.NetworkSettings.Networks.n1.IPAddress, '10.123.0.77');
  assert.deepEqual(b.NetworkSettings.Networks.n1.Aliases, ['bee']);
  assert.equal(a.NetworkSettings.IPAddress, '', 'top-level fields are for the default bridge only');
  assert.match(a.NetworkSettings.Networks.n1.IPAddress, /^10\.123\.0\.\d+$/);
  assert.equal(a.NetworkSettings.Networks.n1.Gateway, '10.123.0.1');
  assert.match(await ok(['exec', 'a', 'cat', '/etc/resolv.conf']), /^nameserver 10\.123\.0\.1$/m);
  assert.match(await ok(['exec', 'a', 'ping', '-c', '1', '-W', '3', 'b']), /1 packets received/);
  assert.match(await ok(['exec', 'a', 'ping', '-c', '1', '-W', '3', 'bee']), /10\.123\.0\.77/);
  assert.equal(await ok(['exec', 'a', 'wget', '-q', '-O', '-', 'http://bee/']), `hello from ${b.Config.Hostname}`);
  assert.equal(await ok(['exec', 'b', 'wget', '-q', '-O', '-', 'http://a/']), `hello from ${a.Config.Hostname}`);
  const ns = await ok(['exec', 'b', 'nslookup', a.Id.slice(0, 12)]);
  assert.match(ns, new RegExp(a.NetworkSettings.Networks.n1.IPAddress.replace(/\./g, '\\.')));
  // TCP DNS too.
  const tcp = await h.docker(['exec', 'b', 'sh', '-c', 'printf "\\000\\023\\000\\001\\001\\000\\000\\001\\000\\000\\000\\000\\000\\000\\001a\\000\\000\\001\\000\\001" | nc -w 3 10.123.0.1 53 | od -An -tu1 | tr -s " \\n" " "']);
  const bytes = tcp.stdout.trim().split(' ').map(Number);
  assert.deepEqual(bytes.slice(-4), a.NetworkSettings.Networks.n1.IPAddress.split('.').map(Number), `A record over TCP: ${tcp.stdout} ${tcp.stderr}`);
  const ps = (await ok(['ps', '--filter', 'network=n1', '--format', '{{.Names}}'])).split('\n').sort();
  assert.deepEqual(ps, ['a', 'b']);
  const n1 = JSON.parse(await ok(['network', 'inspect', 'n1']))[0];
  assert.deepEqual(Object.keys(n1.Containers).sort(), [a.Id, b.Id].sort());
  const rm = await h.docker(['network', 'rm', 'n1']);
  assert.notEqual(rm.code, 0);
  assert.match(rm.stderr, /has active endpoints/);
});

test('names of other networks are not visible; connect/disconnect work before and after start', async () => {
  await ok(['network', 'create', '--subnet', '10.124.0.0/24', 'n3']);
  await ok(['run', '-d', '--name', 'c', '--network', 'n3', 'bb', 'sleep', '300']);
  const miss = await h.docker(['exec', 'c', 'nslookup', 'a']);
  assert.notEqual(miss.code, 0, `a must not resolve from n3: ${miss.stdout}`);
  assert.notEqual((await h.docker(['exec', 'c', 'ping', '-c', '1', '-W', '1', '10.123.0.77'])).code, 0, 'no traffic between networks');
  // docker-compose 1.29: create on one network, connect the others with aliases, then start.
  await ok(['create', '--name', 'd', '--network', 'n1', '--network-alias', 'dee', 'bb', 'sleep', '300']);
  await ok(['network', 'connect', '--alias', 'd2', 'n3', 'd']);
  await ok(['start', 'd']);
  const d = await inspect('d');
  assert.deepEqual(Object.keys(d.NetworkSettings.Networks).sort(), ['n1', 'n3']);
  assert.deepEqual(d.NetworkSettings.Networks.n3.Aliases, ['d2']);
  assert.match(await ok(['exec', 'c', 'ping', '-c', '1', '-W', '3', 'd2']), /10\.124\.0\.\d+/);
  assert.match(await ok(['exec', 'a', 'ping', '-c', '1', '-W', '3', 'dee']), /10\.123\.0\.\d+/);
  assert.match(await ok(['exec', 'd', 'ping', '-c', '1', '-W', '3', 'c']), /10\.124\.0\.\d+/, 'd resolves names of both its networks');
  assert.match(await ok(['exec', 'd', 'ip', '-o', 'addr']), /eth1 .*10\.124\.0\./);
  // Connect a running container, then disconnect it.
  await ok(['network', 'connect', 'n3', 'a']);
  assert.match(await ok(['exec', 'c', 'ping', '-c', '1', '-W', '3', 'a']), /10\.124\.0\.\d+/);
  await ok(['network', 'disconnect', 'n3', 'a']);
  assert.notEqual((await h.docker(['exec', 'c', 'nslookup', 'a'])).code, 0);
  assert.doesNotMatch(await ok(['exec', 'a', 'ip', '-o', 'addr']), /10\.124\./);
  const again = await h.docker(['network', 'disconnect', 'n3', 'a']);
  assert.match(again.stderr, /is not connected to network n3/);
  // Disconnecting a container from the network its ports are published on drops their rules.
  const p = await ok(['run', '-d', '--name', 'p', '--network', 'n3', '-p', '8099:80', 'bb', 'sleep', '300']);
  assert.match(ipt(), new RegExp(`tsa-ctr:${p.slice(0, 12)}`));
  await ok(['network', 'disconnect', 'n3', 'p']);
  assert.doesNotMatch(ipt(), new RegExp(`tsa-ctr:${p.slice(0, 12)}`));
  assert.deepEqual(Object.keys((await inspect('p')).NetworkSettings.Networks), []);
  await ok(['rm', '-f', 'p']);
});

test('network events are streamed', async () => {
  const ev = spawn('docker', ['events', '--filter', 'type=network', '--format', '{{.Action}} {{.Actor.Attributes.name}}'], { env: h.dockerEnv });
  let out = '';
  ev.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  try {
    await new Promise((r) => setTimeout(r, 500));
    await ok(['network', 'create', 'evnet']);
    await ok(['network', 'connect', 'evnet', 'c']);
    await ok(['network', 'disconnect', 'evnet', 'c']);
    await ok(['network', 'rm', 'evnet']);
    const deadline = Date.now() + 5000;
    while (!out.includes('destroy') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  } finally {
    ev.kill();
  }
  assert.deepEqual(out.trim().split('\n'), ['create evnet', 'connect evnet', 'disconnect evnet', 'destroy evnet']);
});

test('after an agent restart addresses, DNS and IPAM carry on', async () => {
  const before = (await inspect('a')).NetworkSettings.Networks.n1.IPAddress;
  assert.equal(await h.stop('SIGTERM'), 0);
  await h.start();
  assert.equal((await inspect('a')).NetworkSettings.Networks.n1.IPAddress, before);
  assert.match(await ok(['exec', 'a', 'ping', '-c', '1', '-W', '3', 'bee']), /10\.123\.0\.77/);
  await ok(['run', '-d', '--name', 'e', '--network', 'n1', 'bb', 'sleep', '300']);
  const used = await Promise.all(['a', 'b', 'd', 'e'].map(async (n) => (await inspect(n)).NetworkSettings.Networks.n1.IPAddress));
  assert.equal(new Set(used).size, 4, `distinct addresses: ${used.join(' ')}`);
});

test('rm and network rm leave no bridge, rule, veth or namespace behind; prune removes unused networks', async () => {
  const ids: Record<string, string> = Object.fromEntries(await Promise.all(["n1", "n2", "n3"].map(async (n) => [n, JSON.parse(await ok(["network", "inspect", n]))[0].Id as string])));
  await ok(['rm', '-f', 'a', 'b', 'c', 'd', 'e']);
  await ok(['network', 'rm', 'n1', 'n3']);
  await ok(['network', 'create', '--label', 'keep=yes', 'kept']);
  const pruned = await ok(['network', 'prune', '-f', '--filter', 'label!=keep=yes']);
  assert.match(pruned, /n2/);
  assert.doesNotMatch(pruned, /kept/);
  await ok(['network', 'rm', 'kept']);
  const names = (await ok(['network', 'ls', '--format', '{{.Name}}'])).split('\n').sort();
  assert.deepEqual(names, ['bridge', 'host', 'none']);
  const l = links();
  for (const id of Object.values(ids)) assert.ok(!l.includes(`tsa-${id.slice(0, 11)}`), `bridge of ${id} gone`);
  assert.deepEqual(l.filter((x) => x.startsWith('veth') || (x.startsWith('tsa-'))), []);
  const rules = ipt();
  assert.doesNotMatch(rules, /tsa-ctr:|tsa-net:tsa-/, rules);
  assert.equal(h.inNetns(['sh', '-c', `ls ${h.execRoot}/netns | wc -l`]).trim(), '0');
});
