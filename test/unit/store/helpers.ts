import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { MACHINE_RECORD_VERSION, emptyEngineOptions, type MachineRecord } from '../../../src/core/machine';

/** A fresh temp folder removed after the test, even when it fails. */
export function tempDir(t: TestContext, prefix = 'tsm-store-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function sampleRecord(name: string): MachineRecord {
  return {
    version: MACHINE_RECORD_VERSION,
    name,
    createdAt: '2026-01-01T00:00:00.000Z',
    driver: { name: 'generic', config: { ip: '10.0.0.2', sshKeyPath: `machines/${name}/id_ed25519` } },
    engine: { kind: 'tsagent', port: 2376, options: emptyEngineOptions() },
    tls: { extraSans: [], issuedSans: ['10.0.0.2', 'localhost', '127.0.0.1'] },
  };
}
