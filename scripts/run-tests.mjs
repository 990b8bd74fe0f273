// Runs test suites (unit, integration, e2e; default all) in one invocation of node's built-in
// test runner over the compiled files in dist/test/<suite>. Files run one at a time: the
// integration and e2e suites share host resources (bridge tsm0, iptables, cgroups).
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const known = ['unit', 'integration', 'e2e'];
const suites = process.argv.slice(2).length ? process.argv.slice(2) : known;
for (const s of suites) {
  if (!known.includes(s)) {
    console.error(`usage: node scripts/run-tests.mjs [unit] [integration] [e2e] (unknown suite "${s}")`);
    process.exit(2);
  }
}
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js')) files.push(p);
  }
};
for (const s of suites) {
  const root = join('dist', 'test', s);
  if (existsSync(root)) walk(root);
}
if (files.length === 0) {
  console.error(`no test files for ${suites.join(', ')}: run "npm run build" first`);
  process.exit(1);
}
const args = ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files];
// Tests call ip, iptables and sshd directly: give them the system folders even when the
// caller's PATH lacks sbin (as tsmachine's own entry points do).
const { withSystemDirs } = await import('../dist/src/core/system-path.js');
const env = { ...process.env, PATH: withSystemDirs(process.env.PATH) };
const r = spawnSync(process.execPath, args, { stdio: 'inherit', env });
process.exit(r.status ?? 1);
