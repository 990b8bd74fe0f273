import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTsmError } from '../../../src/core/errors';
import {
  formatGoDuration,
  LS_DEFAULT_FORMAT,
  LS_FIELDS,
  LS_HEADERS,
  naturalCompare,
  renderLsFormat,
  renderLsQuiet,
  renderLsTable,
  sortLsRows,
  type MachineListRow,
} from '../../../src/core/render/ls-table';

function row(o: Partial<MachineListRow> & { Name: string }): MachineListRow {
  return {
    Active: '-', ActiveHost: false, ActiveSwarm: false, DriverName: 'local', State: 'Running', URL: '', Swarm: '',
    DockerVersion: '', Error: '', ResponseTime: 0, Labels: [], ...o,
  };
}

const dflt = row({ Name: 'default', DriverName: 'virtualbox', URL: 'tcp://192.168.99.100:2376', DockerVersion: 'v1.9.0' });

test("default table matches docker-machine's documented ls output (with Go tabwriter's trailing padding)", () => {
  assert.equal(
    renderLsTable([dflt]),
    'NAME      ACTIVE   DRIVER       STATE     URL                         SWARM   DOCKER   ERRORS\n' +
      'default   -        virtualbox   Running   tcp://192.168.99.100:2376           v1.9.0   \n',
  );
});

test('default table: errors, stopped machines, swarm column, active marker', () => {
  const rows = [
    row({ Name: 'dev', State: 'Stopped', DockerVersion: 'Unknown' }),
    row({ Name: 'm1', Active: '*', ActiveHost: true, URL: 'tcp://10.0.0.2:2376', Swarm: 'm1 (master)', DockerVersion: 'v28.2.2' }),
    row({ Name: 'broken', State: 'Error', DriverName: 'not found', Error: 'open machine.json: no such file' }),
  ];
  const lines = renderLsTable(rows).split('\n');
  assert.equal(lines[0], 'NAME     ACTIVE   DRIVER      STATE     URL                   SWARM         DOCKER    ERRORS');
  assert.equal(lines[1], 'dev      -        local       Stopped                                       Unknown   ');
  assert.equal(lines[2], 'm1       *        local       Running   tcp://10.0.0.2:2376   m1 (master)   v28.2.2   ');
  assert.equal(lines[3], 'broken   -        not found   Error                                                   open machine.json: no such file');
  assert.equal(lines[4], '');
  assert.equal(lines.length, 5);
});

test('an empty list prints the header only', () => {
  assert.equal(renderLsTable([]), 'NAME   ACTIVE   DRIVER   STATE   URL   SWARM   DOCKER   ERRORS\n');
});

test('--format without table: one line per row, escapes turned into tabs, no header, no alignment', () => {
  const rows = [dflt, row({ Name: 'b', ResponseTime: 1500 })];
  assert.equal(renderLsFormat(rows, '{{.Name}}\\t{{.URL}}'), 'default\ttcp://192.168.99.100:2376\nb\t\n');
  assert.equal(renderLsFormat(rows, '  {{.Name}}: {{.ResponseTime}}  '), 'default: 0s\nb: 1.5s\n');
});

test('--format table: headers from docker-machine names, tab-aligned', () => {
  const rows = [dflt, row({ Name: 'b', ActiveHost: true, ResponseTime: 12 })];
  assert.equal(
    renderLsFormat(rows, 'table {{.Name}}\\t{{.ActiveHost}}\\t{{.ResponseTime}}\\t{{.DriverName}}'),
    'NAME      ACTIVE_HOST   RESPONSE   DRIVER\n' + 'default   false         0s         virtualbox\n' + 'b         true          12ms       local\n',
  );
  assert.equal(renderLsFormat([dflt], 'table {{.Name}}'), 'NAME\ndefault\n');
});

test('--format can reach labels and use functions', () => {
  const r = row({ Name: 'x', Labels: ['env=prod', 'team=core'] });
  assert.equal(renderLsFormat([r], '{{.Name}} {{join .Labels ","}} {{json .Labels}} {{upper .DriverName}}'), 'x env=prod,team=core ["env=prod","team=core"] LOCAL\n');
});

test('table mode: list fields print their header in the header row (join, range)', () => {
  const r = row({ Name: 'x', Labels: ['env=prod', 'team=core'] });
  assert.equal(renderLsFormat([r], 'table {{.Name}}\\t{{join .Labels ","}}'), 'NAME   LABELS\nx      env=prod,team=core\n');
  assert.equal(renderLsFormat([], 'table {{.Name}}\\t{{range .Labels}}{{.}};{{end}}'), 'NAME   LABELS;\n');
});

test('unknown field in --format is INVALID_FLAG listing the ls fields, even with no machines', () => {
  for (const rows of [[dflt], []]) {
    for (const fmt of ['{{.Nmae}}', 'table {{.Nmae}}']) {
      assert.throws(
        () => renderLsFormat(rows, fmt),
        (e: unknown) => isTsmError(e, 'INVALID_FLAG') && /--format/.test(e.message) && /\.Nmae/.test(e.message) && /\.DriverName/.test(e.suggestion ?? ''),
        `${fmt} with ${rows.length} rows`,
      );
    }
  }
  // A valid template with no rows prints nothing and does not throw.
  assert.equal(renderLsFormat([], '{{.Name}} {{if gt (len .Labels) 0}}x{{end}}'), '');
});

test('quiet prints names only', () => {
  assert.equal(renderLsQuiet([dflt, row({ Name: 'b' })]), 'default\nb\n');
  assert.equal(renderLsQuiet([]), '');
});

test('sortLsRows: natural, case-insensitive order like docker-machine', () => {
  const names = ['node10', 'Node2', 'alpha', 'node1', 'beta'].map((Name) => row({ Name }));
  assert.deepEqual(sortLsRows(names).map((r) => r.Name), ['alpha', 'beta', 'node1', 'Node2', 'node10']);
  assert.ok(naturalCompare('a2', 'a10') < 0);
  assert.ok(naturalCompare('a', 'a1') < 0);
  assert.equal(naturalCompare('X', 'x'), 0);
});

test('formatGoDuration prints like Go time.Duration', () => {
  const cases: Array<[number, string]> = [
    [0, '0s'], [0.000001, '1ns'], [0.85, '850µs'], [1, '1ms'], [25, '25ms'], [1.5, '1.5ms'], [999, '999ms'],
    [1000, '1s'], [1500, '1.5s'], [10000, '10s'], [61000, '1m1s'], [123456, '2m3.456s'], [3600000, '1h0m0s'], [3723000, '1h2m3s'],
  ];
  for (const [ms, s] of cases) assert.equal(formatGoDuration(ms), s, `${ms}ms`);
});

test('the header map covers every row field and the default format is docker-machine\'s', () => {
  assert.deepEqual([...LS_FIELDS].sort(), Object.keys(row({ Name: 'x' })).sort());
  assert.equal(LS_HEADERS.DriverName, 'DRIVER');
  assert.equal(LS_HEADERS.Error, 'ERRORS');
  assert.equal(LS_HEADERS.DockerVersion, 'DOCKER');
  assert.ok(LS_DEFAULT_FORMAT.startsWith('table {{ .Name }}\t{{ .Active }}\t{{ .DriverName}}'));
});
