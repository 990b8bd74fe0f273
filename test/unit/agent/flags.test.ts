import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAgentFlags, parseMirrorUrl, FlagError } from '../../../src/agent/config/flags';

const TLS = ['--tlsverify', '--tlscacert', '/etc/tsagent/ca.pem', '--tlscert', '/etc/tsagent/server.pem', '--tlskey', '/etc/tsagent/server-key.pem'];

test('parses a dockerd-style command line', () => {
  const c = parseAgentFlags([
    '-H', 'tcp://0.0.0.0:2376', '-H', 'unix:///var/run/tsagent.sock', ...TLS, '--data-root', '/var/lib/tsagent',
    '--exec-root=/run/tsagent', '--label', 'provider=local', '--label', 'zone=a', '--insecure-registry', 'reg:5000',
    '--registry-mirror', 'https://mirror.example', '--cgroup-parent', '/tsagent', '--pidfile', '/run/tsagent.pid',
  ]);
  assert.deepEqual(c.hosts, [
    { proto: 'tcp', address: '0.0.0.0:2376', host: '0.0.0.0', port: 2376 },
    { proto: 'unix', address: '/var/run/tsagent.sock' },
  ]);
  assert.deepEqual(c.tls, { caFile: '/etc/tsagent/ca.pem', certFile: '/etc/tsagent/server.pem', keyFile: '/etc/tsagent/server-key.pem' });
  assert.equal(c.execRoot, '/run/tsagent');
  assert.deepEqual(c.labels, ['provider=local', 'zone=a']);
  assert.deepEqual(c.insecureRegistries, ['reg:5000']);
  assert.deepEqual(c.registryMirrors, ['https://mirror.example']);
});

test('defaults: a unix socket, standard folders', () => {
  const c = parseAgentFlags([]);
  assert.deepEqual(c.hosts, [{ proto: 'unix', address: '/var/run/tsagent.sock' }]);
  assert.equal(c.dataRoot, '/var/lib/tsagent');
  assert.equal(c.cgroupParent, '/tsagent');
  assert.equal(c.tls, undefined);
});

test('refuses TCP without mutual TLS, --tls alone, and incomplete TLS flags', () => {
  assert.throws(() => parseAgentFlags(['-H', 'tcp://0.0.0.0:2376']), /without --tlsverify/);
  assert.throws(() => parseAgentFlags(['-H', 'tcp://0.0.0.0:2376', '--tls', '--tlscert', 'a', '--tlskey', 'b']), /without --tlsverify/);
  assert.throws(() => parseAgentFlags(['-H', 'tcp://0.0.0.0:2376', '--tlsverify', '--tlscert', 'a']), /needs --tlscacert[\s\S]*needs --tlskey/);
});

test('reports every problem at once, unknown flags included', () => {
  try {
    parseAgentFlags(['--bogus', '-H', 'http://x', '--label', 'nokey', '--data-root', 'relative', 'stray']);
    assert.fail('expected FlagError');
  } catch (e) {
    assert.ok(e instanceof FlagError);
    assert.equal(e.problems.length, 5, e.message);
    assert.match(e.message, /unknown flag: --bogus/);
    assert.match(e.message, /unexpected argument: stray/);
  }
  assert.throws(() => parseAgentFlags(['--data-root']), /needs a value/);
  assert.throws(() => parseAgentFlags(['--tlsverify=maybe']), /expected true or false/);
});

test('registry flags: certs.d folder and upload chunk size', () => {
  const d = parseAgentFlags([]);
  assert.equal(d.registryCertsDir, '/etc/tsagent/certs.d');
  assert.equal(d.uploadChunkSize, 0);
  const c = parseAgentFlags(['--registry-certs-dir', '/srv/certs.d', '--registry-upload-chunk=1048576']);
  assert.equal(c.registryCertsDir, '/srv/certs.d');
  assert.equal(c.uploadChunkSize, 1048576);
  assert.throws(() => parseAgentFlags(['--registry-certs-dir', 'rel', '--registry-upload-chunk', '1MB']), (e: FlagError) => e.problems.length === 2);
});

test('--registry-mirror takes http(s)://host[:port] only, and names a bad one', () => {
  assert.deepEqual(parseMirrorUrl('https://mirror.example'), { scheme: 'https', host: 'mirror.example' });
  assert.deepEqual(parseMirrorUrl('http://10.0.0.5:5000/'), { scheme: 'http', host: '10.0.0.5:5000' });
  for (const bad of ['mirror.example', 'ftp://m', 'https://m/v2/', 'https://u:p@m', 'https://m?x=1']) {
    assert.throws(() => parseMirrorUrl(bad), (e: Error) => e.message.includes(bad) && /https:\/\/host/.test(e.message), bad);
  }
  assert.throws(() => parseAgentFlags(['--registry-mirror', 'https://m/path']), (e: Error) => /--registry-mirror "https:\/\/m\/path"/.test(e.message));
  assert.deepEqual(parseAgentFlags(['--registry-mirror', 'https://m:443']).registryMirrors, ['https://m:443']);
});
