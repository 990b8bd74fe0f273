import type { Engine } from '../engine';
import type { AuthConfig } from '../registry/auth-config';
import { RegistryClient } from '../registry/registry-client';
import { resolveEndpoint } from '../registry/registry-endpoint';

/** A client for the registry of `domain` with the agent's TLS and insecure-registry settings. */
export function openRegistry(engine: Engine, domain: string, auth: AuthConfig): RegistryClient {
  return new RegistryClient(resolveEndpoint(domain, { insecure: engine.config.insecureRegistries, certsDir: engine.config.registryCertsDir }), auth);
}

/** Runs `fn` over `items` with at most `limit` at a time; resolves with every result in order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export const shortDigest = (d: string) => d.replace(/^sha256:/, '').slice(0, 12);
