// A fast command's exit status can reach ssh2 in the same packet as the server's reply to the
// exec request. ssh2 hands the channel over while it parses that packet and emits 'exit' right
// after, before code that awaited the channel can listen. This server sends all of it in one
// write, every time: the exit status must not be lost (it was, about once in 2000 commands on
// freshly booted local machines, as "the SSH connection ... was lost while a command ran").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server, type Connection } from 'ssh2';
import { SshClient } from '../../../src/provision/ssh-client';
import { generateEd25519Key } from '../../../src/core/ssh-key';

test('a command whose reply, output, exit status and close come in one packet gets its exit status', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsm-exit-race-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const clientKey = generateEd25519Key('client');
  writeFileSync(join(dir, 'id'), clientKey.private, { mode: 0o600 });
  const ssh = new Server({ hostKeys: [generateEd25519Key('host').private] }, (conn: Connection) => {
    conn.on('authentication', (ctx) => ctx.accept());
    conn.on('session', (acceptSession) => {
      acceptSession().on('exec', (accept, _reject, info) => {
        // Everything from here on goes out in one write.
        const sock = sockets.get(conn)!;
        sock.cork();
        const ch = accept();
        ch.write(`ran: ${info.command}\n`);
        ch.exit(Number(/exit (\d+)/.exec(info.command)?.[1] ?? 0));
        ch.end();
        process.nextTick(() => sock.uncork());
      });
    });
  });
  const sockets = new Map<Connection, Socket>();
  const tcp = createServer((sock) => {
    ssh.once('connection', (conn: Connection) => sockets.set(conn, sock));
    ssh.injectSocket(sock);
  });
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  t.after(() => { tcp.close(); ssh.close(); });
  const port = (tcp.address() as { port: number }).port;
  const client = await SshClient.connect({ host: '127.0.0.1', port, user: 'root', privateKeyPath: join(dir, 'id') });
  t.after(() => client.close());
  for (let i = 0; i < 20; i++) {
    const r = await client.exec(`exit ${i % 3}`);
    assert.deepEqual(r, { code: i % 3, stdout: `ran: exit ${i % 3}\n`, stderr: '' });
  }
});
