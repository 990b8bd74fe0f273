import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyChanges, splitWords, ChangeError } from '../../../src/agent/images/changes';
import { mergeRunConfig, buildRecord, normalizeHostConfig } from '../../../src/agent/containers/create';
import { resolveUserFrom, parsePasswd, parseGroup } from '../../../src/agent/containers/user';
import type { ImageRecord } from '../../../src/agent/images/image-store';
import { ApiError } from '../../../src/agent/http/api-error';

test('import changes: CMD/ENTRYPOINT forms, ENV, LABEL, EXPOSE, WORKDIR, USER, VOLUME, STOPSIGNAL', () => {
  const c = applyChanges({}, [
    'CMD ["sh", "-c", "echo hi"]', 'ENTRYPOINT /bin/run --flag', 'ENV A=1 B="two words"', 'ENV LEGACY some value',
    'LABEL maintainer=me "com.x"=y', 'EXPOSE 80 53/udp', 'WORKDIR /app', 'WORKDIR sub', 'USER nobody', 'VOLUME ["/data"]', 'STOPSIGNAL SIGINT',
  ]);
  assert.deepEqual(c.Cmd, ['sh', '-c', 'echo hi']);
  assert.deepEqual(c.Entrypoint, ['/bin/sh', '-c', '/bin/run --flag']);
  assert.deepEqual(c.Env, ['A=1', 'B=two words', 'LEGACY=some value']);
  assert.deepEqual(c.Labels, { maintainer: 'me', 'com.x': 'y' });
  assert.deepEqual(c.ExposedPorts, { '80/tcp': {}, '53/udp': {} });
  assert.equal(c.WorkingDir, '/app/sub');
  assert.equal(c.User, 'nobody');
  assert.deepEqual(c.Volumes, { '/data': {} });
  assert.equal(c.StopSignal, 'SIGINT');
  assert.throws(() => applyChanges({}, ['RUN rm -rf /']), ChangeError);
  assert.deepEqual(splitWords(`a="b c" 'd e' f\\ g`), ['a=b c', 'd e', 'f g']);
});

test('run config merge follows dockerd', () => {
  const image = { Cmd: ['sh'], Entrypoint: null, Env: ['PATH=/img', 'KEEP=1'], Labels: { a: '1' }, WorkingDir: '/w', User: 'u', StopSignal: 'SIGQUIT' };
  const m = mergeRunConfig({ Cmd: null, Env: ['PATH=/mine'], Labels: { b: '2' } }, image);
  assert.deepEqual(m.Cmd, ['sh']);
  assert.deepEqual(m.Env, ['PATH=/mine', 'KEEP=1']);
  assert.deepEqual(m.Labels, { a: '1', b: '2' });
  assert.equal(m.WorkingDir, '/w');
  assert.equal(m.User, 'u');
  assert.equal(m.StopSignal, 'SIGQUIT');
  assert.deepEqual(mergeRunConfig({ Cmd: ['ls'] }, image).Cmd, ['ls']);
  const ep = mergeRunConfig({ Entrypoint: ['/bin/x'] }, { ...image, Entrypoint: ['/old'] });
  assert.deepEqual(ep.Entrypoint, ['/bin/x']);
  assert.equal(ep.Cmd, undefined, 'a new entrypoint drops the image Cmd');
});

test('container records: argv, hostname, defaults, validation', () => {
  const img: ImageRecord = { id: 'sha256:i', tags: [], digests: [], config: { architecture: 'amd64', os: 'linux', created: '', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [] }, history: [] } };
  const id = 'f'.repeat(64);
  const r = buildRecord(id, 'web', { Image: 'bb', Cmd: ['echo', 'hi'], HostConfig: { AutoRemove: true } }, img, ['sha256:l']);
  assert.equal(r.Name, '/web');
  assert.equal(r.Path, 'echo');
  assert.deepEqual(r.Args, ['hi']);
  assert.equal(r.Config.Hostname, 'ffffffffffff');
  assert.equal(r.HostConfig.NetworkMode, 'bridge');
  assert.equal(r.HostConfig.ShmSize, 64 * 1024 * 1024);
  assert.equal(r.State.Status, 'created');
  const noCmd = { ...img, config: { ...img.config, config: {} } };
  assert.throws(() => buildRecord(id, 'x', { Image: 'bb' }, noCmd, []), /no command specified/);
  // Network names are checked against the network store at create (network/sandbox.ts networksAtCreate).
  assert.equal(normalizeHostConfig({ NetworkMode: 'mynet' }).NetworkMode, 'mynet');
  // container:NAME is resolved at create too; what cannot go with it is refused here, with dockerd's words.
  assert.equal(normalizeHostConfig({ NetworkMode: 'container:x' }).NetworkMode, 'container:x');
  assert.throws(() => normalizeHostConfig({ NetworkMode: 'container:' }), (e: unknown) => e instanceof ApiError && e.status === 400 && /invalid container format/.test(e.message));
  assert.throws(() => normalizeHostConfig({ NetworkMode: 'container:x', PortBindings: { '80/tcp': [{ HostPort: '8080' }] } }), /conflicting options: port publishing and the container type network mode/);
  assert.throws(() => normalizeHostConfig({ NetworkMode: 'container:x', Dns: ['1.1.1.1'] }), /conflicting options: dns and the network mode/);
  assert.throws(() => normalizeHostConfig({ NetworkMode: 'container:x', ExtraHosts: ['a:1.2.3.4'] }), /conflicting options: custom host-to-IP mapping/);
  assert.throws(() => buildRecord(id, 'x', { Image: 'bb', Hostname: 'h', HostConfig: { NetworkMode: 'container:x' } }, img, []), /conflicting options: hostname and the network mode/);
  assert.doesNotThrow(() => normalizeHostConfig({ Binds: ['vol:/data'] }), 'named volumes are resolved at create (volumes/mount-spec.ts)');
  assert.throws(() => normalizeHostConfig({ AutoRemove: true, RestartPolicy: { Name: 'always' } }), /restart policy/);
});

test('users resolve against passwd and group like dockerd', () => {
  const passwd = parsePasswd('root:x:0:0:root:/root:/bin/sh\nwww:x:33:33::/var/www:/bin/false\n');
  const groups = parseGroup('root:x:0:\nwww:x:33:\nstaff:x:50:www,bob\n');
  assert.deepEqual(resolveUserFrom('www', passwd, groups), { uid: 33, gid: 33, additionalGids: [33, 50] });
  assert.deepEqual(resolveUserFrom('1234', passwd, groups), { uid: 1234, gid: 0, additionalGids: [0] });
  assert.deepEqual(resolveUserFrom('www:staff', passwd, groups), { uid: 33, gid: 50, additionalGids: [50] });
  assert.deepEqual(resolveUserFrom('33:7', passwd, groups), { uid: 33, gid: 7, additionalGids: [7] });
  assert.throws(() => resolveUserFrom('ghost', passwd, groups), /unable to find user ghost/);
  assert.throws(() => resolveUserFrom('www:ghosts', passwd, groups), /unable to find group ghosts/);
});

test('request bodies: Cmd as a string, bad types are 400s', () => {
  const img: ImageRecord = { id: 'sha256:i', tags: [], digests: [], config: { architecture: 'amd64', os: 'linux', created: '', config: {}, rootfs: { type: 'layers', diff_ids: [] }, history: [] } };
  const id = 'e'.repeat(64);
  assert.deepEqual(buildRecord(id, 'a', { Image: 'bb', Cmd: 'echo' as unknown as string[] }, img, []).Path, 'echo');
  const bad = (b: Record<string, unknown>) => assert.throws(() => buildRecord(id, 'a', { Image: 'bb', Cmd: ['x'], ...b }, img, []), (e: unknown) => e instanceof ApiError && e.status === 400);
  bad({ Cmd: [1] });
  bad({ Env: 'A=1' });
  bad({ Labels: { a: 1 } });
  bad({ Image: 5 });
});
