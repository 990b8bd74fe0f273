import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostExec } from '../../../src/core/exec';
import { isTsmError } from '../../../src/core/errors';
import { emptyEngineOptions, type EngineOptions } from '../../../src/core/machine';
import {
  AGENT_PATHS,
  agentCommand,
  agentFlagArgs,
  engineOptArgs,
  renderBootScript,
  renderOpenrcScript,
  renderSystemdUnit,
  systemdQuote,
} from '../../../src/provision/agent-render';
import { agentLogsCommand } from '../../../src/provision/agent-install';

const BASE_ARGS = [
  '--max-semi-space-size=1',
  '/usr/local/lib/tsagent/tsagent.js',
  '-H', 'tcp://0.0.0.0:2376',
  '-H', 'unix:///var/run/tsagent.sock',
  '--tlsverify',
  '--tlscacert', '/etc/tsagent/ca.pem',
  '--tlscert', '/etc/tsagent/server.pem',
  '--tlskey', '/etc/tsagent/server-key.pem',
  '--data-root', '/var/lib/tsagent',
  '--exec-root', '/run/tsagent',
  '--pidfile', '/run/tsagent.pid',
];

function options(o: Partial<EngineOptions>): EngineOptions {
  return { ...emptyEngineOptions(), ...o };
}

const RICH = options({
  labels: ['env=prod', 'team=a b'],
  insecureRegistries: ['10.0.0.9:5000'],
  registryMirrors: ['https://mirror.example'],
  opts: ['dns=8.8.8.8', '--log-level=debug', 'debug'],
  env: ['HTTP_PROXY=http://p:3128', 'WEIRD=it\'s $HOME 100%'],
});

test('agentCommand: the documented defaults, then labels, registries, engine opts; env as pairs', () => {
  assert.deepEqual(agentCommand({ nodePath: '/usr/bin/node', engineOptions: emptyEngineOptions() }), { node: '/usr/bin/node', args: BASE_ARGS, env: [['MALLOC_ARENA_MAX', '2']] });
  const c = agentCommand({ nodePath: '/usr/bin/node', port: 3376, engineOptions: RICH });
  assert.equal(c.args[3], 'tcp://0.0.0.0:3376');
  assert.deepEqual(c.args.slice(BASE_ARGS.length), [
    '--label', 'env=prod', '--label', 'team=a b',
    '--insecure-registry', '10.0.0.9:5000',
    '--registry-mirror', 'https://mirror.example',
    '--dns=8.8.8.8', '--log-level=debug', '--debug',
  ]);
  assert.deepEqual(c.env, [['MALLOC_ARENA_MAX', '2'], ['HTTP_PROXY', 'http://p:3128'], ['WEIRD', 'it\'s $HOME 100%']]);
});

test('agentCommand reports every bad --engine-opt and --engine-env at once', () => {
  try {
    agentCommand({ nodePath: '/usr/bin/node', engineOptions: options({ opts: ['=x', 'ok=1', 'a b=c'], env: ['NOVALUE', '1BAD=x'] }) });
    assert.fail('expected INVALID_FLAG');
  } catch (e) {
    assert.ok(isTsmError(e, 'INVALID_FLAG'));
    assert.deepEqual(e.problems.map((p) => p.field), ['--engine-opt', '--engine-opt', '--engine-env', '--engine-env']);
  }
  assert.deepEqual(engineOptArgs(['a=b=c']), ['--a=b=c']);
});

test('systemdQuote doubles % and $ and quotes spaces', () => {
  assert.equal(systemdQuote('/usr/bin/node'), '/usr/bin/node');
  assert.equal(systemdQuote('a b'), '"a b"');
  assert.equal(systemdQuote('100%'), '"100%%"');
  assert.equal(systemdQuote('$HOME'), '"$$HOME"');
  assert.equal(systemdQuote('say "hi"\\'), '"say \\"hi\\"\\\\"');
});

test('systemd unit: ExecStart, Environment, KillMode=process; systemd-analyze verify accepts it', async (t) => {
  const unit = renderSystemdUnit(agentCommand({ nodePath: '/usr/bin/node', engineOptions: RICH }));
  assert.match(unit, /^ExecStart=\/usr\/bin\/node --max-semi-space-size=1 \/usr\/local\/lib\/tsagent\/tsagent.js -H tcp:\/\/0.0.0.0:2376 .* --label "team=a b" /m);
  assert.match(unit, /^Environment="HTTP_PROXY=http:\/\/p:3128"$/m);
  assert.match(unit, /^Environment="WEIRD=it's \$HOME 100%%"$/m);
  assert.match(unit, /^KillMode=process$/m);
  assert.match(unit, /^WantedBy=multi-user.target$/m);
  if (!existsSync('/usr/bin/systemd-analyze')) return t.skip('systemd-analyze is not installed');
  const dir = await mkdtemp(join(tmpdir(), 'tsm-unit-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'tsagent.service'), unit);
  const r = await hostExec('systemd-analyze', ['verify', '--man=no', join(dir, 'tsagent.service')], { allowFailure: true });
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /tsagent\.service/, r.stderr);
});

/** Sources an OpenRC script with a stub environment and prints how openrc-run would run the command. */
async function openrcArgs(script: string): Promise<string[]> {
  const body = script.replace(/^#!.*\n/, '');
  const probe = `${body}\neval "set -- $command_args"; printf '%s\\0' "$command" "$@" "HTTP_PROXY=$HTTP_PROXY" "WEIRD=$WEIRD"`;
  const r = await hostExec('sh', ['-c', probe]);
  return r.stdout.split('\0').slice(0, -1);
}

test('OpenRC script: valid sh; command_args evaluate back to the exact argv; env exported', async () => {
  const c = agentCommand({ nodePath: '/usr/bin/node', engineOptions: RICH });
  const script = renderOpenrcScript(c);
  assert.match(script, /^#!\/sbin\/openrc-run\n/);
  assert.match(script, /^command_background=true$/m);
  assert.match(script, /^pidfile=\/run\/tsagent.openrc.pid$/m, 'not the agent\'s own pidfile');
  assert.deepEqual(await openrcArgs(script), [c.node, ...c.args, 'HTTP_PROXY=http://p:3128', 'WEIRD=it\'s $HOME 100%']);
});

test('boot.d script: valid sh, stops the agent by pidfile, starts it detached with the exact argv', async () => {
  const c = agentCommand({ nodePath: '/usr/bin/node', engineOptions: RICH });
  const script = renderBootScript(c);
  await hostExec('sh', ['-n', '-c', script]);
  assert.match(script, /^PIDFILE=\/run\/tsagent.pid$/m);
  assert.match(script, /grep -q tsagent "\/proc\/\$1\/cmdline"/, 'never kills a reused PID');
  const start = script.split('\n').find((l) => l.startsWith('setsid nohup '))!;
  assert.match(start, />>"\$LOG" 2>&1 <\/dev\/null &$/);
  const argv = await hostExec('sh', ['-c', `${start.replace(/^setsid nohup /, 'printf "%s\\0" ').replace(/ >>.*$/, '')}`]);
  assert.deepEqual(argv.stdout.split('\0').slice(0, -1), [c.node, ...c.args]);
  assert.equal(AGENT_PATHS.bootScript, '/etc/tsmachine/boot.d/50-tsagent');
});

test('agentLogsCommand: journalctl under systemd, the log file otherwise', () => {
  assert.match(agentLogsCommand('systemd', 20), /^journalctl -u tsagent.service -n 20 /);
  assert.equal(agentLogsCommand('none', 5), 'tail -n 5 /var/log/tsagent.log');
  assert.equal(agentLogsCommand('openrc'), 'tail -n 40 /var/log/tsagent.log');
});

test('contract: the agent command line parses with tsagent\'s own flag parser', async () => {
  const { parseAgentFlags } = await import('../../../src/agent/config/flags');
  const c = agentCommand({
    nodePath: '/usr/bin/node',
    port: 2400,
    engineOptions: options({ labels: ['a=b'], insecureRegistries: ['r:5000'], registryMirrors: ['https://m'], opts: ['debug', 'cgroup-parent=/tsm'] }),
  });
  assert.deepEqual(c.args.slice(0, 2), ['--max-semi-space-size=1', AGENT_PATHS.bundle], 'node\'s options, then the bundle');
  assert.deepEqual(agentFlagArgs(c), c.args.slice(2));
  const cfg = parseAgentFlags(agentFlagArgs(c));
  assert.deepEqual(cfg.hosts.map((h) => `${h.proto}://${h.address}`), ['tcp://0.0.0.0:2400', 'unix:///var/run/tsagent.sock']);
  assert.deepEqual(cfg.tls, { caFile: AGENT_PATHS.ca, certFile: AGENT_PATHS.cert, keyFile: AGENT_PATHS.key });
  assert.deepEqual(
    [cfg.dataRoot, cfg.execRoot, cfg.pidfile, cfg.cgroupParent, cfg.debug],
    [AGENT_PATHS.dataRoot, AGENT_PATHS.execRoot, AGENT_PATHS.pidfile, '/tsm', true],
  );
  assert.deepEqual([cfg.labels, cfg.insecureRegistries, cfg.registryMirrors], [['a=b'], ['r:5000'], ['https://m']]);
});
