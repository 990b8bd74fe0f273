import { readFileSync } from 'node:fs';
import { capsFromMask, ALL_CAPS } from '../containers/spec';

let cached: string[] | undefined;

/** The capabilities in this process's bounding set (what containers can be given at most). */
export function hostCapabilities(): string[] {
  if (cached) return cached;
  try {
    const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    cached = m ? capsFromMask(m[1]) : [...ALL_CAPS];
  } catch {
    cached = [...ALL_CAPS];
  }
  return cached;
}
