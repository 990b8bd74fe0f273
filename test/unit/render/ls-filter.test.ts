import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTsmError } from '../../../src/core/errors';
import { compileGoRegexp, parseLsFilters, parseLsFilterSpec, type LsFilterRow } from '../../../src/core/render/ls-filter';

const rows: LsFilterRow[] = [
  { Name: 'dev', DriverName: 'local', State: 'Running', Swarm: '', Labels: ['env=prod', 'team=core'] },
  { Name: 'dev2', DriverName: 'generic', State: 'Stopped', Swarm: '', Labels: ['env=dev'] },
  { Name: 'mgr', DriverName: 'amazonec2', State: 'Running', Swarm: 'mgr (master)', Labels: [] },
  { Name: 'wk1', DriverName: 'amazonec2', State: 'Error', Swarm: 'mgr', Labels: ['flag'] },
  { Name: 'Prod-Web', DriverName: 'local', State: 'None', Swarm: '', Labels: ['env=PROD'] },
];

const names = (filters: string[]) => rows.filter(parseLsFilters(filters)).map((r) => r.Name);

test('no filters match everything', () => {
  assert.deepEqual(names([]), rows.map((r) => r.Name));
});

test('driver and state compare case-insensitively; the key is case-insensitive too', () => {
  assert.deepEqual(names(['driver=LOCAL']), ['dev', 'Prod-Web']);
  assert.deepEqual(names(['state=running']), ['dev', 'mgr']);
  assert.deepEqual(names(['State=Running']), ['dev', 'mgr']);
  assert.deepEqual(names(['state=']), ['Prod-Web']);
});

test('same key repeated is OR, different keys are AND', () => {
  assert.deepEqual(names(['driver=local', 'driver=generic']), ['dev', 'dev2', 'Prod-Web']);
  assert.deepEqual(names(['driver=local', 'driver=generic', 'state=Running']), ['dev']);
  assert.deepEqual(names(['driver=amazonec2', 'state=Stopped']), []);
});

test('name is an unanchored regular expression (Go RE2 style), not a glob', () => {
  assert.deepEqual(names(['name=^dev']), ['dev', 'dev2']);
  assert.deepEqual(names(['name=^dev$']), ['dev']);
  assert.deepEqual(names(['name=ev']), ['dev', 'dev2']);
  // `dev*` is a regexp: "de" then any number of "v", so it matches anything containing "de".
  assert.deepEqual(names(['name=dev*']), ['dev', 'dev2']);
  assert.deepEqual(names(['name=prod']), []);
  assert.deepEqual(names(['name=(?i)prod']), ['Prod-Web']);
  assert.deepEqual(names(['name=^wk\\d$', 'name=^mgr$']), ['mgr', 'wk1']);
  assert.equal(compileGoRegexp('(?i)x').flags, 'i');
});

test('label=key=value (value case-insensitive) and label=key', () => {
  assert.deepEqual(names(['label=env=prod']), ['dev', 'Prod-Web']);
  assert.deepEqual(names(['label=env=prod', 'label=env=dev']), ['dev', 'dev2', 'Prod-Web']);
  assert.deepEqual(names(['label=team']), ['dev']);
  assert.deepEqual(names(['label=flag']), ['wk1']);
  assert.deepEqual(names(['label=ENV=prod']), []);
  assert.deepEqual(names(['label=env=prod', 'driver=local', 'name=^dev']), ['dev']);
});

test('swarm matches the master name, for the master and its members', () => {
  assert.deepEqual(names(['swarm=mgr']), ['mgr', 'wk1']);
  assert.deepEqual(names(['swarm=MGR']), ['mgr', 'wk1']);
  assert.deepEqual(names(['swarm=other']), []);
});

test('bad filters: INVALID_FLAG naming --filter and the valid keys, every problem at once', () => {
  assert.throws(
    () => parseLsFilters(['colour=red', 'novalue', 'name=(unclosed', 'label=', 'driver=local']),
    (e: unknown) => {
      if (!isTsmError(e, 'INVALID_FLAG')) return false;
      assert.equal(e.problems.length, 4);
      assert.ok(e.problems.every((p) => p.field === '--filter'));
      assert.match(e.problems[0].message, /unsupported filter key "colour"/);
      assert.match(e.problems[0].suggestion ?? '', /driver=.*label=.*name=.*state=.*swarm=/);
      assert.match(e.problems[1].message, /"novalue": unsupported filter syntax/);
      assert.match(e.problems[2].message, /invalid regular expression/);
      assert.match(e.problems[3].message, /label filter needs a key/);
      assert.match(e.message, /4 problems/);
      return true;
    },
  );
});

test('parseLsFilterSpec exposes the parsed filters', () => {
  const spec = parseLsFilterSpec(['driver=a', 'label=k=v=w', 'label=k2', 'state=Running']);
  assert.deepEqual(spec.driver, ['a']);
  assert.deepEqual(spec.label, [{ key: 'k', value: 'v=w' }, { key: 'k2' }]);
  assert.deepEqual(spec.state, ['Running']);
});
