import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { renderInitScript, renderStartScript, shq, type InitParams } from '../../../src/drivers/local/init-script';
import { hiddenPaths } from '../../../src/drivers/local/driver';

const params: InitParams = {
  name: 'dev-1',
  ip: '10.213.0.9',
  localDir: "/tmp/store with 'quote'/machines/dev-1/local",
  sshPublicKey: 'ssh-ed25519 AAAAC3Nza tsmachine\n',
  hide: ['/root/.tsmachine', '/var/lib/tsmachine'],
  tini: '/usr/bin/tini',
  sshd: '/usr/sbin/sshd',
  graceSeconds: 8,
  unshare: '/usr/bin/unshare',
};

test('shq quotes anything for sh', () => {
  const tricky = `a'b "c" $d \`e\` \\f`;
  assert.equal(execFileSync('sh', ['-c', `printf %s ${shq(tricky)}`], { encoding: 'utf8' }), tricky);
});

test('init.sh is valid sh and carries the machine parameters quoted', () => {
  const script = renderInitScript(params);
  execFileSync('sh', ['-n'], { input: script });
  const vars = execFileSync('sh', ['-c', `${script.split('\nlog()')[0]}\nprintf '%s|' "$NAME" "$IP" "$MDIR" "$KEY" "$GRACE" "$(hidden_paths | tr '\\n' ,)"`], { encoding: 'utf8' });
  assert.equal(vars, `dev-1|10.213.0.9|${params.localDir}|ssh-ed25519 AAAAC3Nza tsmachine|8|/root/.tsmachine,/var/lib/tsmachine,|`);
});

test('init.sh: the hostname is cut to the kernel limit of 64 bytes; the machine name stays whole', () => {
  const long = `m${'x'.repeat(80)}`;
  const script = renderInitScript({ ...params, name: long });
  const vars = execFileSync('sh', ['-c', `${script.split('\nlog()')[0]}\nprintf '%s|%s' "$NAME" "$HOST_NAME"`], { encoding: 'utf8' });
  assert.equal(vars, `${long}|${long.slice(0, 64)}`);
});

test('init.sh: overlay of / with upper and work in the machine folder, fresh kernel filesystems, pivot, tini', () => {
  const s = renderInitScript(params);
  assert.match(s, /mount -t overlay tsmachine -o "lowerdir=\/,upperdir=\$MDIR\/upper,workdir=\$MDIR\/work" "\$R"/);
  for (const m of ['mount -t proc proc "$R/proc"', 'mount -t sysfs sysfs "$R/sys"', 'mount --rbind /dev "$R/dev"', 'tsm-run "$R/run"', 'tsm-tmp "$R/tmp"', 'pivot_root . run/.oldroot']) {
    assert.ok(s.includes(m), m);
  }
  assert.match(s, /exec "\$TINI" -- \/bin\/sh \/run\/tsmachine\/init.sh supervise/);
  assert.match(s, /mount --bind "\$MDIR\/data\/\$d" "\$R\/var\/lib\/\$d"/);
  assert.match(s, /DATA_DIRS='tsagent docker'/);
});

test('init.sh: first boot starts from fresh homes and host keys; hooks run from boot.d', () => {
  const s = renderInitScript(params);
  assert.match(s, /FRESH_DIRS='\/root \/home \/var\/tmp \/etc\/tsmachine \/etc\/tsagent'/);
  const upper = s.slice(s.indexOf('first_boot_upper() {'), s.indexOf('first_boot() {'));
  assert.match(upper, /mknod "\$MDIR\/upper\$d" c 0 0/, 'whiteouts in the upper dir, nothing walked');
  const first = s.slice(s.indexOf('first_boot() {'), s.indexOf('data_dirs() {'));
  assert.match(first, /rm -f "\$R"\/etc\/ssh\/ssh_host_\*/);
  assert.match(first, /ssh-keygen .* -t ed25519 /);
  assert.ok(s.indexOf('first_boot_upper; fi') < s.indexOf('mount -t overlay'), 'whiteouts before the overlay is mounted');
  assert.match(s, /HOOKS='\/etc\/tsmachine\/boot.d'/);
  assert.match(s, /boot_hooks >> "\$HOOK_LOG" 2>&1 < \/dev\/null &/);
  assert.match(s, /trap shutdown TERM INT/);
});

test('start.sh joins every cgroup, then nsenter + unshare with all namespaces', () => {
  const s = renderStartScript({ localDir: '/m/local', netnsPath: '/run/netns/tsm-abc', cgroupDirs: ['/sys/fs/cgroup/memory/tsmachine/abc', '/sys/fs/cgroup/unified/tsmachine/abc'], cgroupns: true, nsenter: '/usr/bin/nsenter', unshare: '/usr/bin/unshare' });
  execFileSync('sh', ['-n'], { input: s });
  assert.match(s, /for d in '\/sys\/fs\/cgroup\/memory\/tsmachine\/abc' '\/sys\/fs\/cgroup\/unified\/tsmachine\/abc'; do echo \$\$ > "\$d\/cgroup.procs"; done/);
  assert.match(s, /exec '\/usr\/bin\/nsenter' --net='\/run\/netns\/tsm-abc' '\/usr\/bin\/unshare' --mount --uts --ipc --pid --cgroup --fork --kill-child --propagation private \/bin\/sh '\/m\/local\/init.sh' boot/);
});

test('pure cgroup v2: the wrapper stays in its leaf, PID 1 enters the machine cgroup and unshares the cgroup namespace itself', () => {
  const start = renderStartScript({ localDir: '/m/local', netnsPath: '/run/netns/tsm-abc', cgroupDirs: ['/sys/fs/cgroup/tsmachine/abc/wrapper'], cgroupns: false, nsenter: 'nsenter', unshare: 'unshare' });
  assert.match(start, /'unshare' --mount --uts --ipc --pid --fork/);
  assert.doesNotMatch(start, /--cgroup/);
  const init = renderInitScript({ ...params, enterBeforeCgroupns: '/sys/fs/cgroup/tsmachine/abc' });
  execFileSync('sh', ['-n'], { input: init });
  assert.match(init, /CGROUP_ENTER='\/sys\/fs\/cgroup\/tsmachine\/abc'/);
  assert.match(init, /exec "\$UNSHARE" --cgroup \/bin\/sh "\$MDIR\/init.sh" boot/);
  assert.match(renderInitScript(params), /CGROUP_ENTER=''/);
});

test('hidden paths: the store and tsmachine state, never a system folder', () => {
  const hidden = hiddenPaths('/tmp/tsm-store-x');
  assert.ok(hidden.includes('/tmp/tsm-store-x'));
  assert.ok(hidden.includes('/var/lib/tsmachine'));
  assert.ok(!hiddenPaths('/root').includes('/root'));
  assert.ok(!hiddenPaths('/').includes('/'));
  assert.ok(!hiddenPaths('/var/lib').includes('/var/lib'));
});
