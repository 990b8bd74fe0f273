import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseReference, normalizeReference, familiarString, withDefaultTag, ReferenceError } from '../../../src/agent/images/reference';

test('normalises Docker Hub names as dockerd does', () => {
  assert.equal(normalizeReference('bb'), 'docker.io/library/bb:latest');
  assert.equal(normalizeReference('bb:1.2'), 'docker.io/library/bb:1.2');
  assert.equal(normalizeReference('user/app'), 'docker.io/user/app:latest');
  assert.equal(normalizeReference('docker.io/bb'), 'docker.io/library/bb:latest');
  assert.equal(normalizeReference('index.docker.io/library/bb:x'), 'docker.io/library/bb:x');
  assert.equal(normalizeReference('library/bb'), 'docker.io/library/bb:latest');
});

test('keeps registries with a dot, a port or localhost', () => {
  assert.equal(normalizeReference('localhost:5000/team/app:v1'), 'localhost:5000/team/app:v1');
  assert.equal(normalizeReference('localhost/app'), 'localhost/app:latest');
  assert.equal(normalizeReference('registry.example.com/app'), 'registry.example.com/app:latest');
  assert.equal(normalizeReference('127.0.0.1:5000/app'), '127.0.0.1:5000/app:latest');
});

test('digests, and tags with digests', () => {
  const d = `sha256:${'a'.repeat(64)}`;
  const r = parseReference(`bb@${d}`);
  assert.equal(r.digest, d);
  assert.equal(r.tag, undefined);
  assert.equal(withDefaultTag(r).tag, undefined, 'a digest reference gets no default tag');
  assert.equal(normalizeReference(`bb:1@${d}`), `docker.io/library/bb:1@${d}`);
});

test('familiar form strips docker.io/library', () => {
  assert.equal(familiarString(parseReference('docker.io/library/bb:latest')), 'bb:latest');
  assert.equal(familiarString(parseReference('docker.io/user/app:2')), 'user/app:2');
  assert.equal(familiarString(parseReference('localhost:5000/app:2')), 'localhost:5000/app:2');
});

test('refuses invalid references', () => {
  for (const bad of ['', 'UPPER', 'a b', 'bb:', 'bb:-x', 'bb@sha256:zz', '-bb', 'bb//x', 'bb:' + 'x'.repeat(129)]) {
    assert.throws(() => parseReference(bad), ReferenceError, bad);
  }
  assert.throws(() => parseReference('Docker.io/x/UPPER'), /must be lowercase/);
});
