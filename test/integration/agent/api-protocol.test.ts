// Wire-level checks of the hijacked endpoints the docker CLI depends on, spoken by hand over
// the unix socket: attach (101 UPGRADED, 8-byte frames, raw stream with a TTY, plain 200
// without Upgrade), wait (headers first, body at exit), exec (stdin, half-close, detach).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { AgentHarness } from './harness';
import { FrameDecoder, demux } from '../../../src/agent/logs/mux';

const h = AgentHarness.forSuite();

interface Reply { status: number; headers: http.IncomingHttpHeaders; body: Buffer }

function api(method: string, path: string, body?: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request({ socketPath: h.socket, method, path: `/v1.51${path}`, headers: data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

async function create(config: Record<string, unknown>): Promise<string> {
  const r = await api('POST', '/containers/create', { Image: 'bb', ...config });
  assert.equal(r.status, 201, r.body.toString());
  return JSON.parse(r.body.toString()).Id;
}

/** Sends an Upgrade request; resolves with the response head and the connection after it. */
function upgrade(path: string, body?: unknown, extra = ''): Promise<{ head: string; socket: net.Socket; rest: Buffer[] }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(h.socket);
    const data = body === undefined ? '' : JSON.stringify(body);
    socket.on('connect', () => socket.write(
      `POST /v1.51${path} HTTP/1.1\r\nHost: tsagent\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n` +
      `${data ? `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(data)}\r\n` : ''}\r\n${data}${extra}`,
    ));
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      const rest: Buffer[] = [buf.subarray(end + 4)];
      socket.on('data', (x: Buffer) => rest.push(x));
      resolve({ head: buf.subarray(0, end).toString(), socket, rest });
    };
    socket.on('data', onData);
    socket.on('error', reject);
  });
}

const closed = (s: net.Socket) => new Promise<void>((r) => { if (s.readableEnded || s.destroyed) r(); else s.once('close', () => r()); });

test('attach upgrades with 101 UPGRADED and streams 8-byte framed stdout/stderr until exit', async () => {
  const id = await create({ Cmd: ['sh', '-c', 'echo out; echo err >&2; echo more'], AttachStdout: true, AttachStderr: true });
  const a = await upgrade(`/containers/${id}/attach?stream=1&stdout=1&stderr=1`);
  assert.match(a.head, /^HTTP\/1\.1 101 UPGRADED\r\n/);
  assert.match(a.head, /\r\nContent-Type: application\/vnd\.docker\.multiplexed-stream\r\n/i);
  assert.match(a.head, /\r\nConnection: Upgrade\r\n/i);
  assert.match(a.head, /\r\nUpgrade: tcp(\r\n|$)/i);
  a.socket.end(); // the CLI half-closes when it has no stdin; output must still arrive
  assert.equal((await api('POST', `/containers/${id}/start`)).status, 204);
  await closed(a.socket);
  const data = Buffer.concat(a.rest);
  const frames = new FrameDecoder().push(data);
  assert.ok(frames.every((f) => f.stream === 1 || f.stream === 2));
  assert.deepEqual(demux(data), { stdout: 'out\nmore\n', stderr: 'err\n' });
  assert.equal((await api('POST', `/containers/${id}/start`)).status, 204, 'an exited container starts again');
  await new Promise((r) => setTimeout(r, 300));
  const logs = await api('POST', `/containers/${id}/attach?logs=1&stdout=1&stderr=1`);
  assert.equal(logs.status, 200, 'without Upgrade, attach is a plain 200 stream');
  assert.equal(logs.headers['content-type'], 'application/vnd.docker.multiplexed-stream');
  assert.deepEqual(demux(logs.body), { stdout: 'out\nmore\nout\nmore\n', stderr: 'err\nerr\n' });
  assert.equal((await api('DELETE', `/containers/${id}`)).status, 204);
  assert.equal((await api('POST', `/containers/${id}/start`)).status, 404);
});

test('a TTY container streams raw bytes', async () => {
  const id = await create({ Cmd: ['echo', 'hi'], Tty: true });
  const a = await upgrade(`/containers/${id}/attach?stream=1&stdout=1&stderr=1`);
  assert.match(a.head, /Content-Type: application\/vnd\.docker\.raw-stream/i);
  await api('POST', `/containers/${id}/start`);
  await closed(a.socket);
  assert.equal(Buffer.concat(a.rest).toString(), 'hi\r\n');
  const logs = await api('GET', `/containers/${id}/logs?stdout=1`);
  assert.equal(logs.body.toString(), 'hi\r\n');
  await api('DELETE', `/containers/${id}`);
});

test('wait sends its headers at once and the status at exit; start twice is 304', async () => {
  const id = await create({ Cmd: ['sleep', '1000'] });
  assert.equal((await api('POST', `/containers/${id}/start`)).status, 204);
  assert.equal((await api('POST', `/containers/${id}/start`)).status, 304);
  const body = await new Promise<string>((resolve, reject) => {
    const req = http.request({ socketPath: h.socket, method: 'POST', path: `/v1.51/containers/${id}/wait?condition=next-exit` }, (res) => {
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-type'], 'application/json');
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve(text));
      // Headers arrived while the container still runs: now stop it.
      void api('POST', `/containers/${id}/kill?signal=TERM`).then(() => api('POST', `/containers/${id}/kill`));
    });
    req.on('error', reject);
    req.end();
  });
  assert.deepEqual(JSON.parse(body), { StatusCode: 137 });
  assert.equal((await api('POST', `/containers/${id}/stop`)).status, 304);
  assert.equal((await api('POST', `/containers/${id}/wait?condition=bogus`)).status, 400);
  await api('DELETE', `/containers/${id}`);
});

test('exec: stdin after the JSON body, half-close ends it, exit code recorded before the stream closes', async () => {
  const id = await create({ Cmd: ['sleep', '1000'] });
  await api('POST', `/containers/${id}/start`);
  const ex = await api('POST', `/containers/${id}/exec`, { Cmd: ['sh', '-c', 'cat; echo done >&2; exit 4'], AttachStdin: true, AttachStdout: true, AttachStderr: true });
  assert.equal(ex.status, 201);
  const execId = JSON.parse(ex.body.toString()).Id;
  const s = await upgrade(`/exec/${execId}/start`, { Detach: false, Tty: false }, 'typed input\n');
  assert.match(s.head, /^HTTP\/1\.1 101 UPGRADED/);
  s.socket.end();
  await closed(s.socket);
  assert.deepEqual(demux(Buffer.concat(s.rest)), { stdout: 'typed input\n', stderr: 'done\n' });
  const info = JSON.parse((await api('GET', `/exec/${execId}/json`)).body.toString());
  assert.equal(info.ExitCode, 4);
  assert.equal(info.Running, false);
  assert.equal((await api('POST', `/exec/${execId}/start`, { Detach: false })).status, 409, 'an exec runs once');
  assert.equal((await api('POST', `/exec/${execId}/resize?h=10&w=10`)).status, 200);

  const det = JSON.parse((await api('POST', `/containers/${id}/exec`, { Cmd: ['touch', '/tmp/detached'] })).body.toString()).Id;
  assert.equal((await api('POST', `/exec/${det}/start`, { Detach: true })).status, 200);
  for (let i = 0; i < 50 && JSON.parse((await api('GET', `/exec/${det}/json`)).body.toString()).Running !== false; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(JSON.parse((await api('GET', `/exec/${det}/json`)).body.toString()).ExitCode, 0);
  assert.equal((await h.docker(['exec', id, 'ls', '/tmp/detached'])).code, 0);
  assert.equal((await api('DELETE', `/containers/${id}?force=1`)).status, 204);
  assert.equal((await api('GET', `/exec/${execId}/json`)).status, 404);
});

test('container list: filters in both label shapes, size, limit', async () => {
  const a = await create({ Cmd: ['true'], Labels: { team: 'a' } });
  const b = await create({ Cmd: ['true'], Labels: { team: 'b' } });
  const list = async (q: string) => JSON.parse((await api('GET', `/containers/json?all=1&${q}`)).body.toString()) as Array<{ Id: string; SizeRw?: number }>;
  const mapShape = encodeURIComponent(JSON.stringify({ label: { 'team=a': true } }));
  const listShape = encodeURIComponent(JSON.stringify({ label: ['team=b'] }));
  assert.deepEqual((await list(`filters=${mapShape}`)).map((c) => c.Id), [a]);
  assert.deepEqual((await list(`filters=${listShape}`)).map((c) => c.Id), [b]);
  assert.equal((await list('limit=1')).length, 1);
  assert.equal(typeof (await list('size=1'))[0].SizeRw, 'number');
  const bad = await api('GET', `/containers/json?filters=${encodeURIComponent('{"nope":["x"]}')}`);
  assert.equal(bad.status, 400);
  for (const id of [a, b]) await api('DELETE', `/containers/${id}`);
});
