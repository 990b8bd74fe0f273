/**
 * Preloaded with `node --require` by tests: records which cloud SDK packages a process loads and
 * prints them as JSON on stderr at exit (`SDKS-LOADED: [...]`).
 */
import Module from 'node:module';

const seen = new Set<string>();
const mod = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
const original = mod._load;
mod._load = function (request: string, ...rest: unknown[]) {
  const m = /^(@aws-sdk\/[^/]+|@azure\/[^/]+|@google-cloud\/[^/]+|digitalocean-js)/.exec(request);
  if (m) seen.add(m[1]);
  return original.call(this, request, ...rest);
};
process.on('exit', () => process.stderr.write(`\nSDKS-LOADED: ${JSON.stringify([...seen].sort())}\n`));
