import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactSecrets } from '../../../src/core/inspect';

test('redactSecrets hides credential values at any depth and keeps the rest', () => {
  const out = redactSecrets({
    region: 'us-east-1',
    secretKey: 'AKIA-SECRET',
    sessionToken: 'tok',
    nested: { clientSecret: 'cs', accessToken: 'dop_v1_x', name: 'n', list: [{ password: 'p' }] },
    emptySecret: '',
  });
  assert.deepEqual(out, {
    region: 'us-east-1',
    secretKey: '<redacted>',
    sessionToken: '<redacted>',
    nested: { clientSecret: '<redacted>', accessToken: '<redacted>', name: 'n', list: [{ password: '<redacted>' }] },
    emptySecret: '',
  });
});
