// Bundles tsagent (src/agent/main.ts) into one file, dist/agent/tsagent.js, which the
// provisioner uploads to hosts. The agent runs on Node.js >= 18 and needs nothing else from npm.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';

mkdirSync('dist/agent', { recursive: true });
await build({
  entryPoints: ['src/agent/main.ts'],
  outfile: 'dist/agent/tsagent.js',
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  legalComments: 'none',
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'warning',
});
