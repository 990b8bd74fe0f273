// Runs one test suite (unit | integration | e2e) with node's built-in test runner
// over the compiled files in dist/test/<suite>. Suites run files one at a time because the
// integration and e2e suites share host resources (bridge tsm0, iptables, cgroups).
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const suite = process.argv[2];
if (!['unit', 'integration', 'e2e'].includes(suite)) {
  console.error(`usage: node scripts/run-tests.mjs unit|integration|e2e (got ${suite ?? 'nothing'})`);
  process.exit(2);
}
const root = join('dist', 'test', suite);
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js')) files.push(p);
  }
};
if (existsSync(root)) walk(root);
if (files.length === 0) {
  console.error(`no test files under ${root}: run "npm run build" first`);
  process.exit(1);
}
const concurrency = suite === 'unit' ? '2' : '1';
const r = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
