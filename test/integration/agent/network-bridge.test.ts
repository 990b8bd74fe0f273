// Container networking on the default bridge: veth + IPAM + NAT, published ports (-p, -P),
// docker port, cleanup. The agent runs in a network namespace of its own (harness netns mode),
// wired to a second "outside" namespace by a veth pair, so nothing touches the host's network.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AgentHarness, runProcess } from './harness';

let h: AgentHarness;
const outside = `tsa-out-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
const OWN_IP = '172.17.0.5'; // on the agent's namespace: the default bridge must avoid 172.17.0.0/16
const OUT_IP = '172.17.0.9';

before(async () => {
  h = await AgentHarness.create({ netns: true });
  spawnSync('ip', ['netns', 'add', outside]);
  const ok = (argv: string[]) => { const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' }); if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`); };
  ok(['ip', '-n', h.netns!, 'link', 'add', 'up0', 'type', 'veth', 'peer', 'name', 'up1', 'netns', outside]);
  ok(['ip', '-n', h.netns!, 'addr', 'add', `${OWN_IP}/16`, 'dev', 'up0']);
  ok(['ip', '-n', h.netns!, 'link', 'set', 'up0', 'up']);
  ok(['ip', '-n', outside, 'addr', 'add', `${OUT_IP}/16`, 'dev', 'up1']);
  ok(['ip', '-n', outside, 'link', 'set', 'up1', 'up']);
  ok(['ip', '-n', outside, 'link', 'set', 'lo', 'up']);
  await h.start();
  assert.equal((await h.importBusybox('bb')).code, 0);
});

after(async () => {
  spawnSync('ip', ['netns', 'delete', outside]);
  const left = await h.cleanup();
  assert.deepEqual(left, [], 'nothing may be left behind');
});

const inspect = async (name: string) => JSON.parse((await h.docker(['inspect', name])).stdout)[0];
const ipt = () => h.inNetns(['iptables-save']);
const links = () => h.inNetns(['ip', '-o', 'link', 'show']).split('\n').filter(Boolean).map((l) => l.split(': ')[1].split('@')[0]);
// node rather than the host's busybox wget, which crashes in its static-glibc resolver here.
const GET = "fetch(process.argv[1], { signal: AbortSignal.timeout(5000) }).then(async (r) => process.stdout.write(await r.text()), (e) => { console.error(String(e.cause ?? e)); process.exit(1); })";
/** HTTP GET from the agent's namespace (or another one). */
const wget = (url: string, ns = h.netns!) => runProcess('nsenter', [`--net=/run/netns/${ns}`, process.execPath, '-e', GET, url], { timeoutMs: 15_000 });
const HTTPD = ['sh', '-c', 'mkdir -p /www && echo "hello from $HOSTNAME" > /www/index.html && exec httpd -f -p 80 -h /www'];

test('the default bridge avoids routed subnets; containers get an address, a route and NAT', async () => {
  const r = await h.docker(['run', '-d', '--name', 'web', '-p', '8080:80', 'bb', ...HTTPD]);
  assert.equal(r.code, 0, r.stderr);
  const c = await inspect('web');
  const ns = c.NetworkSettings;
  assert.match(ns.IPAddress, /^172\.18\.0\.\d+$/, 'default bridge on 172.18.0.0/16 (172.17 is routed here)');
  assert.equal(ns.Gateway, '172.18.0.1');
  assert.equal(ns.IPPrefixLen, 16);
  assert.match(ns.MacAddress, /^02:42:ac:12:00:[0-9a-f]{2}$/);
  const b = ns.Networks.bridge;
  assert.equal(b.IPAddress, ns.IPAddress);
  assert.equal(b.Gateway, '172.18.0.1');
  assert.match(b.EndpointID, /^[0-9a-f]{64}$/);
  const net = JSON.parse((await h.docker(['network', 'inspect', 'bridge'])).stdout)[0];
  assert.equal(b.NetworkID, net.Id);
  assert.deepEqual(net.IPAM.Config, [{ Subnet: '172.18.0.0/16', Gateway: '172.18.0.1' }]);
  assert.equal(net.Containers[c.Id].IPv4Address, `${ns.IPAddress}/16`);
  assert.ok(links().includes('tsa0'), 'bridge tsa0 exists in the agent namespace');
  // Inside: eth0 with the address, the default route, /etc/hosts line.
  const addr = await h.docker(['exec', 'web', 'ip', '-o', '-4', 'addr', 'show', 'eth0']);
  assert.match(addr.stdout, new RegExp(`inet ${ns.IPAddress.replace(/\./g, '\\.')}/16`));
  assert.match((await h.docker(['exec', 'web', 'ip', 'route'])).stdout, /default via 172\.18\.0\.1 dev eth0/);
  assert.match((await h.docker(['exec', 'web', 'cat', '/etc/hosts'])).stdout, new RegExp(`${ns.IPAddress}\\t${c.Config.Hostname}`));
  // NAT: the outside namespace has no route to 172.18/16, so this answers only through MASQUERADE.
  const server = `require('http').createServer((q, s) => s.end('from ' + q.socket.remoteAddress + '\\n')).listen(8000, '${OUT_IP}', () => console.log('up'))`;
  const srv = spawn('nsenter', [`--net=/run/netns/${outside}`, process.execPath, '-e', server], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise((res) => srv.stdout.once('data', res));
    const out = await h.docker(['exec', 'web', 'timeout', '5', 'wget', '-q', '-O', '-', `http://${OUT_IP}:8000/`]);
    assert.equal(out.stdout, `from ${OWN_IP}\n`, `masqueraded to the namespace's address: ${out.stderr}`);
  } finally {
    srv.kill('SIGKILL');
  }
  assert.match(ipt(), /-A TSA-POSTROUTING -s 172\.18\.0\.0\/16 ! -o tsa0 .*-j MASQUERADE/);
});

test('the bridge keeps one MAC, derived from its gateway, while containers come and go', async () => {
  // Else it follows its lowest port's MAC, and containers that cached the gateway's MAC lose
  // their traffic (DNS included) for seconds after any other container starts or stops.
  const mac = () => h.inNetns(['cat', '/sys/class/net/tsa0/address']).trim();
  assert.equal(h.inNetns(['cat', '/sys/class/net/tsa0/addr_assign_type']).trim(), '3', 'the MAC was set, not inherited from a port');
  assert.equal(mac(), '02:62:ac:12:00:01');
  for (let i = 0; i < 3; i++) {
    const r = await h.docker(['run', '--rm', 'bb', 'true']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(mac(), '02:62:ac:12:00:01');
  }
});

test('--network container:NAME shares that container\'s network stack, hostname and /etc files', async () => {
  assert.equal((await h.docker(['run', '-d', '--name', 'netowner', 'bb', ...HTTPD])).code, 0);
  try {
    const owner = await inspect('netowner');
    const r = await h.docker(['run', '--rm', '--network', 'container:netowner', 'bb', 'sh', '-c', 'wget -qO- http://127.0.0.1:80/ && hostname && ip -o -4 addr show eth0']);
    assert.equal(r.code, 0, r.stderr);
    const [page, host, addr] = r.stdout.trim().split('\n');
    assert.equal(page, `hello from ${owner.Config.Hostname}`, 'the owner\'s server on the shared loopback');
    assert.equal(host, owner.Config.Hostname);
    assert.match(addr, new RegExp(`inet ${owner.NetworkSettings.IPAddress.replace(/\./g, '\\.')}/`));

    assert.equal((await h.docker(['create', '--name', 'joined', '--network', 'container:netowner', 'bb', 'sleep', '60'])).code, 0);
    const joined = await inspect('joined');
    assert.equal(joined.HostConfig.NetworkMode, `container:${owner.Id}`);
    assert.deepEqual(joined.NetworkSettings.Networks, {});
    const connect = await h.docker(['network', 'connect', 'bridge', 'joined']);
    assert.notEqual(connect.code, 0);
    assert.match(connect.stderr, /sharing network namespace with another container/);

    const published = await h.docker(['create', '--network', 'container:netowner', '-p', '8081:80', 'bb', 'true']);
    assert.notEqual(published.code, 0);
    assert.match(published.stderr, /conflicting options: port publishing and the container type network mode/);
    const missing = await h.docker(['create', '--network', 'container:nope', 'bb', 'true']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /No such container: nope/);

    assert.equal((await h.docker(['stop', '-t', '1', 'netowner'])).code, 0);
    const start = await h.docker(['start', 'joined']);
    assert.notEqual(start.code, 0);
    assert.match(start.stderr, new RegExp(`cannot join network of a non running container: ${owner.Id}`));
  } finally {
    await h.docker(['rm', '-f', 'joined', 'netowner']);
  }
});

test('a published port answers on the namespace address, 127.0.0.1 and from outside', async () => {
  const want = /hello from [0-9a-f]{12}/;
  assert.match((await wget(`http://${OWN_IP}:8080/`)).stdout, want);
  assert.match((await wget('http://127.0.0.1:8080/')).stdout, want);
  const fromOutside = await wget(`http://${OWN_IP}:8080/`, outside);
  assert.match(fromOutside.stdout, want, fromOutside.stderr);
  const ps = await h.docker(['ps', '--format', '{{.Names}} {{.Ports}}']);
  assert.match(ps.stdout, /web 0\.0\.0\.0:8080->80\/tcp/);
  assert.equal((await h.docker(['port', 'web'])).stdout.trim(), '80/tcp -> 0.0.0.0:8080');
});

test('a taken host port is refused with dockerd\'s error and leaves nothing behind', async () => {
  const r = await h.docker(['run', '-d', '--name', 'clash', '-p', '8080:80', 'bb', 'sleep', '60']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /Bind for 0\.0\.0\.0:8080 failed: port is already allocated/);
  const id = (await inspect('clash')).Id;
  assert.ok(!ipt().includes(`tsa-ctr:${id.slice(0, 12)}`));
  assert.equal((await h.docker(['rm', 'clash'])).code, 0);
});

test('-P publishes exposed ports on ephemeral ports, also on 127.0.0.1 bindings', async () => {
  const r = await h.docker(['run', '-d', '--name', 'pub', '--expose', '80', '--expose', '53/udp', '-P', '-p', '127.0.0.1:9090:80', 'bb', ...HTTPD]);
  assert.equal(r.code, 0, r.stderr);
  const port = (await h.docker(['port', 'pub', '80/tcp'])).stdout.trim().split('\n');
  assert.deepEqual(port, ['127.0.0.1:9090'], 'an explicit binding wins over -P for the same port');
  const udp = (await h.docker(['port', 'pub', '53/udp'])).stdout.trim();
  const m = /^0\.0\.0\.0:(\d+)$/.exec(udp);
  assert.ok(m, udp);
  const [lo, hi] = h.inNetns(['cat', '/proc/sys/net/ipv4/ip_local_port_range']).trim().split(/\s+/).map(Number);
  assert.ok(Number(m![1]) >= lo && Number(m![1]) <= hi, `${m![1]} in ${lo}-${hi}`);
  assert.match((await wget('http://127.0.0.1:9090/')).stdout, /hello from/);
  assert.notEqual((await wget(`http://${OWN_IP}:9090/`)).code, 0, 'a 127.0.0.1 binding is not reachable on other addresses');
  const ports = (await inspect('pub')).NetworkSettings.Ports;
  assert.deepEqual(ports['80/tcp'], [{ HostIp: '127.0.0.1', HostPort: '9090' }]);
  assert.deepEqual(ports['53/udp'], [{ HostIp: '0.0.0.0', HostPort: m![1] }]);
});

test('-P alone picks a random port that answers', async () => {
  const r = await h.docker(['run', '-d', '--name', 'rnd', '--expose', '80', '-P', 'bb', ...HTTPD]);
  assert.equal(r.code, 0, r.stderr);
  const hp = /:(\d+)$/.exec((await h.docker(['port', 'rnd', '80'])).stdout.trim())![1];
  assert.match((await wget(`http://${OWN_IP}:${hp}/`)).stdout, /hello from/);
  assert.match((await wget(`http://127.0.0.1:${hp}/`)).stdout, /hello from/);
});

test('stop removes rules, interfaces and the namespace; restart gets them back; rm leaves nothing', async () => {
  const c = await inspect('web');
  const tag = `tsa-ctr:${c.Id.slice(0, 12)}`;
  assert.ok(ipt().includes(tag));
  const key = c.NetworkSettings.SandboxKey;
  assert.ok(key && existsSync(key), `sandbox ${key}`);
  const vethsBefore = links().filter((l) => l.startsWith('veth')).length;
  assert.equal((await h.docker(['stop', '-t', '1', 'web'])).code, 0);
  assert.ok(!ipt().includes(tag), 'port rules gone after stop');
  assert.ok(!existsSync(key), 'namespace file gone after stop');
  assert.equal(links().filter((l) => l.startsWith('veth')).length, vethsBefore - 1);
  const stopped = await inspect('web');
  assert.equal(stopped.NetworkSettings.IPAddress, '');
  assert.deepEqual(stopped.NetworkSettings.Ports, {});
  assert.equal((await h.docker(['start', 'web'])).code, 0);
  assert.match((await wget('http://127.0.0.1:8080/')).stdout, /hello from/);
  for (const n of ['web', 'pub', 'rnd']) assert.equal((await h.docker(['rm', '-f', n])).code, 0);
  const rules = ipt();
  assert.ok(!/tsa-ctr:/.test(rules), `no container rules left:\n${rules}`);
  assert.deepEqual(links().filter((l) => l.startsWith('veth')), []);
  const nsDir = join(h.execRoot, 'netns');
  assert.deepEqual(existsSync(nsDir) ? readdirSync(nsDir) : [], []);
  const net = JSON.parse((await h.docker(['network', 'inspect', 'bridge'])).stdout)[0];
  assert.deepEqual(net.Containers, {});
});

test('--network none has only lo; --network host shares the namespace', async () => {
  const none = await h.docker(['run', '--rm', '--network', 'none', 'bb', 'sh', '-c', 'ls /sys/class/net']);
  assert.equal(none.stdout.trim(), 'lo', none.stderr);
  const host = await h.docker(['run', '--rm', '--network', 'host', 'bb', 'sh', '-c', 'ls /sys/class/net | sort | tr "\\n" " "']);
  assert.match(host.stdout, /tsa0/, host.stderr);
  assert.match(host.stdout, /up0/);
  const ls = (await h.docker(['network', 'ls', '--format', '{{.Name}} {{.Driver}}'])).stdout.trim().split('\n').sort();
  assert.deepEqual(ls, ['bridge bridge', 'host host', 'none null']);
});
