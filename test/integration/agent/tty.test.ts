// Interactive terminals with the real docker CLI inside a real pseudo-terminal (tmux):
// docker run -it, resize, Ctrl-C, detach keys, attach, start -ai, exec -it, logs, and a TTY
// container that outlives an agent restart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { AgentHarness } from './harness';
import { TmuxTerminal } from './tty-terminal';

let h: AgentHarness;
const terminals: TmuxTerminal[] = [];

before(async () => {
  h = await AgentHarness.create();
  await h.start();
  const imp = await h.importBusybox('bb');
  assert.equal(imp.code, 0, imp.stderr);
});

after(async () => {
  for (const t of terminals) t.close();
  const left = await h.cleanup();
  assert.deepEqual(left, [], 'nothing may be left behind');
});

function term(args: string[], cols = 100, rows = 30): TmuxTerminal {
  const t = new TmuxTerminal(['docker', ...args], h.dockerEnv, cols, rows);
  terminals.push(t);
  return t;
}

const inspect = async (name: string) => JSON.parse((await h.docker(['inspect', name])).stdout)[0];

async function waitFor(what: string, fn: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('docker run -it: prompt, echo, size, resize, Ctrl-C, detach, attach again, exit code', async () => {
  const t = term(['run', '-it', '--name', 'it1', 'bb', 'sh'], 100, 30);
  await t.waitFor(/\/ # $/m, 'the shell prompt');
  t.line('echo hi-$((6*7)); stty size');
  await t.waitFor(/^hi-42\s*\n30 100\s*$/m, 'echo and the initial size');

  t.resize(80, 24);
  await new Promise((r) => setTimeout(r, 300));
  t.line('stty size');
  await t.waitFor(/^24 80\s*$/m, 'the new size after a resize');

  t.line('sleep 100; echo not-interrupted');
  await new Promise((r) => setTimeout(r, 500));
  t.keys('C-c');
  t.line('echo after-$((1+1))');
  await t.waitFor(/^after-2\s*$/m, 'a prompt after Ctrl-C interrupted sleep', 5000);
  assert.doesNotMatch(t.screen(), /^not-interrupted/m);

  t.keys('C-p', 'C-q');
  assert.equal(await t.exitCode(), 0, 'detaching ends docker run with 0');
  const s = await inspect('it1');
  assert.equal(s.State.Running, true, 'the container keeps running after a detach');

  const a = term(['attach', 'it1'], 90, 20);
  await typeUntil(a, 'tty; stty size', /^\/dev\/pts\/\d+\s*\n20 90\s*$/m, 'a working shell and the attaching terminal\'s size');
  a.line('exit 3');
  assert.equal(await a.exitCode(), 3);
  await waitFor('it1 to exit', async () => (await inspect('it1')).State.Running === false);
  assert.equal((await inspect('it1')).State.ExitCode, 3);

  const logs = await h.docker(['logs', 'it1']);
  assert.equal(logs.code, 0);
  assert.match(logs.stdout, /hi-42\r\n30 100\r\n/, 'docker logs of a TTY container shows its output with the pty\'s CRLF');
  assert.match(logs.stdout, /24 80\r\n/);
});

test('--detach-keys on run and attach; a bad sequence is a clear error', async () => {
  const t = term(['run', '-it', '--detach-keys', 'ctrl-x,x', '--name', 'it2', 'bb', 'sh']);
  await t.waitFor(/\/ # $/m, 'the shell prompt');
  t.keys('C-p', 'C-q');
  t.line('echo still-here');
  await t.waitFor(/^still-here\s*$/m, 'ctrl-p ctrl-q passed to the shell when other keys are set');
  t.keys('C-x', 'x');
  assert.equal(await t.exitCode(), 0);
  assert.equal((await inspect('it2')).State.Running, true);

  // The CLI shows only the status of a refused upgrade (as with dockerd); the message is in the body.
  const bad = term(['attach', '--detach-keys', 'ctrl-1', 'it2']);
  assert.notEqual(await bad.exitCode(), 0);
  assert.match(bad.screen(), /received 400/);
  const raw = await rawRequest(`POST /v1.51/containers/it2/attach?stream=1&stdin=1&stdout=1&detachKeys=ctrl-1 HTTP/1.1\r\nHost: agent\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
  assert.match(raw, /^HTTP\/1.1 400 /);
  assert.match(raw, /Invalid detach keys \(ctrl-1\) provided.*ctrl-p,ctrl-q/);
  assert.equal((await inspect('it2')).State.Running, true);
  assert.equal((await h.docker(['rm', '-f', 'it2'])).code, 0);
});

/** Sends a raw request over the agent's unix socket; the whole answer (the agent closes after it). */
function rawRequest(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(h.socket, () => s.write(text));
    let out = '';
    s.on('data', (d: Buffer) => (out += d.toString()));
    s.on('close', () => resolve(out));
    s.on('error', reject);
    setTimeout(() => { s.destroy(); resolve(out); }, 5000).unref();
  });
}

/** Types `cmd` until the screen matches `re` (the CLI's resize requests may still be on their way). */
async function typeUntil(t: TmuxTerminal, cmd: string, re: RegExp, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  for (;;) {
    t.line(cmd);
    try {
      await t.waitFor(re, what, 1000);
      return;
    } catch (e) {
      if (Date.now() > end) throw e;
    }
  }
}

/** POST /containers/{id}/attach over the agent's unix socket, as an API client (not the CLI) does it. */
function rawAttach(id: string, query: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(h.socket, () => {
      s.write(`POST /v1.51/containers/${id}/attach?${query} HTTP/1.1\r\nHost: agent\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n`);
    });
    let head = '';
    const onData = (d: Buffer) => {
      head += d.toString('latin1');
      if (head.includes('\r\n\r\n')) { s.off('data', onData); assert.match(head, /^HTTP\/1.1 101/); resolve(s); }
    };
    s.on('data', onData);
    s.on('error', reject);
  });
}

test('the agent itself detaches an API client on the detach keys (the CLI does it on its side)', async () => {
  const run = await h.docker(['run', '-dit', '--name', 'it3', 'bb', 'sh']);
  assert.equal(run.code, 0, run.stderr);
  const s = await rawAttach('it3', 'stream=1&stdin=1&stdout=1&stderr=1&detachKeys=ctrl-a,d');
  let out = '';
  s.on('data', (d: Buffer) => (out += d.toString()));
  const closed = new Promise<void>((r) => s.on('close', () => r()));
  s.write('echo raw-$((2*21))\r');
  await waitFor('the echo through the raw attach', () => /raw-42/.test(out));
  s.write('\x01d');
  await Promise.race([closed, new Promise((_, rej) => setTimeout(() => rej(new Error('the agent did not end the attach on ctrl-a,d')), 5000))]);
  assert.equal((await inspect('it3')).State.Running, true, 'detaching leaves the container running');
  assert.equal((await h.docker(['rm', '-f', 'it3'])).code, 0);
});

test('docker exec -it has a real pty that follows resizes; exec -t and exec without -t', async () => {
  const run = await h.docker(['run', '-d', '--name', 'ex1', 'bb', 'sleep', '1000']);
  assert.equal(run.code, 0, run.stderr);
  const t = term(['exec', '-it', 'ex1', 'sh'], 100, 30);
  await t.waitFor(/\/ # $/m, 'the exec shell prompt');
  t.line('tty; stty size');
  await t.waitFor(/^\/dev\/pts\/\d+\s*\n30 100\s*$/m, 'a pty of the terminal\'s size');
  t.resize(70, 20);
  await new Promise((r) => setTimeout(r, 300));
  t.line('stty size; exit 4');
  await t.waitFor(/^20 70\s*$/m, 'the resized exec pty');
  assert.equal(await t.exitCode(), 4);

  const nt = await h.docker(['exec', '-t', 'ex1', 'sh', '-c', 'tty; exit 9']);
  assert.equal(nt.code, 9);
  assert.match(nt.stdout, /^\/dev\/pts\/\d+\r\n$/);
  const plain = await h.docker(['exec', 'ex1', 'tty']);
  assert.equal(plain.code, 1);
  assert.equal(plain.stdout, 'not a tty\n');

  const missing = term(['exec', '-it', 'ex1', 'no-such-command']);
  assert.equal(await missing.exitCode(), 126);
  assert.match(missing.screen(), /no-such-command.*not found|executable file not found/s);

  const d = term(['exec', '-it', 'ex1', 'sh']);
  await d.waitFor(/\/ # $/m, 'the exec shell prompt');
  d.line('sleep 1; echo done > /tmp/marker');
  d.keys('C-p', 'C-q');
  await d.waitFor(/EXIT=\d+/, 'docker exec to detach');
  await waitFor('the detached exec to finish its work', async () => (await h.docker(['exec', 'ex1', 'cat', '/tmp/marker'])).stdout === 'done\n');
  assert.equal((await h.docker(['rm', '-f', 'ex1'])).code, 0);
});

test('docker start -ai of a created TTY container; docker run -i without -t', async () => {
  const c = await h.docker(['create', '-it', '--name', 'sa1', 'bb', 'sh']);
  assert.equal(c.code, 0, c.stderr);
  const t = term(['start', '-ai', 'sa1']);
  await t.waitFor(/\/ # $/m, 'the shell prompt');
  t.line('echo started-$((3+3)); exit 6');
  await t.waitFor(/^started-6\s*$/m, 'the echo');
  assert.equal(await t.exitCode(), 6);

  const piped = await h.docker(['run', '-i', '--rm', 'bb', 'sh', '-c', 'cat; echo end'], { input: 'line one\nline two\n' });
  assert.equal(piped.code, 0, piped.stderr);
  assert.equal(piped.stdout, 'line one\nline two\nend\n');
});

test('a TTY container survives an agent restart; attach and resize work after it', async () => {
  const run = await h.docker(['run', '-dit', '--name', 'rs1', 'bb', 'sh']);
  assert.equal(run.code, 0, run.stderr);
  const before = await h.docker(['logs', 'rs1']);
  assert.equal(await h.stop('SIGKILL'), null);
  await h.start();
  assert.equal((await inspect('rs1')).State.Running, true);
  const t = term(['attach', 'rs1'], 60, 15);
  await typeUntil(t, 'echo back-$((5*5)); stty size', /^back-25\s*\n15 60\s*$/m, 'the shell answering after the restart');
  t.line('exit 5');
  assert.equal(await t.exitCode(), 5);
  await waitFor('rs1 to exit', async () => (await inspect('rs1')).State.Running === false);
  assert.equal((await inspect('rs1')).State.ExitCode, 5);
  const logs = await h.docker(['logs', 'rs1']);
  assert.ok(logs.stdout.startsWith(before.stdout), 'the log from before the restart is kept');
  assert.match(logs.stdout, /back-25\r\n/);
});
