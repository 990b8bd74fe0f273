import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTsmError, type TsmError } from '../../../src/core/errors';
import { parseTemplate, renderTemplate, TEMPLATE_FUNCTIONS, unescapeFormat } from '../../../src/core/render/go-template';

const r = (tpl: string, data: unknown = {}) => renderTemplate(tpl, data);

function rejects(tpl: string, data: unknown, match: RegExp, flag = '--format'): TsmError {
  let err: unknown;
  try {
    renderTemplate(tpl, data, { flag });
  } catch (e) {
    err = e;
  }
  assert.ok(isTsmError(err, 'INVALID_FLAG'), `expected INVALID_FLAG for ${tpl}, got ${String(err)}`);
  assert.match(err.message, match);
  assert.ok(err.message.startsWith(`${flag}: `), err.message);
  assert.equal(err.problems[0]?.field, flag);
  return err;
}

const machine = { Name: 'dev', Driver: { IPAddress: '10.0.0.2', SSHPort: 22 }, Labels: ['a=1', 'b=2'], Tags: { env: 'prod', team: 'core' } };

test('literal text and fields, nested fields, dot', () => {
  assert.equal(r('plain text'), 'plain text');
  assert.equal(r('{{.Name}} at {{.Driver.IPAddress}}:{{.Driver.SSHPort}}', machine), 'dev at 10.0.0.2:22');
  assert.equal(r('{{.}}', 'hello'), 'hello');
  assert.equal(r('{{ .Name }}', machine), 'dev');
  assert.equal(r('{{$.Name}}', machine), 'dev');
});

test('Go printing of values: slices, maps (sorted), nil, no value, bools, numbers', () => {
  assert.equal(r('{{.Labels}}', machine), '[a=1 b=2]');
  assert.equal(r('{{.Tags}}', machine), 'map[env:prod team:core]');
  assert.equal(r('{{.X}}', { X: null }), '<nil>');
  assert.equal(r('{{.M.missing}}', { M: new Map([['k', 'v']]) }), '<no value>');
  assert.equal(r('{{.M.k}}', { M: new Map([['k', 'v']]) }), 'v');
  assert.equal(r('{{.T}} {{.F}} {{.I}} {{.D}} {{.E}}', { T: true, F: false, I: 42, D: 1.5, E: 1e-7 }), 'true false 42 1.5 1e-07');
});

test('unknown field is INVALID_FLAG naming the field and the available ones', () => {
  const e = rejects('{{.Nmae}}', machine, /unknown field \.Nmae/);
  assert.match(e.suggestion ?? '', /\.Name, \.Driver, \.Labels, \.Tags/);
  const nested = rejects('{{.Driver.IP}}', machine, /unknown field \.Driver\.IP/, '--format');
  assert.match(nested.suggestion ?? '', /\.Driver\.IPAddress/);
  rejects('{{.Name.First}}', machine, /can't evaluate field First in type string/);
  rejects('{{.Labels.X}}', machine, /can't evaluate field X in type \[\]interface \{\}/);
});

test('missingKey "no-value" treats plain objects like Go maps', () => {
  assert.equal(renderTemplate('{{.Nope}}|{{.Driver.Nope}}', machine, { missingKey: 'no-value' }), '<no value>|<no value>');
});

test('errors name the flag they came from', () => {
  rejects('{{.Nope}}', machine, /unknown field/, '--filter-format');
});

test('if / else if / else, truth of values', () => {
  const tpl = '{{if .A}}a{{else if .B}}b{{else}}c{{end}}';
  assert.equal(r(tpl, { A: 1, B: 1 }), 'a');
  assert.equal(r(tpl, { A: 0, B: 'x' }), 'b');
  assert.equal(r(tpl, { A: '', B: [] }), 'c');
  assert.equal(r('{{if .M}}y{{else}}n{{end}}', { M: {} }), 'n');
  assert.equal(r('{{if .M}}y{{else}}n{{end}}', { M: new Map([[1, 2]]) }), 'y');
  assert.equal(r('{{if not .A}}none{{end}}', { A: null }), 'none');
});

test('with sets dot, else with, else', () => {
  assert.equal(r('{{with .Driver}}{{.IPAddress}}{{end}}', machine), '10.0.0.2');
  assert.equal(r('{{with .X}}x{{else with .Y}}{{.}}{{else}}none{{end}}', { X: '', Y: 'y' }), 'y');
  assert.equal(r('{{with .X}}x{{else}}none{{end}}', { X: 0 }), 'none');
});

test('range over slices, maps (sorted keys), ints; variables; else; break/continue', () => {
  assert.equal(r('{{range .Labels}}[{{.}}]{{end}}', machine), '[a=1][b=2]');
  assert.equal(r('{{range $i, $l := .Labels}}{{if $i}},{{end}}{{$i}}:{{$l}}{{end}}', machine), '0:a=1,1:b=2');
  assert.equal(r('{{range $k, $v := .Tags}}{{$k}}={{$v}};{{end}}', machine), 'env=prod;team=core;');
  assert.equal(r('{{range $v := .Tags}}{{$v}} {{end}}', { Tags: { z: 1, a: 2 } }), '2 1 ');
  assert.equal(r('{{range .L}}x{{else}}empty{{end}}', { L: [] }), 'empty');
  assert.equal(r('{{range .L}}x{{else}}nil{{end}}', { L: null }), 'nil');
  assert.equal(r('{{range 3}}{{.}}{{end}}', {}), '012');
  assert.equal(r('{{range .L}}{{if eq . 3}}{{break}}{{end}}{{if eq . 1}}{{continue}}{{end}}{{.}}{{end}}', { L: [0, 1, 2, 3, 4] }), '02');
  assert.equal(r('{{range .Labels}}{{$.Name}}/{{.}} {{end}}', machine), 'dev/a=1 dev/b=2 ');
  rejects('{{range .Name}}{{end}}', machine, /range can't iterate over dev/);
});

test('variables: declare, assign, scope ends at end', () => {
  assert.equal(r('{{$x := .Name}}{{$x}}-{{$x = "new"}}{{$x}}', machine), 'dev-new');
  assert.equal(r('{{$n := 0}}{{range .L}}{{$n = .}}{{end}}{{$n}}', { L: [1, 2, 3] }), '3');
  rejects('{{if true}}{{$y := 1}}{{end}}{{$y}}', {}, /undefined variable: \$y/);
});

test('pipelines and parenthesised arguments', () => {
  assert.equal(r('{{.Name | printf "%s!"}}', machine), 'dev!');
  assert.equal(r('{{.Name | upper | printf "<%s>"}}', machine), '<DEV>');
  assert.equal(r('{{printf "%s-%s" (upper .Name) (index .Labels 1)}}', machine), 'DEV-b=2');
  assert.equal(r('{{(index .L 0).Name}}', { L: [{ Name: 'first' }] }), 'first');
  assert.equal(r('{{.Labels | len}}', machine), '2');
  rejects('{{.Name | .Name}}', machine, /can't give argument to non-function/);
  rejects('{{.Name "x"}}', machine, /can't give argument to non-function/);
});

test('trim markers and comments', () => {
  assert.equal(r('a  {{- .Name -}}  b', machine), 'adevb');
  assert.equal(r('a {{- /* gone */ -}}\n b'), 'ab');
  assert.equal(r('x{{/* note */}}y'), 'xy');
  assert.equal(r('{{3 -}} < {{- 4}}'), '3<4');
  assert.equal(r('{{-3}}'), '-3');
});

test('literals: strings with escapes, raw strings, chars, numbers, nil', () => {
  assert.equal(r('{{"a\\tb\\u00e9"}}'), 'a\tbé');
  assert.equal(r('{{`raw\\n`}}'), 'raw\\n');
  assert.equal(r("{{'a'}} {{0x1F}} {{0o17}} {{017}} {{1_000}} {{2.5}} {{1e3}}"), '97 31 15 15 1000 2.5 1000');
  assert.equal(r('{{print nil}}'), '<nil>');
});

test('builtin functions: comparison, logic, len, index, slice, print', () => {
  assert.equal(r('{{eq .A 1}} {{eq .A 2 3 1}} {{ne .A 1}} {{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}}', { A: 1 }), 'true true false true true true false');
  assert.equal(r('{{and 1 0 2}} {{and 1 2}} {{or 0 "" "x"}} {{or 0 ""}}'), '0 2 x ');
  // and/or short-circuit: the out-of-range index is never evaluated
  assert.equal(r('{{and .F (index .L 5)}}', { F: false, L: [] }), 'false');
  assert.equal(r('{{len "é"}} {{len .L}} {{len .M}}', { L: [1, 2], M: { a: 1 } }), '2 2 1');
  assert.equal(r('{{index .M "k"}} {{index .L 1}} {{index .N 0 1}} {{index .M "none"}}', { M: { k: 'v' }, L: [5, 6], N: [[1, 2]] }), 'v 6 2 <nil>');
  assert.equal(r('{{slice .S 1 3}} {{slice .L 1}}', { S: 'abcd', L: [1, 2, 3] }), 'bc [2 3]');
  assert.equal(r('{{print 1 2 "a" 3}}|{{println "a" 1}}'), '1 2a3|a 1\n');
  rejects('{{eq 1 "1"}}', {}, /incompatible types for comparison/);
  rejects('{{index .L 3}}', { L: [1] }, /index out of range: 3/);
  rejects('{{len 3}}', {}, /len of type int/);
  rejects('{{upper 1 2}}', {}, /wrong number of args for upper: want 1 got 2/);
});

test('string and JSON helpers: json, prettyjson, join, split, upper, lower, title, html, urlquery', () => {
  assert.equal(r('{{json .}}', { a: [1, 'x'], m: new Map([['k', true]]) }), '{"a":[1,"x"],"m":{"k":true}}');
  assert.equal(r('{{json .Driver}}', machine), '{"IPAddress":"10.0.0.2","SSHPort":22}');
  assert.equal(r('{{prettyjson .Driver}}', machine), '{\n    "IPAddress": "10.0.0.2",\n    "SSHPort": 22\n}');
  assert.equal(r('{{join .Labels ", "}}', machine), 'a=1, b=2');
  assert.equal(r('{{range split "a,b" ","}}[{{.}}]{{end}}'), '[a][b]');
  assert.equal(r('{{upper "ab"}} {{lower "AB"}} {{title "hello big world"}}'), 'AB ab Hello Big World');
  assert.equal(r('{{html "<a href=\'x\'>&"}} {{urlquery "a b&c"}}'), "&lt;a href=&#39;x&#39;&gt;&amp; a+b%26c");
  rejects('{{join .Name ","}}', machine, /join: expected a list/);
});

test('printf verbs, widths, flags, and Go-style mismatch reports', () => {
  const p = (f: string, ...args: string[]) => r(`{{printf ${JSON.stringify(f)} ${args.join(' ')}}}`);
  assert.equal(p('%s|%5s|%-5s|%.2s', '"ab"', '"ab"', '"ab"', '"abc"'), 'ab|   ab|ab   |ab');
  assert.equal(p('%d|%5d|%-5d|%05d|%+d|%x|%X|%o|%b|%#x', '42', '42', '42', '-42', '42', '255', '255', '8', '5', '255'), '42|   42|42   |-0042|+42|ff|FF|10|101|0xff');
  assert.equal(p('%f|%.2f|%8.3f|%e|%g|%g', '3.14159', '3.14159', '3.14159', '1234.5', '0.000012', '100000'), '3.141590|3.14|   3.142|1.234500e+03|1.2e-05|100000');
  assert.equal(p('%v|%v|%v|%t|%q|%q|%c|%%', '"s"', '1.25', '.', 'true', '"a\\"b"', "'x'", '65'), 's|1.25|map[]|true|"a\\"b"|\'x\'|A|%');
  assert.equal(p('%*d|%-*d|', '4', '7', '3', '1'), '   7|1  |');
  assert.equal(p('%x', '"hi"'), '6869');
  assert.equal(p('%d', '"s"'), '%!d(string=s)');
  assert.equal(p('%s', '3'), '%!s(int=3)');
  assert.equal(p('%d %d', '1'), '1 %!d(MISSING)');
  assert.equal(p('%d', '1', '"x"'), '1%!(EXTRA string=x)');
  assert.equal(p('%z', '1'), '%!z(int=1)');
  assert.equal(p('end%'), 'end%!(NOVERB)');
  assert.equal(p('%d', 'nil'), '%!d(<nil>)');
  assert.equal(renderTemplate('{{printf "%d" .L}}', { L: [1, 2] }), '[1 2]');
});

test('syntax errors are INVALID_FLAG with a position', () => {
  rejects('{{.Name', machine, /syntax error at 1:1: unclosed action/);
  rejects('{{if .Name}}x', machine, /has no \{\{end\}\}/);
  rejects('x{{end}}', machine, /unexpected \{\{end\}\}/);
  rejects('{{else}}', machine, /unexpected \{\{else\}\}/);
  rejects('line1\n{{nofunc .Name}}', machine, /syntax error at 2:3: function "nofunc" not defined/);
  rejects('{{define "x"}}{{end}}', machine, /\{\{define\}\} is not supported/);
  rejects('{{template "x"}}', machine, /\{\{template\}\} is not supported/);
  rejects('{{"unterminated}}', machine, /unterminated quoted string/);
  rejects('{{}}', machine, /missing value for command/);
  rejects('{{if}}{{end}}', machine, /missing value for if/);
  rejects('{{break}}', machine, /\{\{break\}\} outside \{\{range\}\}/);
  rejects('{{(.Name}}', machine, /unclosed left paren/);
  rejects('{{/* open }}', machine, /unclosed comment/);
  rejects('{{12abc}}', machine, /bad number syntax/);
  const e = rejects('{{nofunc}}', machine, /not defined/);
  assert.match(e.suggestion ?? '', /available functions: .*printf/);
});

test('custom functions win over builtins and are callable in pipelines', () => {
  const out = renderTemplate('{{.Name | shout}} {{twice 2}}', machine, { funcs: { shout: (s) => `${String(s)}!!`, twice: (n) => Number(n) * 2 } });
  assert.equal(out, 'dev!! 4');
});

test('a parsed template runs many times with independent variables', () => {
  const t = parseTemplate('{{$n := .}}{{$n}}');
  assert.equal(t.execute(1), '1');
  assert.equal(t.execute('two'), 'two');
  assert.equal(t.source, '{{$n := .}}{{$n}}');
});

test('TEMPLATE_FUNCTIONS lists what is callable', () => {
  for (const f of ['json', 'prettyjson', 'join', 'upper', 'lower', 'printf', 'index', 'len', 'eq']) assert.ok(TEMPLATE_FUNCTIONS.includes(f), f);
});

test('unescapeFormat turns \\t and \\n into tab and newline, as docker-machine does', () => {
  assert.equal(unescapeFormat('{{.Name}}\\t{{.URL}}\\n'), '{{.Name}}\t{{.URL}}\n');
  assert.equal(unescapeFormat('a\\\\tb'), 'a\\\tb');
});
