import type { DriverDefinition, DriverFlag } from './driver';
import { TsmError } from '../core/errors';

/**
 * Every driver tsmachine knows, loaded lazily: a command that does not use a driver never pays
 * for loading its SDK. `summaries` is cheap (no import).
 */
const loaders: Record<string, () => DriverDefinition<any>> = {
  local: () => require('./local').definition,
  generic: () => require('./generic').definition,
  amazonec2: () => require('./amazonec2').definition,
  azure: () => require('./azure').definition,
  google: () => require('./google').definition,
  digitalocean: () => require('./digitalocean').definition,
  virtualbox: () => require('./virtualbox').definition,
};

/** Each driver's flag list, from its small flags.ts (no SDK is loaded). */
const flagLoaders: Record<string, () => DriverFlag[]> = {
  local: () => require('./local/flags').localFlags,
  generic: () => require('./generic/flags').genericFlags,
  amazonec2: () => require('./amazonec2/flags').amazonec2Flags,
  azure: () => require('./azure/flags').azureFlags,
  google: () => require('./google/flags').googleFlags,
  digitalocean: () => require('./digitalocean/flags').digitaloceanFlags,
  virtualbox: () => require('./virtualbox/flags').virtualboxFlags,
};

export const DEFAULT_DRIVER = 'local';

/** The flags of every driver, keyed by driver name. */
export function allDriverFlags(): Record<string, DriverFlag[]> {
  return Object.fromEntries(Object.entries(flagLoaders).map(([name, load]) => [name, load()]));
}

export function driverNames(): string[] {
  return Object.keys(loaders).sort();
}

/** Loads one driver's definition; UNKNOWN_DRIVER names the valid drivers. */
export function loadDriver(name: string): DriverDefinition<any> {
  const load = loaders[name];
  if (!load) {
    throw new TsmError('UNKNOWN_DRIVER', `driver "${name}" does not exist`, {
      suggestion: `use one of: ${driverNames().join(', ')} (e.g. "tsmachine create -d local dev")`,
    });
  }
  return load();
}
