// The Engine API as a third-party client sees it: the `dockerode` npm package drives tsagent over its
// unix socket and every answer is checked against dockerd's documented shapes and status codes
// (Docker Engine API v1.51): field names, types, values, and the error body {message}.
// The agent runs in a network namespace of its own (harness netns mode) so bridge networks work.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as http from 'node:http';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import Docker from 'dockerode';
import { AgentHarness } from './harness';

let h: AgentHarness;
let docker: Docker;
const sfx = Math.random().toString(36).slice(2, 8);
const NAME = (n: string) => `dk-${n}-${sfx}`;

before(async () => {
  h = await AgentHarness.create({ netns: true });
  await h.start();
  assert.equal((await h.importBusybox('bb')).code, 0);
  docker = new Docker({ socketPath: h.socket });
});

after(async () => {
  // Everything the tests made is removed by them; this only sweeps up after a failure.
  try {
    for (const c of await docker.listContainers({ all: true })) await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
    for (const n of await docker.listNetworks()) if (n.Name.startsWith('dk-')) await docker.getNetwork(n.Id).remove().catch(() => undefined);
    for (const v of (await docker.listVolumes()).Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
  } finally {
    const left = await h.cleanup();
    assert.deepEqual(left, [], 'nothing may be left behind');
  }
});

/** A dockerode error: the HTTP status and the parsed JSON body. */
interface ApiErr { statusCode: number; json: { message: string } | null; message: string }

async function rejects(p: Promise<unknown>, status: number | number[], message?: RegExp): Promise<ApiErr> {
  try {
    await p;
  } catch (e) {
    const err = e as ApiErr;
    const want = Array.isArray(status) ? status : [status];
    assert.ok(want.includes(err.statusCode), `status ${err.statusCode} of ${err.message}, want ${want.join(' or ')}`);
    if (message) {
      if (err.json === null) {
        // Streaming endpoints: dockerode folds the body into the error message only.
        assert.match(err.message, message);
      } else {
        assert.ok(typeof err.json.message === 'string', `JSON body {message}: ${JSON.stringify(err.json)}`);
        assert.match(err.json.message, message);
        assert.deepEqual(Object.keys(err.json), ['message'], 'error body is exactly {message}');
      }
    }
    return err;
  }
  assert.fail(`expected HTTP ${status}`);
}

/** A raw request over the socket, for status codes and bodies dockerode hides. */
function raw(method: string, path: string, body?: unknown): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((res, rej) => {
    const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = http.request({ socketPath: h.socket, method, path, agent: false, headers: data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {} }, (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => res({ status: r.statusCode ?? 0, headers: r.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', rej);
    req.end(data);
  });
}

function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((res, rej) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(Buffer.from(c)));
    stream.on('end', () => res(Buffer.concat(chunks)));
    stream.on('error', rej);
  });
}

/** Splits a multiplexed (stdcopy) stream into stdout and stderr with dockerode's own demuxer. */
async function demux(stream: NodeJS.ReadableStream): Promise<{ out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const o = collect(out);
  const e = collect(err);
  docker.modem.demuxStream(stream, out, err);
  await new Promise<void>((res, rej) => { stream.on('end', () => res()); stream.on('error', rej); });
  out.end();
  err.end();
  return { out: (await o).toString(), err: (await e).toString() };
}

/** Names of the entries of a tar archive (GNU tar reads it). */
function tarList(buf: Buffer): string[] {
  const r = spawnSync('tar', ['-t'], { input: buf, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean);
}

const isIso = (s: unknown) => typeof s === 'string' && !Number.isNaN(Date.parse(s)) && /^\d{4}-\d\d-\d\dT/.test(s);

test('system: ping, version, info', async () => {
  assert.equal(String(await docker.ping()), 'OK');
  const ping = await raw('GET', '/_ping');
  assert.equal(ping.status, 200);
  assert.match(String(ping.headers['api-version']), /^1\.\d+$/);
  assert.equal(ping.headers['ostype'], 'linux');

  const v = await docker.version();
  assert.match(v.ApiVersion, /^1\.(\d+)$/);
  assert.ok(Number(v.ApiVersion.split('.')[1]) >= 51, `ApiVersion ${v.ApiVersion} >= 1.51`);
  assert.match(v.MinAPIVersion!, /^1\.\d+$/);
  assert.ok(Number(v.MinAPIVersion!.split('.')[1]) <= 24, 'accepts old clients (compose 1.29 speaks 1.24+)');
  assert.equal(v.Os, 'linux');
  assert.ok(['amd64', 'arm64', 'arm', '386', 'ppc64le', 's390x', 'riscv64'].includes(v.Arch), v.Arch);
  assert.equal(typeof v.Version, 'string');
  assert.equal(typeof v.KernelVersion, 'string');
  assert.ok(Array.isArray(v.Components) && v.Components.length >= 1);
  const engine = v.Components!.find((c) => c.Name === 'Engine');
  assert.ok(engine, 'a component named Engine');
  assert.equal(engine.Version, v.Version);
  assert.equal((engine.Details as unknown as Record<string, string>).ApiVersion, v.ApiVersion);
  for (const c of v.Components!) assert.equal(typeof c.Version, 'string', `${c.Name}.Version`);

  const info = await docker.info();
  for (const k of ['Containers', 'ContainersRunning', 'ContainersPaused', 'ContainersStopped', 'Images', 'NCPU', 'MemTotal']) {
    assert.equal(typeof info[k], 'number', `Info.${k} is a number`);
  }
  assert.equal(info.Driver, 'overlay2');
  assert.match(info.CgroupVersion, /^[12]$/);
  assert.ok(info.NCPU >= 1);
  assert.ok(info.MemTotal > 64 * 1024 * 1024);
  assert.equal(info.OSType, 'linux');
  assert.equal(info.Images, 1, 'the imported busybox');
  assert.equal(info.Containers, 0);
  assert.ok(Array.isArray(info.Warnings));
  assert.ok(!info.Warnings.some((w: string) => /bridge/.test(w)), `no bridge warning with a working bridge: ${info.Warnings}`);
  assert.deepEqual(info.Plugins.Network, ['bridge', 'host', 'null']);
  assert.deepEqual(info.Plugins.Volume, ['local']);
  const c = await docker.createContainer({ Image: 'bb', Cmd: ['true'], name: NAME('count') });
  const info2 = await docker.info();
  assert.equal(info2.Containers, info.Containers + 1, 'Info.Containers counts a created container');
  assert.equal(info2.ContainersStopped, info.ContainersStopped + 1);
  await c.remove();
  assert.equal((await docker.info()).Containers, info.Containers);
});

test('images: list, inspect, history, tag, remove', async () => {
  const list = await docker.listImages();
  const bb = list.find((i) => i.RepoTags?.includes('bb:latest'));
  assert.ok(bb, `bb:latest listed: ${JSON.stringify(list)}`);
  assert.match(bb.Id, /^sha256:[0-9a-f]{64}$/);
  assert.equal(typeof bb.Created, 'number');
  assert.ok(bb.Created > 1_600_000_000 && bb.Created < Date.now() / 1000 + 60, 'Created in Unix seconds');
  assert.equal(typeof bb.Size, 'number');
  assert.ok(bb.Size > 100_000, 'busybox is more than 100 kB');
  assert.ok(Array.isArray(bb.RepoDigests));
  assert.equal(typeof bb.Containers, 'number');

  const img = await docker.getImage('bb').inspect();
  assert.equal(img.Id, bb.Id);
  assert.deepEqual(img.RepoTags, ['bb:latest']);
  assert.ok(isIso(img.Created), `Created is RFC 3339: ${img.Created}`);
  assert.equal(img.Os, 'linux');
  assert.equal(typeof img.Architecture, 'string');
  assert.equal(img.Size, bb.Size);
  assert.equal(typeof img.Config, 'object');
  assert.ok(img.Config !== null);
  assert.equal(img.RootFS.Type, 'layers');
  assert.ok(Array.isArray(img.RootFS.Layers) && img.RootFS.Layers!.length === 1, 'import makes one layer');
  assert.match(img.RootFS.Layers![0], /^sha256:[0-9a-f]{64}$/);
  // Kept at every API version (dockerd drops it from 1.45): docker-compose 1.29 negotiates the newest
  // API and reads it when it recreates a service.
  assert.equal(typeof (img as unknown as { ContainerConfig: { Tty: boolean } }).ContainerConfig?.Tty, 'boolean');
  assert.ok(!Object.hasOwn(img, 'VirtualSize') && !Object.hasOwn(bb, 'VirtualSize'), 'API >= 1.44 has no VirtualSize');
  // Older clients still get VirtualSize.
  const old = JSON.parse((await raw('GET', '/v1.41/images/bb/json')).body);
  assert.equal(typeof old.ContainerConfig, 'object');
  assert.ok(old.ContainerConfig !== null);
  assert.equal(old.ContainerConfig.Tty, false);
  assert.equal(old.VirtualSize, img.Size);

  const hist = await docker.getImage('bb').history() as Array<{ Id: string; Created: number; CreatedBy: string; Tags: string[] | null; Size: number; Comment: string }>;
  assert.ok(Array.isArray(hist) && hist.length >= 1);
  assert.equal(hist[0].Id, bb.Id);
  assert.equal(typeof hist[0].Created, 'number');
  assert.equal(typeof hist[0].CreatedBy, 'string');
  assert.equal(typeof hist[0].Size, 'number');
  assert.deepEqual(hist[0].Tags, ['bb:latest']);
  assert.equal(typeof hist[0].Comment, 'string');

  const tagged = await raw('POST', `/images/bb/tag?repo=${NAME('img')}&tag=v1`);
  assert.equal(tagged.status, 201, 'tag answers 201 Created');
  await docker.getImage('bb').tag({ repo: `${NAME('img')}`, tag: 'v2' });
  assert.deepEqual((await docker.getImage('bb').inspect()).RepoTags.sort(), ['bb:latest', `${NAME('img')}:v1`, `${NAME('img')}:v2`].sort());
  const del = await docker.getImage(`${NAME('img')}:v1`).remove() as Array<{ Untagged?: string; Deleted?: string }>;
  assert.deepEqual(del, [{ Untagged: `${NAME('img')}:v1` }], 'removing one of several tags only untags');
  await docker.getImage(`${NAME('img')}:v2`).remove();
  assert.deepEqual((await docker.getImage('bb').inspect()).RepoTags, ['bb:latest']);

  await rejects(docker.getImage('nosuchimage:latest').remove(), 404, /No such image: nosuchimage:latest/);
  await rejects(docker.getImage('nosuchimage').inspect(), 404, /No such image: nosuchimage/);
  await rejects(docker.getImage('bb').tag({ repo: 'Bad Repo' }), 400, /invalid reference format|repository name/i);
});

test('containers: create with Env/Labels/HostConfig, inspect shapes, lifecycle status codes', async () => {
  const vol = NAME('data');
  const name = NAME('web');
  const created = await raw('POST', `/containers/create?name=${name}`, {
    Image: 'bb', Cmd: ['sh', '-c', 'echo out; echo err >&2; exec sleep 1000'], Env: ['FOO=bar', 'EMPTY='], Labels: { app: 'dk', tier: 'web' },
    ExposedPorts: { '80/tcp': {} }, StopTimeout: 1,
    HostConfig: {
      Memory: 64 * 1024 * 1024, PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '18080' }] }, Binds: [`${vol}:/data`],
      RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 },
    },
  });
  assert.equal(created.status, 201, created.body);
  const cr = JSON.parse(created.body);
  assert.match(cr.Id, /^[0-9a-f]{64}$/);
  assert.ok(Array.isArray(cr.Warnings), 'Warnings is an array');
  const c = docker.getContainer(cr.Id);

  let j = await c.inspect();
  assert.equal(j.Id, cr.Id);
  assert.equal(j.Name, `/${name}`);
  assert.ok(isIso(j.Created));
  assert.equal(j.Path, 'sh');
  assert.deepEqual(j.Args, ['-c', 'echo out; echo err >&2; exec sleep 1000']);
  assert.match(j.Image, /^sha256:[0-9a-f]{64}$/);
  assert.equal(j.Config.Image, 'bb');
  assert.ok(j.Config.Env.includes('FOO=bar') && j.Config.Env.includes('EMPTY='), JSON.stringify(j.Config.Env));
  assert.deepEqual(j.Config.Labels, { app: 'dk', tier: 'web' });
  assert.deepEqual(j.Config.ExposedPorts, { '80/tcp': {} });
  assert.equal(j.State.Status, 'created');
  assert.equal(j.State.Running, false);
  assert.equal(j.State.Pid, 0);
  assert.equal(j.State.ExitCode, 0);
  assert.equal(j.State.StartedAt, '0001-01-01T00:00:00Z');
  assert.equal(j.HostConfig.Memory, 64 * 1024 * 1024);
  assert.deepEqual(j.HostConfig.PortBindings, { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '18080' }] });
  assert.deepEqual(j.HostConfig.Binds, [`${vol}:/data`]);
  assert.deepEqual(j.HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 2 });
  assert.equal(j.HostConfig.NetworkMode, 'bridge');
  assert.equal(j.RestartCount, 0);
  const m = j.Mounts.find((x) => x.Destination === '/data');
  assert.ok(m, JSON.stringify(j.Mounts));
  assert.equal(m.Type, 'volume');
  assert.equal(m.Name, vol);
  assert.equal(m.Driver, 'local');
  assert.equal(m.RW, true);
  assert.equal(typeof m.Source, 'string');
  assert.ok(m.Source.endsWith(`/volumes/${vol}/_data`), m.Source);

  // start: 204, then 304 when already running.
  assert.equal((await raw('POST', `/containers/${cr.Id}/start`)).status, 204);
  const again = await raw('POST', `/containers/${cr.Id}/start`);
  assert.equal(again.status, 304, 'start of a running container is 304 Not Modified');
  assert.equal(again.body, '');
  await rejects(c.start(), 304);

  j = await c.inspect();
  assert.equal(j.State.Status, 'running');
  assert.equal(j.State.Running, true);
  assert.equal(typeof j.State.Pid, 'number');
  assert.ok(j.State.Pid > 0);
  assert.ok(isIso(j.State.StartedAt) && !j.State.StartedAt.startsWith('0001'));
  assert.equal(j.State.FinishedAt, '0001-01-01T00:00:00Z');
  for (const k of ['Paused', 'Restarting', 'OOMKilled', 'Dead'] as const) assert.equal(j.State[k], false, `State.${k}`);
  assert.equal(j.State.Error, '');
  assert.deepEqual(j.NetworkSettings.Ports, { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '18080' }] });
  const br = j.NetworkSettings.Networks.bridge;
  assert.ok(br, `attached to bridge: ${Object.keys(j.NetworkSettings.Networks)}`);
  assert.match(br.IPAddress, /^\d+\.\d+\.\d+\.\d+$/);
  assert.equal(br.IPPrefixLen, 16);
  assert.match(br.NetworkID, /^[0-9a-f]{64}$/);
  assert.match(br.EndpointID, /^[0-9a-f]{64}$/);
  assert.match(br.MacAddress, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
  assert.equal((j.NetworkSettings as unknown as { IPAddress: string }).IPAddress, br.IPAddress, 'legacy top-level IPAddress');

  // pause/unpause: 204; a paused container reports Status paused.
  assert.equal((await raw('POST', `/containers/${cr.Id}/pause`)).status, 204);
  j = await c.inspect();
  assert.equal(j.State.Status, 'paused');
  assert.equal(j.State.Paused, true);
  assert.equal(j.State.Running, true);
  assert.equal((await docker.listContainers({ filters: { status: ['paused'] } })).map((x) => x.Id).join(), cr.Id);
  await c.unpause();
  assert.equal((await c.inspect()).State.Status, 'running');

  // restart: 204, new start time.
  const started = j.State.StartedAt;
  assert.equal((await raw('POST', `/containers/${cr.Id}/restart?t=1`)).status, 204);
  j = await c.inspect();
  assert.equal(j.State.Running, true);
  assert.notEqual(j.State.StartedAt, started);

  // stop: 204, then 304 when already stopped; pause of a stopped one is 409.
  assert.equal((await raw('POST', `/containers/${cr.Id}/stop?t=1`)).status, 204);
  assert.equal((await raw('POST', `/containers/${cr.Id}/stop?t=1`)).status, 304);
  j = await c.inspect();
  assert.equal(j.State.Status, 'exited');
  assert.equal(j.State.Running, false);
  assert.equal(j.State.Pid, 0);
  assert.equal(typeof j.State.ExitCode, 'number');
  assert.ok(isIso(j.State.FinishedAt) && !j.State.FinishedAt.startsWith('0001'));
  await rejects(c.pause(), 409, new RegExp(`${cr.Id}.*is not running|is not running`));
  await rejects(c.kill(), 409, /is not running/);
  await rejects(c.unpause(), 409, /is not paused/);

  // kill: 204 with a signal.
  await c.start();
  assert.equal((await raw('POST', `/containers/${cr.Id}/kill?signal=SIGKILL`)).status, 204);
  assert.deepEqual(await c.wait(), { StatusCode: 137 }, 'wait answers {StatusCode}');
  await rejects(c.kill({ signal: 'SIGNOPE' }), 400, /invalid signal|SIGNOPE/i);

  // logs: stdout and stderr are multiplexed and stay apart after demuxing.
  const logs = await c.logs({ stdout: true, stderr: true, follow: false }) as unknown as Buffer;
  assert.ok(Buffer.isBuffer(logs));
  assert.ok(logs[0] === 1 || logs[0] === 2, 'stdcopy frame header');
  const { out, err } = await demux(Readable.from([logs]));
  assert.equal(out, 'out\nout\nout\n', 'three starts, three lines on stdout');
  assert.equal(err, 'err\nerr\nerr\n');
  const onlyErr = await demux(Readable.from([await c.logs({ stdout: false, stderr: true }) as unknown as Buffer]));
  assert.equal(onlyErr.out, '');
  assert.equal(onlyErr.err, 'err\nerr\nerr\n');

  // The named volume from Binds exists and is in use: removing it is 409.
  const vi = await docker.getVolume(vol).inspect();
  assert.equal(vi.Name, vol);
  await rejects(docker.getVolume(vol).remove(), 409, new RegExp(`volume is in use.*${cr.Id}`));

  // remove: running needs force (409), then v removes anonymous volumes but not named ones.
  await c.start();
  await rejects(c.remove(), 409, /stop the container before removing or force remove/);
  assert.equal((await raw('DELETE', `/containers/${cr.Id}?force=1&v=1`)).status, 204);
  await rejects(c.inspect(), 404, new RegExp(`No such container: ${cr.Id}`));
  await docker.getVolume(vol).inspect(); // named volume survives v=1
  await docker.getVolume(vol).remove();
  await rejects(docker.getVolume(vol).inspect(), 404, new RegExp(`no such volume|${vol}`, 'i'));
});

test('containers: list filters, attach, exec, top, stats, changes, export, archive, rename, update, prune', async () => {
  const a = await docker.createContainer({ name: NAME('a'), Image: 'bb', Cmd: ['sleep', '1000'], Labels: { role: 'a', grp: 'dk' }, StopTimeout: 1 });
  const b = await docker.createContainer({ name: NAME('b'), Image: 'bb', Cmd: ['sh', '-c', 'exit 3'], Labels: { role: 'b', grp: 'dk' } });
  await a.start();

  // wait before start would race; attach first, then start, then read to the end.
  const att = await b.attach({ stream: true, stdout: true, stderr: true }) as unknown as NodeJS.ReadableStream;
  const bw = await docker.createContainer({ name: NAME('att'), Image: 'bb', Cmd: ['sh', '-c', 'echo to-out; echo to-err >&2'] });
  const attW = await bw.attach({ stream: true, stdout: true, stderr: true }) as unknown as NodeJS.ReadableStream;
  const demuxed = demux(attW);
  await bw.start();
  assert.deepEqual(await demuxed, { out: 'to-out\n', err: 'to-err\n' }, 'attach streams both, kept apart');
  assert.deepEqual(await bw.wait(), { StatusCode: 0 });
  await bw.remove();
  await b.start();
  await collect(att);
  assert.deepEqual(await b.wait(), { StatusCode: 3 });

  const list = await docker.listContainers();
  assert.deepEqual(list.map((x) => x.Id), [a.id], 'only running ones without all');
  const la = list[0];
  assert.deepEqual(la.Names, [`/${NAME('a')}`]);
  assert.equal(la.Image, 'bb');
  assert.match(la.ImageID, /^sha256:/);
  assert.equal(la.Command, 'sleep 1000');
  assert.equal(typeof la.Created, 'number');
  assert.equal(la.State, 'running');
  assert.match(la.Status, /^Up /);
  assert.deepEqual(la.Labels, { role: 'a', grp: 'dk' });
  assert.ok(Array.isArray(la.Ports));
  assert.equal(la.HostConfig.NetworkMode, 'bridge');
  assert.ok(la.NetworkSettings.Networks.bridge, 'NetworkSettings.Networks.bridge');
  assert.ok(Array.isArray(la.Mounts));
  const all = await docker.listContainers({ all: true });
  assert.deepEqual(all.map((x) => x.Id).sort(), [a.id, b.id].sort());
  const lb = all.find((x) => x.Id === b.id)!;
  assert.equal(lb.State, 'exited');
  assert.match(lb.Status, /^Exited \(3\) /);
  const ids = async (filters: Record<string, string[]>) => (await docker.listContainers({ all: true, filters })).map((x) => x.Id).sort();
  assert.deepEqual(await ids({ label: ['role=b'] }), [b.id]);
  assert.deepEqual(await ids({ label: ['grp=dk'] }), [a.id, b.id].sort());
  assert.deepEqual(await ids({ label: ['grp'] }), [a.id, b.id].sort());
  assert.deepEqual(await ids({ status: ['exited'] }), [b.id]);
  assert.deepEqual(await ids({ status: ['running'] }), [a.id]);
  assert.deepEqual(await ids({ name: [NAME('a')] }), [a.id]);
  assert.deepEqual(await ids({ exited: ['3'] }), [b.id]);
  await rejects(docker.listContainers({ filters: { status: ['bogus'] } }), 400, /invalid filter 'status=bogus'|bogus/);
  await rejects(docker.listContainers({ filters: { nope: ['x'] } }), 400, /invalid filter 'nope'/);

  // exec: create (201 {Id}), start (multiplexed output), inspect (ExitCode).
  const ex = await a.exec({ Cmd: ['sh', '-c', 'echo exec-out; echo exec-err >&2; exit 7'], AttachStdout: true, AttachStderr: true, Env: ['X=1'] });
  assert.match(ex.id, /^[0-9a-f]{64}$/);
  const pre = await ex.inspect();
  assert.equal(pre.Running, false);
  assert.equal(pre.ExitCode, null, 'ExitCode is null before start');
  const exStream = await ex.start({ hijack: true, stdin: false }) as unknown as NodeJS.ReadableStream;
  assert.deepEqual(await demux(exStream), { out: 'exec-out\n', err: 'exec-err\n' });
  let ei = await ex.inspect();
  for (let i = 0; ei.Running && i < 50; i++) { await new Promise((r) => setTimeout(r, 100)); ei = await ex.inspect(); }
  assert.equal(ei.ExitCode, 7);
  assert.equal(ei.Running, false);
  assert.equal(ei.ContainerID, a.id);
  assert.equal(ei.ProcessConfig.entrypoint, 'sh');
  assert.deepEqual(ei.ProcessConfig.arguments, ['-c', 'echo exec-out; echo exec-err >&2; exit 7']);
  assert.equal(typeof ei.Pid, 'number');
  await rejects(b.exec({ Cmd: ['true'] }), 409, /is not running/);
  await rejects(docker.getExec('0'.repeat(64)).inspect(), 404, /No such exec instance/);

  // top
  const top = await a.top() as { Titles: string[]; Processes: string[][] };
  assert.deepEqual(top.Titles.slice(0, 3), ['UID', 'PID', 'PPID']);
  assert.ok(top.Titles.includes('CMD'));
  assert.equal(top.Processes.length, 1);
  assert.equal(top.Processes[0].length, top.Titles.length);
  assert.equal(top.Processes[0][top.Titles.indexOf('CMD')], 'sleep 1000');
  const topAux = await a.top({ ps_args: 'aux' }) as { Titles: string[]; Processes: string[][] };
  assert.ok(topAux.Titles.includes('%CPU') && topAux.Titles.includes('COMMAND'), topAux.Titles.join());
  await rejects(b.top(), 409, /is not running/);

  // stats, one sample
  const st = await a.stats({ stream: false }) as unknown as Record<string, any>;
  assert.ok(isIso(st.read));
  assert.equal(st.id, a.id);
  assert.equal(st.name, `/${NAME('a')}`);
  assert.equal(typeof st.cpu_stats.cpu_usage.total_usage, 'number');
  assert.equal(typeof st.cpu_stats.system_cpu_usage, 'number');
  assert.equal(typeof st.cpu_stats.online_cpus, 'number');
  assert.ok(st.cpu_stats.online_cpus >= 1);
  assert.equal(typeof st.precpu_stats, 'object');
  assert.equal(typeof st.memory_stats.usage, 'number');
  assert.equal(typeof st.memory_stats.limit, 'number');
  assert.ok(st.memory_stats.limit > 0);
  assert.equal(typeof st.memory_stats.stats, 'object');
  assert.equal(typeof st.pids_stats.current, 'number');
  assert.ok(st.pids_stats.current >= 1);
  assert.equal(typeof st.networks, 'object', 'networks for a bridged container');

  // changes: a file added, one changed
  await (await a.exec({ Cmd: ['sh', '-c', 'echo hi > /new.txt && echo x >> /etc/hostname.tmp'] })).start({ hijack: true, stdin: false }).then((s) => collect(s as unknown as NodeJS.ReadableStream));
  const ch = await a.changes() as Array<{ Path: string; Kind: number }>;
  assert.ok(Array.isArray(ch));
  assert.deepEqual(ch.find((x) => x.Path === '/new.txt'), { Path: '/new.txt', Kind: 1 }, JSON.stringify(ch));
  for (const x of ch) assert.ok([0, 1, 2].includes(x.Kind) && x.Path.startsWith('/'), JSON.stringify(x));

  // export: a tar of the whole filesystem
  const tar = await collect(await a.export() as unknown as NodeJS.ReadableStream);
  const names = tarList(tar);
  assert.ok(names.some((n) => /^(\.\/)?bin\/busybox$/.test(n)), 'export has bin/busybox');
  assert.ok(names.some((n) => /^(\.\/)?new\.txt$/.test(n)), 'export has the new file');

  // archive: docker cp out and in
  const arch = await raw('GET', `/containers/${a.id}/archive?path=/new.txt`);
  assert.equal(arch.status, 200);
  assert.equal(arch.headers['content-type'], 'application/x-tar');
  const pstat = JSON.parse(Buffer.from(String(arch.headers['x-docker-container-path-stat']), 'base64').toString());
  assert.equal(pstat.name, 'new.txt');
  assert.equal(pstat.size, 3);
  assert.equal(typeof pstat.mode, 'number');
  assert.ok(isIso(pstat.mtime));
  const got = await collect(await a.getArchive({ path: '/new.txt' }) as unknown as NodeJS.ReadableStream);
  assert.deepEqual(tarList(got), ['new.txt']);
  assert.equal(spawnSync('tar', ['-xO'], { input: got }).stdout.toString(), 'hi\n');
  const tmp = mkdtempSync(join(tmpdir(), 'dk-cp-'));
  try {
    writeFileSync(join(tmp, 'put.txt'), 'put via api\n');
    const putTar = spawnSync('tar', ['-c', '-C', tmp, 'put.txt']).stdout;
    await a.putArchive(putTar, { path: '/tmp' });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const cat = await (await a.exec({ Cmd: ['cat', '/tmp/put.txt'], AttachStdout: true, AttachStderr: true })).start({ hijack: true, stdin: false });
  assert.equal((await demux(cat as unknown as NodeJS.ReadableStream)).out, 'put via api\n');
  await rejects(a.getArchive({ path: '/nope' }), 404, /Could not find the file \/nope in container/);
  await rejects(a.putArchive(Buffer.alloc(1024), { path: '/nope/dir' }), 404, /Could not find the file \/nope\/dir in container|no such/i);

  // rename
  assert.equal((await raw('POST', `/containers/${a.id}/rename?name=${NAME('a2')}`)).status, 204);
  assert.equal((await a.inspect()).Name, `/${NAME('a2')}`);
  await rejects(a.rename({ name: NAME('b') }), 409, new RegExp(`${NAME('b')}.*already in use`));

  // update
  const up = await a.update({ Memory: 96 * 1024 * 1024, MemorySwap: -1, RestartPolicy: { Name: 'unless-stopped' } }) as { Warnings: string[] | null };
  assert.ok(up.Warnings === null || Array.isArray(up.Warnings), `Warnings: ${JSON.stringify(up)}`);
  const ai = await a.inspect();
  assert.equal(ai.HostConfig.Memory, 96 * 1024 * 1024);
  assert.deepEqual(ai.HostConfig.RestartPolicy, { Name: 'unless-stopped', MaximumRetryCount: 0 });

  // prune: stopped containers only
  const pr = await docker.pruneContainers({ filters: { label: ['grp=dk'] } }) as { ContainersDeleted: string[] | null; SpaceReclaimed: number };
  assert.deepEqual(pr.ContainersDeleted, [b.id]);
  assert.equal(typeof pr.SpaceReclaimed, 'number');
  const pr2 = await docker.pruneContainers() as { ContainersDeleted: string[] | null; SpaceReclaimed: number };
  assert.ok(pr2.ContainersDeleted === null || pr2.ContainersDeleted.length === 0, JSON.stringify(pr2));
  assert.equal(pr2.SpaceReclaimed, 0);
  await a.remove({ force: true, v: true });
  assert.deepEqual(await docker.listContainers({ all: true }), []);
});

test('networks: create with IPAM and labels, inspect, connect/disconnect with aliases, list filters, remove, prune', async () => {
  const nname = NAME('net');
  const created = await raw('POST', '/networks/create', { Name: nname, Driver: 'bridge', Labels: { team: 'dk' }, IPAM: { Driver: 'default', Config: [{ Subnet: '10.231.7.0/24', Gateway: '10.231.7.1' }] } });
  assert.equal(created.status, 201, created.body);
  const cr = JSON.parse(created.body);
  assert.match(cr.Id, /^[0-9a-f]{64}$/);
  assert.equal(cr.Warning, '');
  const net = docker.getNetwork(cr.Id);
  await rejects(docker.createNetwork({ Name: nname }), 409, new RegExp(`network with name ${nname} already exists`));

  let ni = await net.inspect();
  assert.equal(ni.Name, nname);
  assert.equal(ni.Id, cr.Id);
  assert.ok(isIso(ni.Created));
  assert.equal(ni.Scope, 'local');
  assert.equal(ni.Driver, 'bridge');
  assert.equal(ni.EnableIPv6, false);
  assert.equal(ni.Internal, false);
  assert.equal(ni.Attachable, false);
  assert.equal(ni.IPAM!.Driver, 'default');
  assert.deepEqual(ni.IPAM!.Config, [{ Subnet: '10.231.7.0/24', Gateway: '10.231.7.1' }]);
  assert.deepEqual(ni.Labels, { team: 'dk' });
  assert.deepEqual(ni.Containers, {});
  assert.equal(typeof ni.Options, 'object');

  const c = await docker.createContainer({ name: NAME('n1'), Image: 'bb', Cmd: ['sleep', '1000'], StopTimeout: 1 });
  await c.start();
  const conn = await raw('POST', `/networks/${nname}/connect`, { Container: c.id, EndpointConfig: { Aliases: ['dbalias'] } });
  assert.equal(conn.status, 200, conn.body);
  ni = await net.inspect();
  const ep = ni.Containers![c.id];
  assert.ok(ep, JSON.stringify(ni.Containers));
  assert.equal(ep.Name, NAME('n1'));
  assert.match(ep.EndpointID, /^[0-9a-f]{64}$/);
  assert.match(ep.MacAddress, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
  assert.match(ep.IPv4Address, /^10\.231\.7\.\d+\/24$/);
  assert.equal(ep.IPv6Address, '');
  const cn = (await c.inspect()).NetworkSettings.Networks[nname];
  assert.ok(cn, 'the container shows the network');
  assert.ok(cn.Aliases!.includes('dbalias'), JSON.stringify(cn.Aliases));
  assert.equal(cn.NetworkID, cr.Id);
  assert.equal(cn.Gateway, '10.231.7.1');
  assert.equal(`${cn.IPAddress}/24`, ep.IPv4Address);
  // The alias resolves on that network from another container.
  const peer = await docker.createContainer({ name: NAME('n2'), Image: 'bb', Cmd: ['sleep', '1000'], StopTimeout: 1, HostConfig: { NetworkMode: nname } });
  await peer.start();
  const ns = await (await peer.exec({ Cmd: ['ping', '-c', '1', '-W', '2', 'dbalias'], AttachStdout: true, AttachStderr: true })).start({ hijack: true, stdin: false });
  assert.match((await demux(ns as unknown as NodeJS.ReadableStream)).out, new RegExp(`bytes from ${cn.IPAddress.replace(/\./g, '\\.')}`));
  await rejects(net.connect({ Container: c.id }), 403, /already exists in network|already attached/);

  const ls = async (filters: Record<string, string[]>) => (await docker.listNetworks({ filters })).map((n) => n.Name).sort();
  assert.deepEqual(await ls({ label: ['team=dk'] }), [nname]);
  assert.deepEqual(await ls({ name: [nname] }), [nname]);
  assert.deepEqual(await ls({ driver: ['bridge'], type: ['custom'] }), [nname]);
  assert.deepEqual((await ls({ type: ['builtin'] })).filter((n) => n === 'bridge'), ['bridge']);
  const all = await docker.listNetworks();
  assert.deepEqual(all.map((n) => n.Name).filter((n) => ['bridge', 'host', 'none'].includes(n)).sort(), ['bridge', 'host', 'none']);
  const listed = all.find((n) => n.Name === nname)!;
  assert.deepEqual(listed.Containers, {}, 'list leaves Containers empty, as dockerd does');
  await rejects(docker.listNetworks({ filters: { bogus: ['1'] } }), 400, /invalid filter 'bogus'/);

  await rejects(net.remove(), 403, /has active endpoints/);
  assert.equal((await raw('POST', `/networks/${nname}/disconnect`, { Container: c.id, Force: false })).status, 200);
  assert.deepEqual(Object.keys((await net.inspect()).Containers ?? {}), [peer.id]);
  assert.equal((await c.inspect()).NetworkSettings.Networks[nname], undefined);
  await rejects(net.disconnect({ Container: c.id }), 403, /is not connected to (the )?network/);
  await peer.remove({ force: true });
  await c.remove({ force: true });

  const spare = await docker.createNetwork({ Name: NAME('spare'), Labels: { prune: 'me' } });
  assert.equal((await raw('DELETE', `/networks/${cr.Id}`)).status, 204);
  await rejects(net.inspect(), 404, new RegExp(`network ${cr.Id} not found`));
  const pr = await docker.pruneNetworks({ filters: { label: ['prune=me'] } }) as { NetworksDeleted: string[] | null };
  assert.deepEqual(pr.NetworksDeleted, [NAME('spare')]);
  await rejects(spare.inspect(), 404);
  assert.deepEqual(((await docker.pruneNetworks()) as { NetworksDeleted: string[] | null }).NetworksDeleted ?? [], [], 'builtin networks are never pruned');
});

test('volumes: create with labels, list, inspect, remove, prune', async () => {
  const vname = NAME('vol');
  const created = await raw('POST', '/volumes/create', { Name: vname, Labels: { keep: 'no' } });
  assert.equal(created.status, 201, created.body);
  const v = JSON.parse(created.body);
  assert.equal(v.Name, vname);
  assert.equal(v.Driver, 'local');
  assert.ok(isIso(v.CreatedAt));
  assert.deepEqual(v.Labels, { keep: 'no' });
  assert.equal(v.Scope, 'local');
  assert.ok(v.Mountpoint.startsWith(h.dataRoot) && v.Mountpoint.endsWith(`/volumes/${vname}/_data`), v.Mountpoint);
  assert.ok(v.Options === null || typeof v.Options === 'object');
  assert.deepEqual(await docker.getVolume(vname).inspect(), v, 'inspect answers what create did');

  const anon = JSON.parse((await raw('POST', '/volumes/create', {})).body);
  assert.match(anon.Name, /^[0-9a-f]{64}$/, 'an anonymous volume gets a 64-hex name');

  const list = await docker.listVolumes();
  assert.deepEqual(Object.keys(list).sort(), ['Volumes', 'Warnings']);
  assert.ok(list.Warnings === null || Array.isArray(list.Warnings), 'Warnings is null or an array');
  assert.deepEqual(list.Volumes.map((x) => x.Name).sort(), [anon.Name, vname].sort());
  const byLabel = await docker.listVolumes({ filters: { label: ['keep=no'] } });
  assert.deepEqual(byLabel.Volumes.map((x) => x.Name), [vname]);
  const dangling = await docker.listVolumes({ filters: { dangling: ['true'] } });
  assert.equal(dangling.Volumes.length, 2);

  // In use: 409 while a container holds it.
  const c = await docker.createContainer({ name: NAME('vc'), Image: 'bb', Cmd: ['true'], HostConfig: { Binds: [`${vname}:/v`] } });
  await rejects(docker.getVolume(vname).remove(), 409, /volume is in use/);
  assert.deepEqual((await docker.listVolumes({ filters: { dangling: ['true'] } })).Volumes.map((x) => x.Name), [anon.Name]);
  await c.remove();

  // prune removes the anonymous one only (API >= 1.42), unless all=true.
  const pr = await docker.pruneVolumes() as { VolumesDeleted: string[] | null; SpaceReclaimed: number };
  assert.deepEqual(pr.VolumesDeleted, [anon.Name]);
  assert.equal(typeof pr.SpaceReclaimed, 'number');
  await docker.getVolume(vname).inspect();
  const pr2 = await docker.pruneVolumes({ filters: { all: ['true'], label: ['keep=no'] } }) as { VolumesDeleted: string[] | null };
  assert.deepEqual(pr2.VolumesDeleted, [vname]);
  await rejects(docker.getVolume(vname).inspect(), 404, new RegExp(`no such volume`));
  await rejects(docker.getVolume(vname).remove(), 404, /no such volume/);
  assert.equal((await raw('DELETE', `/volumes/${vname}?force=1`)).status, 204, 'force ignores a missing volume');
  await rejects(docker.createVolume({ Name: 'bad/name' }), 400, /bad\/name.*(invalid|includes invalid characters)/);
  assert.deepEqual((await docker.listVolumes()).Volumes, []);
});

test('events: since/until give create/start/die/destroy with Type/Action/Actor and legacy fields', async () => {
  const since = Math.floor(Date.now() / 1000) - 1;
  const c = await docker.createContainer({ name: NAME('ev'), Image: 'bb', Cmd: ['sh', '-c', 'exit 2'], Labels: { ev: 'yes' } });
  await c.start();
  await c.wait();
  await c.remove();
  const o = await docker.createContainer({ name: NAME('other'), Image: 'bb', Cmd: ['true'], Labels: { ev: 'no' } });
  await o.start();
  await o.wait();
  await o.remove();
  await new Promise((r) => setTimeout(r, 1100));
  const until = Math.floor(Date.now() / 1000);
  const stream = await docker.getEvents({ since, until, filters: { container: [c.id] } }) as unknown as NodeJS.ReadableStream;
  const text = (await collect(stream)).toString();
  const evs = text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const actions = evs.map((e) => e.Action);
  for (const a of ['create', 'start', 'die', 'destroy']) assert.ok(actions.includes(a), `${a} in ${actions.join()}`);
  assert.ok(actions.indexOf('create') < actions.indexOf('start') && actions.indexOf('start') < actions.indexOf('die') && actions.indexOf('die') < actions.indexOf('destroy'));
  for (const e of evs) {
    assert.equal(e.Type, 'container');
    assert.equal(e.Actor.ID, c.id);
    assert.equal(e.Actor.Attributes.name, NAME('ev'));
    assert.equal(e.Actor.Attributes.image, 'bb');
    assert.equal(e.Actor.Attributes.ev, 'yes', 'labels are attributes');
    assert.equal(e.scope, 'local');
    assert.equal(typeof e.time, 'number');
    assert.equal(typeof e.timeNano, 'number');
    assert.ok(e.time >= since && e.time <= until);
    assert.equal(Math.floor(e.timeNano / 1e9), e.time);
    // Legacy fields for old clients.
    assert.equal(e.status, e.Action);
    assert.equal(e.id, c.id);
    assert.equal(e.from, 'bb');
  }
  assert.equal(evs.find((e) => e.Action === 'die').Actor.Attributes.exitCode, '2');
  assert.ok(!text.includes(o.id), 'the container filter leaves the other container out');
  const pick = async (filters: Record<string, string[]>) => (await collect(await docker.getEvents({ since, until, filters } as unknown as Docker.GetEventsOptions) as unknown as NodeJS.ReadableStream))
    .toString().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { Action: string; Actor: { ID: string } });
  assert.deepEqual((await pick({ event: ['die'], label: ['ev'] })).map((e) => e.Actor.ID), [c.id, o.id], 'event and label filters');
  assert.deepEqual((await pick({ label: ['ev=no'], type: ['container'] })).map((e) => e.Action), ['create', 'start', 'die', 'destroy']);
  assert.deepEqual((await pick({ container: [NAME('other')], event: ['start'] })).map((e) => e.Actor.ID), [o.id], 'container filter by name');
  // since in the past and until in the future: kept events, then live ones until `until`.
  const liveUntil = Math.floor(Date.now() / 1000) + 3;
  const live = collect(await docker.getEvents({ since, until: liveUntil, filters: { container: [NAME('live')] } }) as unknown as NodeJS.ReadableStream);
  const l = await docker.createContainer({ name: NAME('live'), Image: 'bb', Cmd: ['true'] });
  await l.remove();
  const liveEvs = (await live).toString().split('\n').filter(Boolean).map((x) => JSON.parse(x));
  assert.deepEqual(liveEvs.map((e) => `${e.Action} ${e.Actor.ID}`), [`create ${l.id}`, `destroy ${l.id}`]);
  assert.ok(Date.now() / 1000 >= liveUntil - 0.05, 'the stream stays open until `until`');
  // A type filter keeps only that type.
  const nets = (await collect(await docker.getEvents({ since, until, filters: { type: ['network'] } }) as unknown as NodeJS.ReadableStream)).toString().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  assert.ok(nets.length >= 1 && nets.every((e) => e.Type === 'network'), JSON.stringify(nets.map((e) => e.Type)));
  await rejects(docker.getEvents({ filters: { type: ['bogus'] } } as unknown as Docker.GetEventsOptions) as Promise<unknown>, 400, /invalid filter 'type=bogus'|bogus/);
});

test('errors: bad requests give 400/404 with a {message} naming the problem, and change nothing', async () => {
  const before = (await docker.listContainers({ all: true })).length;
  await rejects(docker.createContainer({ Image: 'bb', Cmd: ['true'], HostConfig: { RestartPolicy: { Name: 'sometimes' } } }), 400, /invalid restart policy.*sometimes|sometimes/i);
  await rejects(docker.createContainer({ Image: 'bb', Cmd: ['true'], HostConfig: { RestartPolicy: { Name: 'always', MaximumRetryCount: 3 } } }), 400, /maximum retry count/i);
  await rejects(docker.createContainer({ Image: 'bb', Cmd: ['true'], HostConfig: { NetworkMode: 'nosuchnet' } }), 400, /network nosuchnet not found/);
  await rejects(docker.createContainer({ Image: 'nosuchimage', Cmd: ['true'] }), 404, /No such image: nosuchimage/);
  await rejects(docker.createContainer({ name: 'bad name!', Image: 'bb' }), 400, /Invalid container name \(bad name!\)/);
  await rejects(docker.createContainer({ Image: 'bb', Cmd: ['true'], HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '99999' }] } } }), 400, /invalid port specification: "99999"/);
  await rejects(docker.createContainer({ Image: 'bb', Cmd: ['true'], HostConfig: { Memory: 1024 } }), 400, /Minimum memory limit allowed is 6MB/);
  await rejects(docker.getContainer('nosuchcontainer').inspect(), 404, /No such container: nosuchcontainer/);
  await rejects(docker.getContainer('nosuchcontainer').start(), 404, /No such container: nosuchcontainer/);
  await rejects(docker.getNetwork('nosuchnet').inspect(), 404, /network nosuchnet not found/);
  await rejects(docker.createNetwork({ Name: NAME('badnet'), IPAM: { Config: [{ Subnet: '10.0.0.0/99' }] } }), 400, /10\.0\.0\.0\/99/);
  await rejects(docker.getVolume('nosuchvol').inspect(), 404, /no such volume/);
  const bad = await raw('POST', '/containers/create', '{not json');
  assert.equal(bad.status, 400);
  assert.equal(bad.headers['content-type'], 'application/json');
  assert.equal(typeof JSON.parse(bad.body).message, 'string');
  const unknown = await raw('GET', '/nosuchendpoint');
  assert.equal(unknown.status, 404);
  assert.equal(JSON.parse(unknown.body).message, 'page not found');
  assert.equal((await docker.listContainers({ all: true })).length, before, 'failed creates leave no containers');
  assert.deepEqual((await docker.listNetworks()).map((n) => n.Name).filter((n) => n.startsWith('dk-')), []);
});
