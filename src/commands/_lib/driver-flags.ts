import { Flags } from '@oclif/core';
import type { DriverFlag, FlagValues } from '../../drivers/driver';
import { allDriverFlags } from '../../drivers/registry';

/** oclif flags for every driver's `--<driver>-<name>` flags, with their env variables. */
export function driverOclifFlags(): Record<string, any> {
  const out: Record<string, any> = {};
  for (const [driver, flags] of Object.entries(allDriverFlags())) {
    for (const f of flags) out[f.name] = toOclif(f, driver);
  }
  return out;
}

function toOclif(f: DriverFlag, driver: string) {
  const common = { description: f.description, env: f.env, helpGroup: driver.toUpperCase() };
  switch (f.type) {
    case 'boolean':
      return Flags.boolean({ ...common, allowNo: false });
    case 'integer':
      return Flags.string({ ...common });
    case 'string[]':
      return Flags.string({ ...common, multiple: true });
    default:
      return Flags.string({ ...common });
  }
}

/** The values of one driver's flags, with defaults applied (validation is the driver's). */
export function driverFlagValues(flags: DriverFlag[], parsed: Record<string, unknown>): FlagValues {
  const values: FlagValues = {};
  for (const f of flags) {
    const v = parsed[f.name];
    values[f.name] = (v === undefined ? f.default : v) as FlagValues[string];
  }
  return values;
}

/** Names of flags given for another driver than the chosen one (a mistake worth reporting). */
export function foreignDriverFlags(driver: string, parsed: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [name, flags] of Object.entries(allDriverFlags())) {
    if (name === driver) continue;
    for (const f of flags) if (parsed[f.name] !== undefined && parsed[f.name] !== false) out.push(`--${f.name}`);
  }
  return out;
}
