import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import { buildQuery, parseQuery, buildResponse, parseResponse, encodeName, DnsFormatError, TYPE_A, TYPE_AAAA, RCODE_OK, RCODE_SERVFAIL } from '../../../src/agent/network/dns-codec';
import { DnsServer, hostResolvers, shuffled } from '../../../src/agent/network/dns-server';
import { createLogger } from '../../../src/agent/util/log';

test('a query round-trips through the codec', () => {
  const q = parseQuery(buildQuery(0x1234, 'Web.Example.'));
  assert.equal(q.id, 0x1234);
  assert.equal(q.name, 'web.example');
  assert.equal(q.type, TYPE_A);
  assert.equal(q.cls, 1);
  const r = parseResponse(buildResponse(q, RCODE_OK, ['10.0.0.2', '10.0.0.3']));
  assert.deepEqual(r, { id: 0x1234, rcode: RCODE_OK, addresses: ['10.0.0.2', '10.0.0.3'] });
  const resp = buildResponse(q, RCODE_OK, ['10.0.0.2']);
  assert.equal(resp.readUInt16BE(2) & 0x8000, 0x8000, 'QR set');
  assert.equal(resp.readUInt16BE(2) & 0x0100, 0x0100, 'RD echoed');
});

test('AAAA queries of known names get no records; errors carry the rcode', () => {
  const q = parseQuery(buildQuery(7, 'web', TYPE_AAAA));
  assert.deepEqual(parseResponse(buildResponse(q, RCODE_OK, ['10.0.0.2'])).addresses, []);
  assert.equal(parseResponse(buildResponse(q, RCODE_SERVFAIL)).rcode, RCODE_SERVFAIL);
});

test('compressed names and malformed messages', () => {
  // Header + question "a.b" where the second question... use a pointer: name at 12 is "\x01x" + pointer to offset 12? loop.
  const loop = Buffer.concat([Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), Buffer.from([0xc0, 12, 0, 1, 0, 1])]);
  assert.throws(() => parseQuery(loop), DnsFormatError);
  assert.throws(() => parseQuery(Buffer.alloc(5)), DnsFormatError);
  const twoQuestions = buildQuery(1, 'x');
  twoQuestions.writeUInt16BE(2, 4);
  assert.throws(() => parseQuery(twoQuestions), /exactly one question/);
  const answerNotQuery = buildQuery(1, 'x');
  answerNotQuery.writeUInt16BE(0x8000, 2);
  assert.throws(() => parseQuery(answerNotQuery), /not a query/);
  assert.throws(() => encodeName(`${'a'.repeat(64)}.com`), /label too long/);
  const q = parseQuery(buildQuery(3, 'svc'));
  // A response whose answer name is a pointer (as real servers send) parses.
  assert.deepEqual(parseResponse(buildResponse(q, 0, ['1.2.3.4'])).addresses, ['1.2.3.4']);
});

test('host resolvers and search domains are read from resolv.conf text', () => {
  assert.deepEqual(hostResolvers('search corp.example lab\nnameserver 10.0.0.53\nnameserver ::1\noptions ndots:2\n'), { servers: ['10.0.0.53'], search: ['corp.example', 'lab'] });
});

async function ask(port: number, name: string): Promise<ReturnType<typeof parseResponse>> {
  const s = dgram.createSocket('udp4');
  try {
    return await new Promise((resolve, reject) => {
      s.once('message', (m) => resolve(parseResponse(m)));
      s.once('error', reject);
      s.send(buildQuery(9, name), port, '127.0.0.1');
    });
  } finally {
    s.close();
  }
}

test('the server answers local names (also with a search domain) and relays the rest', async () => {
  // A fake upstream on loopback answering everything with 9.9.9.9.
  const upstream = dgram.createSocket('udp4');
  await new Promise<void>((r) => upstream.bind(0, '127.0.0.1', r));
  const upPort = (upstream.address()).port;
  upstream.on('message', (m, ri) => upstream.send(buildResponse(parseQuery(m), RCODE_OK, ['9.9.9.9']), ri.port, ri.address));
  const names: Record<string, string[]> = { web: ['10.0.0.2'] };
  const srv = new DnsServer('127.0.0.1', (n) => names[n], () => true, createLogger(false), { servers: [], search: ['corp.example'] }, 0);
  await srv.start();
  const port = (srv as unknown as { udp: dgram.Socket }).udp.address().port;
  try {
    assert.deepEqual((await ask(port, 'web')).addresses, ['10.0.0.2']);
    assert.deepEqual((await ask(port, 'WEB.corp.example')).addresses, ['10.0.0.2']);
    assert.equal((await ask(port, 'other')).rcode, RCODE_SERVFAIL, 'no upstream: SERVFAIL');
  } finally {
    srv.stop();
  }
  const relay = new DnsServer('127.0.0.1', () => undefined, () => true, createLogger(false), { servers: ['127.0.0.1'], search: [], port: upPort }, 0);
  const out = await relay.answer(buildQuery(4, 'example.org'), '127.0.0.1');
  assert.deepEqual(parseResponse(out!), { id: 4, rcode: RCODE_OK, addresses: ['9.9.9.9'] }, 'relayed to the upstream, ID kept');
  upstream.close();
  const dead = new DnsServer('127.0.0.1', () => undefined, () => true, createLogger(false), { servers: ['127.0.0.1'], search: [], port: upPort }, 0);
  const t0 = Date.now();
  assert.equal(parseResponse((await dead.answer(buildQuery(5, 'example.org'), '127.0.0.1'))!).rcode, RCODE_SERVFAIL, 'upstream gone: SERVFAIL');
  assert.ok(Date.now() - t0 < 2500);
  assert.equal(await dead.answer(Buffer.from('junk'), '127.0.0.1'), undefined, 'garbage gets no answer');
});

test('a silent resolver does not hold up the answer of another one', async () => {
  const answering = dgram.createSocket('udp4');
  await new Promise<void>((r) => answering.bind(0, '127.0.0.1', r));
  const port = answering.address().port;
  answering.on('message', (m, ri) => answering.send(buildResponse(parseQuery(m), RCODE_OK, ['9.9.9.9']), ri.port, ri.address));
  const silent = dgram.createSocket('udp4');
  await new Promise<void>((r) => silent.bind(port, '127.0.0.2', r));
  try {
    // The dead one first: asked in turn, it would cost its whole 2 s timeout.
    const relay = new DnsServer('127.0.0.1', () => undefined, () => true, createLogger(false), { servers: ['127.0.0.2', '127.0.0.1'], search: [], port }, 0);
    const t0 = Date.now();
    const out = await relay.answer(buildQuery(6, 'example.org'), '127.0.0.1');
    assert.deepEqual(parseResponse(out!), { id: 6, rcode: RCODE_OK, addresses: ['9.9.9.9'] });
    assert.ok(Date.now() - t0 < 1500, `answered in ${Date.now() - t0} ms, not after the silent resolver's timeout`);
  } finally {
    answering.close();
    silent.close();
  }
});

test('answers for a name shared by several containers come in varying order (replicas share the load)', () => {
  const ips = ['172.18.0.2', '172.18.0.3', '172.18.0.4'];
  const firsts = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const s = shuffled(ips);
    assert.deepEqual([...s].sort(), ips, 'same addresses, none lost or repeated');
    firsts.add(s[0]);
  }
  assert.equal(firsts.size, 3, 'each address comes first sometimes');
  assert.deepEqual(ips, ['172.18.0.2', '172.18.0.3', '172.18.0.4'], 'the input is not changed');
});
