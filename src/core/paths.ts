import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** The store root: --storage-path, else $TSMACHINE_STORAGE_PATH, else ~/.tsmachine. */
export function storeRoot(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(flag || env.TSMACHINE_STORAGE_PATH || join(homedir(), '.tsmachine'));
}

/** The package root (the folder holding package.json), found from this compiled file. */
export function packageRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`package.json not found above ${__dirname}`);
    dir = up;
  }
  return dir;
}

/** The bundled agent uploaded to hosts ($TSMACHINE_AGENT_BUNDLE overrides, for development). */
export function agentBundlePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.TSMACHINE_AGENT_BUNDLE || join(packageRoot(), 'dist', 'agent', 'tsagent.js');
}
