// docker-compose 1.29 against the agent (own network namespace): the project network, service
// names and aliases resolved by the network DNS, a published port, and `down` leaving nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { AgentHarness, runProcess } from './harness';

let h: AgentHarness;
let dir: string;

before(async () => {
  h = await AgentHarness.create({ netns: true });
  await h.start();
  assert.equal((await h.importBusybox('bb')).code, 0);
  dir = join(h.base, 'proj');
  mkdirSync(dir);
  writeFileSync(join(dir, 'docker-compose.yml'), `version: "3.8"
services:
  web:
    image: bb
    command: ["sh", "-c", "mkdir -p /www && echo compose-web > /www/index.html && exec httpd -f -p 80 -h /www"]
    ports: ["8088:80"]
    networks:
      default:
        aliases: [www]
  client:
    image: bb
    command: ["sleep", "300"]
    networks: [default, back]
  db:
    image: bb
    command: ["sleep", "300"]
    networks: [back]
networks:
  back: {}
`);
});

after(async () => {
  const left = await h.cleanup();
  assert.deepEqual(left, [], 'nothing may be left behind');
});


test('docker-compose up: services find each other by service name and alias', { skip: !existsSync('/usr/bin/docker-compose') && 'docker-compose 1.29 is not installed (scripts/setup.sh installs it)' }, async () => {
  const up = await runProcess('sh', ['-c', `cd ${dir} && docker-compose -p tsanet up -d`], { env: { ...h.dockerEnv }, timeoutMs: 120_000 });
  assert.equal(up.code, 0, up.stderr);
  const exec = async (svc: string, cmd: string[]) => runProcess('sh', ['-c', `cd ${dir} && docker-compose -p tsanet exec -T ${svc} ${cmd.join(' ')}`], { env: { ...h.dockerEnv }, timeoutMs: 60_000 });
  const byService = await exec('client', ['wget', '-q', '-O', '-', 'http://web/']);
  assert.equal(byService.stdout, 'compose-web\n', byService.stderr);
  assert.equal((await exec('client', ['wget', '-q', '-O', '-', 'http://www/'])).stdout, 'compose-web\n');
  assert.equal((await exec('client', ['ping', '-c', '1', '-W', '3', 'db'])).code, 0, 'client is on back too');
  assert.notEqual((await exec('web', ['nslookup', 'db'])).code, 0, 'web is not on back');
  const nets = (await h.docker(['network', 'ls', '--filter', 'label=com.docker.compose.project=tsanet', '--format', '{{.Name}}'])).stdout.trim().split('\n').sort();
  assert.deepEqual(nets, ['tsanet_back', 'tsanet_default']);
  const ps = await h.docker(['ps', '--filter', 'name=tsanet_web', '--format', '{{.Ports}}']);
  assert.equal(ps.stdout.trim(), '0.0.0.0:8088->80/tcp');
  const down = await runProcess('sh', ['-c', `cd ${dir} && docker-compose -p tsanet down`], { env: { ...h.dockerEnv }, timeoutMs: 120_000 });
  assert.equal(down.code, 0, down.stderr);
  assert.deepEqual((await h.docker(['network', 'ls', '--format', '{{.Name}}'])).stdout.trim().split('\n').sort(), ['bridge', 'host', 'none']);
  assert.doesNotMatch(h.inNetns(['iptables-save']), /tsa-ctr:|tsa-net:tsa-/);
});
