'use strict';
// The TextMate grammar, tokenised by vscode-textmate + vscode-oniguruma (the
// engines VS Code itself uses): snapshots of every example and stdlib file,
// and scope assertions on small inputs. `UPDATE=1 npm test` rewrites the
// snapshots under test/snapshots/.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { EXT, ROOT, tokenize, render, meshFiles } = require('./tokenize');

const SNAPSHOTS = path.join(EXT, 'test', 'snapshots');
const UPDATE = process.env.UPDATE === '1';

const snapshotName = (file) => file.replace(/\//g, '__') + '.snap';

/** The keywords of the normative grammar: every `kw_NAME` rule's word. */
function grammarKeywords() {
  const pest = fs.readFileSync(path.join(ROOT, 'grammar', 'mesh.pest'), 'utf8');
  const kws = [...pest.matchAll(/^kw_(\w+)\s*=\s*@\{\s*"([^"]+)"/gm)].map((m) => m[2]);
  assert.ok(kws.length > 50, 'kw_* rules found in grammar/mesh.pest');
  return kws;
}

/** The words of a `setting_key` rule: keys of limits { } and eject { }. */
function settingKeys() {
  const pest = fs.readFileSync(path.join(ROOT, 'grammar', 'mesh.pest'), 'utf8');
  const rule = pest.match(/^setting_key\s*=\s*@\{([\s\S]*?)\n\}/m);
  assert.ok(rule, 'setting_key rule in grammar/mesh.pest');
  return [...rule[1].matchAll(/"([a-z_0-9]+)"/g)].map((m) => m[1]).filter((w) => w !== '_');
}

/** A `pub const NAME: [...] = [...]` string list of compiler/src/names/vocab.rs. */
function vocab(name) {
  const src = fs.readFileSync(path.join(ROOT, 'compiler', 'src', 'names', 'vocab.rs'), 'utf8');
  const m = src.match(new RegExp(`pub const ${name}:[^=]*=\\s*\\[([\\s\\S]*?)\\];`));
  assert.ok(m, `${name} in vocab.rs`);
  return [...m[1].matchAll(/\(?"([^"]+)"/g)].map((x) => x[1]);
}

/** Scopes of the token covering `word` (its nth occurrence, -1 for the last) on a one-line input. */
async function scopesOf(line, word, nth = 0) {
  const [{ tokens }] = await tokenize(line);
  let col = -1;
  if (nth < 0) col = line.lastIndexOf(word);
  else for (let i = 0; i <= nth; i++) col = line.indexOf(word, col + 1);
  assert.ok(col >= 0, `${word} in ${line}`);
  let at = 0;
  for (const t of tokens) {
    if (col >= at && col < at + t.text.length) {
      assert.equal(t.text.includes(word) || word.includes(t.text), true, `token ${JSON.stringify(t.text)} vs ${word}`);
      return t.scopes;
    }
    at += t.text.length;
  }
  // Tokens were filtered of empty text only, so this is unreachable for a found word.
  assert.fail(`no token at ${col} in ${line}`);
}

async function expectScope(line, word, scope, nth = 0) {
  const scopes = await scopesOf(line, word, nth);
  assert.ok(scopes.some((s) => s === scope || s.startsWith(scope + '.')),
    `${JSON.stringify(word)} in ${JSON.stringify(line)}: expected ${scope}, got [${scopes.join(', ')}]`);
}

const files = meshFiles();

test('there are example and stdlib files to tokenise', () => {
  assert.ok(files.some((f) => f.startsWith('examples/')), 'examples/*.mesh');
  assert.ok(files.some((f) => f.startsWith('stdlib/')), 'stdlib/*.mesh');
});

test('token snapshots of examples/ and stdlib/', async (t) => {
  if (UPDATE) fs.mkdirSync(SNAPSHOTS, { recursive: true });
  for (const file of files) {
    await t.test(file, async () => {
      const actual = render(await tokenize(fs.readFileSync(path.join(ROOT, file), 'utf8')));
      const snap = path.join(SNAPSHOTS, snapshotName(file));
      if (UPDATE) {
        fs.writeFileSync(snap, actual);
        return;
      }
      assert.ok(fs.existsSync(snap), `no snapshot ${path.relative(EXT, snap)}: run UPDATE=1 npm test`);
      assert.equal(actual, fs.readFileSync(snap, 'utf8'), `token scopes of ${file} changed (UPDATE=1 npm test accepts)`);
    });
  }
  const wanted = new Set(files.map(snapshotName));
  const stale = fs.existsSync(SNAPSHOTS) ? fs.readdirSync(SNAPSHOTS).filter((f) => f.endsWith('.snap') && !wanted.has(f)) : [];
  if (UPDATE) for (const f of stale) fs.unlinkSync(path.join(SNAPSHOTS, f));
  else assert.deepEqual(stale, [], 'snapshots without a source file (UPDATE=1 npm test removes them)');
});

test('no token of an example or stdlib file is invalid, and no keyword is left unscoped', async () => {
  const kws = new Set([...grammarKeywords(), ...settingKeys()]);
  const problems = [];
  for (const file of files) {
    const lines = await tokenize(fs.readFileSync(path.join(ROOT, file), 'utf8'));
    lines.forEach(({ tokens }, i) => {
      for (const tok of tokens) {
        const where = `${file}:${i + 1} ${JSON.stringify(tok.text)}`;
        if (tok.scopes.some((s) => s.startsWith('invalid'))) problems.push(`${where} is ${tok.scopes.join(' ')}`);
        if (kws.has(tok.text.trim()) && tok.scopes.length === 0) problems.push(`${where} is a keyword without a scope`);
      }
    });
  }
  assert.deepEqual(problems, []);
});

test('every keyword of grammar/mesh.pest is highlighted', async () => {
  // Parameter types are keywords only inside a profile's parameter list.
  const types = new Set(['int', 'duration', 'percent', 'string', 'name']);
  const missing = [];
  for (const kw of grammarKeywords()) {
    const line = types.has(kw) ? `profile p(x: ${kw}) {}` : `${kw} `;
    const scopes = await scopesOf(line, kw);
    const ok = scopes.some((s) => /^(keyword|constant\.language|storage\.type|variable\.language)\./.test(s));
    if (!ok) missing.push(`${kw}: [${scopes.join(', ')}]`);
  }
  for (const key of settingKeys()) {
    const scopes = await scopesOf(`${key} 1`, key);
    if (!scopes.includes('keyword.other.setting.mesh')) missing.push(`${key}: [${scopes.join(', ')}]`);
  }
  assert.deepEqual(missing, []);
});

test('keywords are grouped: declarations, statements, operators, constants', async () => {
  for (const kw of ['mesh', 'namespace', 'service', 'external', 'profile', 'jwt', 'use']) {
    await expectScope(`${kw} `, kw, 'keyword.declaration');
  }
  for (const kw of ['port', 'route', 'when', 'default', 'retries', 'timeout', 'allow', 'deny', 'egress', 'mtls']) {
    await expectScope(`${kw} `, kw, 'keyword.other.statement');
  }
  for (const kw of ['per_try', 'header', 'prefix', 'regex', 'present', 'to', 'method']) {
    await expectScope(`${kw} `, kw, 'keyword.other.option');
  }
  for (const kw of ['and', 'or', 'not']) await expectScope(`x ${kw} y`, kw, 'keyword.operator.logical');
  for (const kw of ['in', 'contains']) await expectScope(`x ${kw} y`, kw, 'keyword.operator.word');
  for (const kw of ['rest', 'off', 'auto', 'all', 'nothing']) await expectScope(`x ${kw}`, kw, 'constant.language');
  await expectScope('use std.resilient', 'std', 'variable.language.std');
});

test('keywords inside names are not keywords', async () => {
  for (const [line, word] of [
    ['service fraud-check {', 'check'],
    ['egress namespace my-service', 'my-service'],
    ['default => port-v2', 'port-v2'],
    ['subsets track: route_a, b', 'route_a'],
  ]) {
    const scopes = await scopesOf(line, word);
    assert.ok(!scopes.some((s) => s.startsWith('keyword')), `${word} in ${line}: [${scopes.join(', ')}]`);
  }
});

test('declared and referenced names', async () => {
  await expectScope('namespace shop {', 'shop', 'entity.name.namespace');
  await expectScope('  service reviews {', 'reviews', 'entity.name.type.service');
  await expectScope('  external maps {', 'maps', 'entity.name.type.external');
  await expectScope('jwt google {', 'google', 'entity.name.type.jwt-provider');
  await expectScope('subset canary version=v4 {', 'canary', 'entity.name.type.subset');
  await expectScope('when from service frontend => v2', 'frontend', 'entity.name.type.service');
  await expectScope('egress service accounts.identity', 'accounts', 'entity.name.type.service');
  await expectScope('egress service accounts.identity', 'identity', 'entity.name.namespace');
  await expectScope('default => service reviews:v2 port 80', 'v2', 'entity.name.type.subset');
  await expectScope('profile canary(weight: percent = 10%) {', 'canary', 'entity.name.function.profile');
  await expectScope('profile canary(weight: percent = 10%) {', 'weight', 'variable.parameter');
  await expectScope('profile canary(weight: percent = 10%) {', 'percent', 'storage.type');
  await expectScope('profile canary(weight: percent = 10%) {', '10', 'constant.numeric.percentage');
  await expectScope('use std.sticky_session(cookie_name: "c", lifetime: 8h)', 'sticky_session', 'entity.name.function.profile');
  await expectScope('use std.sticky_session(cookie_name: "c", lifetime: 8h)', 'lifetime', 'variable.parameter');
  await expectScope('use std.sticky_session(cookie_name: "c", lifetime: 8h)', '8', 'constant.numeric.duration');
});

test('a profile parameter list may span lines', async () => {
  const lines = await tokenize('profile p(\n  a: int = 1,\n  b: duration = 2s\n) {\n  timeout b\n}');
  const find = (n, text) => lines[n].tokens.find((t) => t.text === text).scopes;
  assert.ok(find(1, 'a').includes('variable.parameter.mesh'));
  assert.ok(find(2, 'duration').includes('storage.type.mesh'));
  assert.ok(find(4, 'timeout').includes('keyword.other.statement.mesh'));
});

test('comments and doc comments', async () => {
  await expectScope('# a comment with service and 10s', 'service', 'comment.line.number-sign');
  await expectScope('port 80 http # trailing', 'trailing', 'comment.line.number-sign');
  await expectScope('## Documents the next declaration.', 'Documents', 'comment.line.double-number-sign.documentation');
  await expectScope('## Use it: `use std.canary(weight: 5%)`.', '`use std.canary', 'markup.inline.raw');
  await expectScope('## doc', '##', 'punctuation.definition.comment');
  await expectScope('host "a#b" # c', 'a#b', 'string.quoted.double');
});

test('strings and escapes', async () => {
  await expectScope('host "api.example.com"', 'api.example.com', 'string.quoted.double');
  await expectScope('when header "x" == "a\\"b" => v1', '\\"', 'constant.character.escape');
  await expectScope('request set header "x" "a\\\\b"', '\\\\', 'constant.character.escape');
  await expectScope('request set header "x" "a\\nb"', '\\n', 'constant.character.escape');
  await expectScope('when path regex "^/v\\d+/" => v1', '\\d', 'constant.character.escape.verbatim');
  // An escaped quote does not end the string.
  await expectScope('host "a\\"service"', 'service', 'string.quoted.double');
  // An unterminated string ends at the end of its line and marks it.
  const lines = await tokenize('host "open\nservice x {');
  assert.ok(lines[0].tokens.some((t) => t.scopes.some((s) => s.startsWith('invalid.illegal.unterminated-string'))));
  assert.ok(lines[1].tokens[0].scopes.includes('keyword.declaration.mesh'), 'the next line is code again');
});

test('durations, percentages and numbers', async () => {
  for (const d of ['250ms', '1.5s', '5m', '1h', '30s']) {
    await expectScope(`timeout ${d}`, d.replace(/[a-z]+$/, ''), 'constant.numeric.duration');
    await expectScope(`timeout ${d}`, d.match(/[a-z]+$/)[0], 'keyword.other.unit', -1);
  }
  for (const p of ['10%', '0.5%', '100%']) await expectScope(`default => v1 ${p}`, p.slice(0, -1), 'constant.numeric.percentage');
  await expectScope('max_connections 100', '100', 'constant.numeric.integer');
  await expectScope('port 9080 http', '9080', 'constant.numeric.integer');
  await expectScope('timeout 10x', '10x', 'invalid.illegal.number');
  // Digits inside names are not numbers.
  for (const [line, word] of [['consecutive_5xx 5', 'consecutive_5xx'], ['subsets version: v1', 'v1'], ['port 80 http2', 'http2']]) {
    const scopes = await scopesOf(line, word);
    assert.ok(!scopes.some((s) => s.startsWith('constant.numeric')), `${word}: [${scopes.join(', ')}]`);
  }
});

test('HTTP methods, operators and punctuation', async () => {
  for (const m of vocab('METHODS')) await expectScope(`when method ${m} => v1`, m, 'support.constant.http-method');
  await expectScope('when method GETT => v1', 'GETT', 'invalid.illegal.http-method');
  await expectScope('when header "x" == "y" => v2', '==', 'keyword.operator.comparison');
  await expectScope('when header "x" == "y" => v2', '=>', 'keyword.operator.arrow');
  await expectScope('selector app=web, "app.kubernetes.io/name"=shop', 'app', 'entity.other.attribute-name.label');
  await expectScope('selector app=web, "app.kubernetes.io/name"=shop', 'web', 'string.unquoted.label-value');
  await expectScope('selector app=web, "app.kubernetes.io/name"=shop', 'shop', 'string.unquoted.label-value');
  await expectScope('selector app=web', '=', 'keyword.operator.assignment');
  await expectScope('subsets version: v1, v2', 'version', 'entity.other.attribute-name.label');
  await expectScope('eject { consecutive_5xx 5; interval 10s }', ';', 'punctuation.terminator.statement');
  await expectScope('eject { consecutive_5xx 5 }', '{', 'punctuation.section.block.begin');
  await expectScope('egress service a, b', ',', 'punctuation.separator.comma');
  await expectScope('when header "x" present \\', '\\', 'punctuation.separator.continuation.line');
});

test('fixed values after their keyword follow compiler/src/names/vocab.rs', async () => {
  const cases = [
    ['tls', vocab('TLS_MODES'), 'constant.language.tls-mode'],
    ['mtls', vocab('MTLS_MODES'), 'constant.language.mtls-mode'],
    ['outbound', vocab('OUTBOUND_MODES'), 'constant.language.outbound'],
    ['resolution', vocab('RESOLUTIONS'), 'constant.language.resolution'],
    ['balance', vocab('BALANCES').filter((b) => b !== 'least_conn'), 'constant.language.balance'],
  ];
  for (const [kw, values, scope] of cases) {
    assert.ok(values.length > 1, `${kw} values`);
    for (const v of values) {
      await expectScope(`${kw} ${v}`, kw, 'keyword.other.statement');
      await expectScope(`${kw} ${v}`, v, scope, -1);
    }
  }
  await expectScope('balance least_conn', 'least_conn', 'invalid.deprecated.balance');
  // The brief's constants, spelled out.
  for (const [line, word] of [['mtls permissive', 'permissive'], ['balance round_robin', 'round_robin'],
    ['outbound registry_only', 'registry_only'], ['resolution static', 'static'], ['resolution none', 'none'],
    ['tls mutual credential "c"', 'mutual'], ['tls mesh', 'mesh'], ['tls off', 'off']]) {
    await expectScope(line, word, 'constant.language', -1);
  }
  // A name that happens to spell a value is a value only after its keyword.
  const scopes = await scopesOf('default => random', 'random');
  assert.ok(!scopes.some((s) => s.startsWith('constant')), `[${scopes.join(', ')}]`);
});

test('port protocols and retry conditions', async () => {
  const protocols = fs.readFileSync(path.join(ROOT, 'compiler', 'src', 'ir', 'mod.rs'), 'utf8')
    .match(/const ALL: \[\(&'static str, Protocol\); \d+\] = \[([\s\S]*?)\];/);
  assert.ok(protocols, 'Protocol::ALL in compiler/src/ir/mod.rs');
  for (const [, p] of protocols[1].matchAll(/\("([^"]+)"/g)) {
    await expectScope(`port 8080 ${p}`, p, 'constant.language.protocol');
  }
  await expectScope('port p http target 443', 'target', 'keyword.other.option');
  const line = 'retries 3 per_try 2s on gateway_error, connect_failure, server_error timeout 1s';
  for (const c of ['gateway_error', 'connect_failure', 'server_error']) await expectScope(line, c, 'constant.language.retry-condition');
  await expectScope(line, 'timeout', 'keyword.other.statement');
  await expectScope(line, '1', 'constant.numeric.duration', 2);
  const names = vocab('RETRY_ON').map((tok) => (tok === '5xx' ? 'server_error' : tok.replace(/-/g, '_')));
  for (const c of names) await expectScope(`retries 2 on ${c}`, c, 'constant.language.retry-condition');
  // A list goes on after a trailing comma.
  const lines = await tokenize('retries 2 on reset,\n  cancelled\ninternal');
  assert.ok(lines[1].tokens.find((t) => t.text === 'cancelled').scopes.includes('constant.language.retry-condition.mesh'));
  assert.ok(lines[2].tokens.find((t) => t.text === 'internal').scopes.includes('keyword.other.statement.mesh'));
});
