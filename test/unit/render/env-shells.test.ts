// Runs `env` output through real shells (bash, dash, busybox sh, fish, tcsh) the way the
// usage hint tells users to, and checks every variable arrives byte for byte and nothing
// in a value gets executed. Shells that are not installed are skipped, saying so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderEnv } from '../../../src/core/render/env-render';
import { SHELL_SYNTAX } from '../../../src/core/render/shell-syntax';

const TRICKY: Array<[string, string]> = [
  ['V_PLAIN', 'tcp://10.0.0.2:2376'],
  ['V_SPACES', '/path with spaces/and-dash'],
  ['V_DOLLAR', 'dollar $HOME and ${PATH} and $'],
  ['V_SUBST', 'backtick `touch PWNED1` and $(touch PWNED2)'],
  ['V_QUOTES', `quotes "double" and 'single'`],
  ['V_BACKSLASH', 'back\\slash \\" \\$ \\! \\` end\\'],
  ['V_OPERATORS', 'semi;amp&pipe|lt<gt>(paren)'],
  ['V_BANG', 'bang!history !! !$'],
  ['V_UNICODE', 'unicode é 😀'],
  ['V_HASH', 'a # not a comment'],
  ['V_GLOB_BRACES', '*.local,{a,b},~user,[x]?'],
];

function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function parseEnv0(out: Buffer): Map<string, string> {
  const m = new Map<string, string>();
  for (const entry of out.toString('utf8').split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) m.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return m;
}

interface ShellRun {
  shell: string;
  /** argv that runs `script` in this shell. */
  argv: (script: string) => string[];
  /** The command the usage hint prints, turned into a script that then dumps the environment. */
  script: (applyLine: string) => string;
}

const RUNS: ShellRun[] = [
  { shell: 'bash', argv: (s) => ['bash', '--norc', '--noprofile', '-c', s], script: (a) => `${a}; env -0` },
  { shell: 'dash', argv: (s) => ['dash', '-c', s], script: (a) => `${a}; env -0` },
  { shell: 'sh', argv: (s) => ['busybox', 'sh', '-c', s], script: (a) => `${a}; env -0` },
  { shell: 'fish', argv: (s) => ['fish', '--no-config', '-c', s], script: (a) => `${a}; env -0` },
  { shell: 'tcsh', argv: (s) => ['tcsh', '-f', '-c', s], script: (a) => `${a}; env -0` },
];

const BINARY: Record<string, string> = { bash: 'bash', dash: 'dash', sh: 'busybox', fish: 'fish', tcsh: 'tcsh' };

for (const run of RUNS) {
  test(`${run.shell}: the usage hint's command sets every value exactly and runs nothing from them`, (t) => {
    if (!which(BINARY[run.shell])) {
      t.skip(`${BINARY[run.shell]} is not installed`);
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'tsm-env-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'out.txt');
    // The hint's command line is `cat FILE`, so the hint itself is what we run.
    const text = renderEnv({ shell: run.shell, vars: TRICKY, commandLine: ['cat', file] });
    writeFileSync(file, text);
    const apply = SHELL_SYNTAX[run.shell].apply(`cat ${file}`);
    const argv = run.argv(run.script(apply));
    const r = spawnSync(argv[0], argv.slice(1), {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: dir },
      timeout: 20_000,
    });
    assert.equal(r.status, 0, `${run.shell} failed: ${r.stderr?.toString()}\n--- output was:\n${text}`);
    const env = parseEnv0(r.stdout);
    for (const [name, value] of TRICKY) assert.equal(env.get(name), value, `${run.shell}: ${name}\n--- output was:\n${text}`);
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('PWNED')), [], 'a value was executed');
  });
}

test('bash: eval "$(...)" (quoted) also keeps runs of spaces and glob characters exactly', (t) => {
  if (!which('bash')) {
    t.skip('bash is not installed');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'tsm-env-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'out.txt');
  const vars: Array<[string, string]> = [...TRICKY, ['V_DOUBLE_SPACE', 'a  b   c'], ['V_GLOB', '* ? [a]']];
  writeFileSync(file, renderEnv({ shell: 'bash', vars, commandLine: 'x' }));
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', `eval "$(cat ${file})"; env -0`], { cwd: dir, env: { PATH: process.env.PATH }, timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr?.toString());
  const env = parseEnv0(r.stdout);
  for (const [name, value] of vars) assert.equal(env.get(name), value, name);
  assert.ok(!existsSync(join(dir, 'PWNED1')) && !existsSync(join(dir, 'PWNED2')));
});

test('unset output really unsets, in every installed shell', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsm-env-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const run of RUNS) {
    if (!which(BINARY[run.shell])) continue;
    const file = join(dir, `unset-${run.shell}.txt`);
    writeFileSync(file, renderEnv({ shell: run.shell, vars: [['V_ONE', ''], ['V_TWO', '']], unset: true, commandLine: ['cat', file] }));
    const argv = run.argv(run.script(SHELL_SYNTAX[run.shell].apply(`cat ${file}`)));
    const r = spawnSync(argv[0], argv.slice(1), {
      cwd: dir,
      env: { PATH: process.env.PATH, V_ONE: '1', V_TWO: '2', V_KEEP: 'k' },
      timeout: 20_000,
    });
    assert.equal(r.status, 0, `${run.shell}: ${r.stderr?.toString()}`);
    const env = parseEnv0(r.stdout);
    assert.equal(env.has('V_ONE'), false, run.shell);
    assert.equal(env.has('V_TWO'), false, run.shell);
    assert.equal(env.get('V_KEEP'), 'k', run.shell);
  }
});
