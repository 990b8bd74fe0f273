import { TsmError } from './errors';
import { MACHINE_RECORD_VERSION, type MachineRecord } from './machine';

/**
 * Parses the text of a machine.json. STORE_CORRUPT (naming the file and the bad field) when it is
 * not a record; STORE_VERSION when it was written by a newer tsmachine.
 */
export function parseMachineRecord(text: string, file: string, name = '<name>'): MachineRecord {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw corrupt(file, name, `it is not valid JSON (${(e as Error).message})`, e);
  }
  if (!isObject(data)) throw corrupt(file, name, 'it does not hold a JSON object');
  const version = data.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw corrupt(file, name, 'field "version" is missing or not a positive integer');
  }
  if (version > MACHINE_RECORD_VERSION) {
    throw new TsmError(
      'STORE_VERSION',
      `${file} has version ${version}, newer than this tsmachine understands (${MACHINE_RECORD_VERSION})`,
      { suggestion: 'upgrade tsmachine to manage this machine' },
    );
  }
  const bad = firstBadField(data);
  if (bad) throw corrupt(file, name, `field "${bad}" is missing or has the wrong type`);
  return data as unknown as MachineRecord;
}

/** Serializes a record the way the store writes it (stable, readable). */
export function formatMachineRecord(record: MachineRecord): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}

function firstBadField(d: Record<string, unknown>): string | undefined {
  if (typeof d.name !== 'string') return 'name';
  if (typeof d.createdAt !== 'string') return 'createdAt';
  if (!isObject(d.driver) || typeof d.driver.name !== 'string') return 'driver.name';
  if (!isObject(d.driver.config)) return 'driver.config';
  if (!isObject(d.engine) || typeof d.engine.kind !== 'string') return 'engine.kind';
  if (typeof d.engine.port !== 'number') return 'engine.port';
  if (!isObject(d.tls) || !Array.isArray(d.tls.extraSans)) return 'tls.extraSans';
  if (!Array.isArray(d.tls.issuedSans)) return 'tls.issuedSans';
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function corrupt(file: string, name: string, why: string, cause?: unknown): TsmError {
  return new TsmError('STORE_CORRUPT', `machine record ${file} is corrupt: ${why}`, {
    suggestion: `fix ${file} by hand, or remove the machine with "tsmachine rm -f ${name}"`,
    cause,
  });
}
