import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTsmError } from '../../../src/core/errors';
import {
  detectShell,
  dockerEnvNames,
  dockerEnvVars,
  dockerHostUrl,
  findNoProxy,
  noProxyValue,
  renderEnv,
  SUPPORTED_SHELLS,
  usageHint,
} from '../../../src/core/render/env-render';

const vars = dockerEnvVars({ host: '1.2.3.4', port: 2376, certPath: '/home/u/.tsmachine/machines/dev', machineName: 'dev' });
const set = (shell: string, commandLine: string | string[] = 'tsmachine env dev') => renderEnv({ shell, vars, commandLine });
const unset = (shell: string) => renderEnv({ shell, vars: dockerEnvNames().map((n) => [n, ''] as const), unset: true, commandLine: 'tsmachine env -u' });

test('bash/zsh/sh: docker-machine export lines and hint', () => {
  const expected =
    'export DOCKER_TLS_VERIFY="1"\n' +
    'export DOCKER_HOST="tcp://1.2.3.4:2376"\n' +
    'export DOCKER_CERT_PATH="/home/u/.tsmachine/machines/dev"\n' +
    'export DOCKER_MACHINE_NAME="dev"\n' +
    '# Run this command to configure your shell: \n' +
    '# eval $(tsmachine env dev)\n';
  for (const sh of ['bash', 'zsh', 'sh', 'ksh', 'dash']) assert.equal(set(sh), expected, sh);
  assert.equal(
    unset('bash'),
    'unset DOCKER_TLS_VERIFY\nunset DOCKER_HOST\nunset DOCKER_CERT_PATH\nunset DOCKER_MACHINE_NAME\n# Run this command to configure your shell: \n# eval $(tsmachine env -u)\n',
  );
});

test('fish', () => {
  assert.equal(
    set('fish'),
    'set -gx DOCKER_TLS_VERIFY "1";\nset -gx DOCKER_HOST "tcp://1.2.3.4:2376";\nset -gx DOCKER_CERT_PATH "/home/u/.tsmachine/machines/dev";\nset -gx DOCKER_MACHINE_NAME "dev";\n# Run this command to configure your shell: \n# eval (tsmachine env dev)\n',
  );
  assert.match(unset('fish'), /^set -e DOCKER_TLS_VERIFY;\nset -e DOCKER_HOST;\n/);
});

test('powershell (and pwsh)', () => {
  const out = set('powershell', ['C:\\Program Files\\tsmachine\\tsmachine.exe', 'env', 'dev']);
  assert.equal(
    out,
    '$Env:DOCKER_TLS_VERIFY = "1"\n$Env:DOCKER_HOST = "tcp://1.2.3.4:2376"\n$Env:DOCKER_CERT_PATH = "/home/u/.tsmachine/machines/dev"\n$Env:DOCKER_MACHINE_NAME = "dev"\n' +
      '# Run this command to configure your shell: \n# & "C:\\Program Files\\tsmachine\\tsmachine.exe" env dev | Invoke-Expression\n',
  );
  assert.equal(set('pwsh'), set('powershell'));
  assert.match(unset('powershell'), /^Remove-Item Env:\\\\DOCKER_TLS_VERIFY\nRemove-Item Env:\\\\DOCKER_HOST\n/);
});

test('cmd', () => {
  assert.equal(
    set('cmd'),
    'SET DOCKER_TLS_VERIFY=1\nSET DOCKER_HOST=tcp://1.2.3.4:2376\nSET DOCKER_CERT_PATH=/home/u/.tsmachine/machines/dev\nSET DOCKER_MACHINE_NAME=dev\n' +
      'REM Run this command to configure your shell: \nREM \t@FOR /f "tokens=*" %i IN (\'tsmachine env dev\') DO @%i\n',
  );
  assert.match(unset('cmd'), /^SET DOCKER_TLS_VERIFY=\nSET DOCKER_HOST=\n/);
});

test('tcsh/csh: setenv, and ":" as the comment (# is no comment in an interactive csh)', () => {
  assert.equal(
    set('tcsh'),
    'setenv DOCKER_TLS_VERIFY "1";\nsetenv DOCKER_HOST "tcp://1.2.3.4:2376";\nsetenv DOCKER_CERT_PATH "/home/u/.tsmachine/machines/dev";\nsetenv DOCKER_MACHINE_NAME "dev";\n: Run this command to configure your shell: \n: eval "`tsmachine env dev`"\n',
  );
  assert.equal(set('csh'), set('tcsh'));
  assert.match(unset('tcsh'), /^unsetenv DOCKER_TLS_VERIFY;\n/);
});

test('emacs', () => {
  assert.equal(
    set('emacs'),
    '(setenv "DOCKER_TLS_VERIFY" "1")\n(setenv "DOCKER_HOST" "tcp://1.2.3.4:2376")\n(setenv "DOCKER_CERT_PATH" "/home/u/.tsmachine/machines/dev")\n(setenv "DOCKER_MACHINE_NAME" "dev")\n' +
      ';; Run this command to configure your shell: \n;; (with-temp-buffer (shell-command "tsmachine env dev" (current-buffer)) (eval-buffer))\n',
  );
  assert.match(unset('emacs'), /^\(setenv "DOCKER_TLS_VERIFY" nil\)\n/);
});

test('values with special characters are escaped per shell', () => {
  const v = 'a "b" $c `d` \\e !f';
  const one = (shell: string) => renderEnv({ shell, vars: [['X', v]], commandLine: 'c' }).split('\n')[0];
  assert.equal(one('bash'), 'export X="a \\"b\\" \\$c \\`d\\` \\\\e !f"');
  assert.equal(one('fish'), 'set -gx X "a \\"b\\" \\$c `d` \\\\e !f";');
  assert.equal(one('powershell'), '$Env:X = "a `"b`" `$c ``d`` \\e !f"');
  assert.equal(one('tcsh'), 'setenv X "a "\'"\'"b"\'"\'" "\'$\'"c "\'`\'"d"\'`\'" \\e "\\!"f";');
  assert.equal(one('emacs'), '(setenv "X" "a \\"b\\" $c `d` \\\\e !f")');
  assert.equal(renderEnv({ shell: 'cmd', vars: [['X', 'a&b|c']], commandLine: 'c' }).split('\n')[0], 'SET "X=a&b|c"');
  assert.equal(renderEnv({ shell: 'cmd', vars: [['X', 'C:\\a b']], commandLine: 'c' }).split('\n')[0], 'SET X=C:\\a b');
});

test('values no shell line can carry, and values cmd cannot quote, are rejected', () => {
  for (const shell of SUPPORTED_SHELLS) {
    assert.throws(() => renderEnv({ shell, vars: [['X', 'a\nrm -rf ~']], commandLine: 'c' }), (e: unknown) => isTsmError(e, 'INVALID_FLAG') && /X/.test(e.message), shell);
  }
  assert.throws(() => renderEnv({ shell: 'cmd', vars: [['X', 'a"b']], commandLine: 'c' }), (e: unknown) => isTsmError(e, 'INVALID_FLAG') && /double quote/.test(e.message));
  assert.throws(() => renderEnv({ shell: 'bash', vars: [['BAD-NAME', 'x']], commandLine: 'c' }), (e: unknown) => isTsmError(e, 'INVALID_FLAG') && /BAD-NAME/.test(e.message));
});

test('the hint cannot be used to inject a line', () => {
  const out = renderEnv({ shell: 'bash', vars: [], commandLine: 'tsmachine env x\nrm -rf ~' });
  assert.equal(out, '# Run this command to configure your shell: \n# eval $(tsmachine env x rm -rf ~)\n');
});

test('argv command lines: the program is quoted when it has a space or backslash (docker-machine), other args when they have whitespace', () => {
  assert.equal(usageHint('bash', ['/opt/my tools/tsmachine', 'env', 'dev']), '# Run this command to configure your shell: \n# eval $("/opt/my tools/tsmachine" env dev)\n');
  assert.equal(usageHint('bash', ['tsmachine', 'env', '--shell', 'bash', 'dev']), '# Run this command to configure your shell: \n# eval $(tsmachine env --shell bash dev)\n');
});

test('unknown shell: INVALID_FLAG naming --shell and listing the supported ones', () => {
  assert.throws(
    () => set('nushell'),
    (e: unknown) => isTsmError(e, 'INVALID_FLAG') && /--shell/.test(e.message) && /nushell/.test(e.message) && /bash, zsh/.test(e.suggestion ?? '') && e.problems[0].field === '--shell',
  );
  assert.throws(() => set('__proto__'), (e: unknown) => isTsmError(e, 'INVALID_FLAG'));
});

test('noProxy is appended (set) or unset too', () => {
  const out = renderEnv({ shell: 'bash', vars: [['A', '1']], noProxy: { name: 'NO_PROXY', value: 'localhost,1.2.3.4' }, commandLine: 'c' });
  assert.match(out, /^export A="1"\nexport NO_PROXY="localhost,1\.2\.3\.4"\n#/);
  const u = renderEnv({ shell: 'fish', vars: [['A', '']], unset: true, noProxy: { name: 'no_proxy', value: '' }, commandLine: 'c' });
  assert.match(u, /^set -e A;\nset -e no_proxy;\n#/);
});

test('detectShell: basename of $SHELL; Windows defaults like docker-machine', () => {
  assert.equal(detectShell({ SHELL: '/bin/bash' }, 'linux'), 'bash');
  assert.equal(detectShell({ SHELL: '/usr/local/bin/fish' }, 'darwin'), 'fish');
  assert.equal(detectShell({ SHELL: '/usr/bin/zsh', __fish_bin_dir: '/x' }, 'linux'), 'zsh');
  assert.equal(detectShell({ SHELL: 'C:\\Program Files\\Git\\usr\\bin\\bash.exe' }, 'win32'), 'bash');
  assert.equal(detectShell({ __fish_bin_dir: 'C:\\fish' }, 'win32'), 'fish');
  assert.equal(detectShell({ PROMPT: '$P$G' }, 'win32'), 'cmd');
  assert.equal(detectShell({}, 'win32'), 'powershell');
  assert.equal(detectShell({}, 'linux'), 'sh', 'without $SHELL: POSIX sh lines, as docker-machine fell back to');
});

test('dockerEnvVars: docker-machine order, IPv6 brackets, compose path conversion on Windows', () => {
  assert.deepEqual(vars, [
    ['DOCKER_TLS_VERIFY', '1'],
    ['DOCKER_HOST', 'tcp://1.2.3.4:2376'],
    ['DOCKER_CERT_PATH', '/home/u/.tsmachine/machines/dev'],
    ['DOCKER_MACHINE_NAME', 'dev'],
  ]);
  assert.equal(dockerHostUrl('fd00::2', 2376), 'tcp://[fd00::2]:2376');
  assert.equal(dockerHostUrl('[fd00::2]', 2376), 'tcp://[fd00::2]:2376');
  const win = dockerEnvVars({ host: 'h', port: 1, certPath: 'C:\\x', machineName: 'm', platform: 'win32' });
  assert.deepEqual(win[4], ['COMPOSE_CONVERT_WINDOWS_PATHS', 'true']);
  assert.deepEqual(dockerEnvNames('win32'), ['DOCKER_TLS_VERIFY', 'DOCKER_HOST', 'DOCKER_CERT_PATH', 'DOCKER_MACHINE_NAME', 'COMPOSE_CONVERT_WINDOWS_PATHS']);
});

test('findNoProxy prefers a set lowercase no_proxy, like docker-machine', () => {
  assert.deepEqual(findNoProxy({ no_proxy: 'a', NO_PROXY: 'b' }), { name: 'no_proxy', value: 'a' });
  assert.deepEqual(findNoProxy({ no_proxy: '', NO_PROXY: 'b' }), { name: 'NO_PROXY', value: 'b' });
  assert.deepEqual(findNoProxy({}), { name: 'NO_PROXY', value: '' });
});

test('noProxyValue adds the IP once, comparing whole entries', () => {
  assert.equal(noProxyValue(undefined, '1.2.3.4'), '1.2.3.4');
  assert.equal(noProxyValue('', '1.2.3.4'), '1.2.3.4');
  assert.equal(noProxyValue('localhost', '1.2.3.4'), 'localhost,1.2.3.4');
  assert.equal(noProxyValue('localhost, 1.2.3.4', '1.2.3.4'), 'localhost, 1.2.3.4');
  assert.equal(noProxyValue('11.2.3.45', '1.2.3.4'), '11.2.3.45,1.2.3.4');
});
