import { MACHINE_NAME_PATTERN } from './machine';
import type { Problem } from './errors';

/** Problems with a machine name (empty list when it is valid). */
export function machineNameProblems(name: string): Problem[] {
  if (!name) return [{ field: 'name', message: 'a machine name is required', suggestion: 'e.g. "tsmachine create dev"' }];
  if (!MACHINE_NAME_PATTERN.test(name) || name.length > 63) {
    return [
      {
        field: 'name',
        message: `"${name}" is not a valid machine name`,
        suggestion: 'use letters, digits, "." and "-", starting with a letter or digit, at most 63 characters',
      },
    ];
  }
  return [];
}
