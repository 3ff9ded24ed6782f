'use strict';
// package.json contributes what the extension needs; the language
// configuration and the snippets are well-formed; every snippet, expanded with
// its defaults, is a program that `meshc check` accepts (when meshc is built).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { EXT } = require('./tokenize');
const { findMeshc } = require('./meshc');

const readJson = (rel) => JSON.parse(fs.readFileSync(path.join(EXT, rel), 'utf8'));
const pkg = readJson('package.json');

test('package.json: identity fields that vsce needs to package without prompting', () => {
  for (const field of ['name', 'displayName', 'description', 'version', 'publisher', 'license']) {
    assert.equal(typeof pkg[field], 'string', field);
    assert.ok(pkg[field].length > 0, field);
  }
  assert.match(pkg.repository.url, /^https:\/\//);
  assert.match(pkg.engines.vscode, /^\^1\.\d+\.\d+$/);
  assert.ok(fs.existsSync(path.join(EXT, 'LICENSE')), 'LICENSE');
  assert.ok(fs.existsSync(path.join(EXT, 'README.md')), 'README.md');
  assert.ok(fs.existsSync(path.join(EXT, pkg.main)), `main ${pkg.main}`);
  assert.match(pkg.dependencies['vscode-languageclient'], /^\^9\./);
  for (const dev of ['@vscode/vsce', 'vscode-textmate', 'vscode-oniguruma']) assert.ok(pkg.devDependencies[dev], dev);
});

test('package.json: the mesh language, grammar, snippets and configuration', () => {
  const c = pkg.contributes;
  const lang = c.languages.find((l) => l.id === 'mesh');
  assert.ok(lang, 'language id mesh');
  assert.deepEqual(lang.extensions, ['.mesh']);
  assert.ok(fs.existsSync(path.join(EXT, lang.configuration)), lang.configuration);

  const grammar = c.grammars.find((g) => g.language === 'mesh');
  assert.equal(grammar.scopeName, 'source.mesh');
  const tm = readJson(grammar.path);
  assert.equal(tm.scopeName, 'source.mesh');

  const snippets = c.snippets.find((s) => s.language === 'mesh');
  assert.ok(fs.existsSync(path.join(EXT, snippets.path)), snippets.path);

  const props = c.configuration.properties;
  assert.equal(props['meshc.path'].type, 'string');
  assert.equal(props['meshc.path'].default, 'meshc');
  assert.equal(props['meshc.lsp.args'].type, 'array');
  assert.deepEqual(props['meshc.lsp.args'].default, []);
  assert.deepEqual(props['meshc.trace.server'].enum, ['off', 'messages', 'verbose']);
  for (const [key, prop] of Object.entries(props)) {
    assert.ok(key.startsWith('meshc.'), key);
    assert.ok(prop.description || prop.markdownDescription, `${key} is described`);
  }
});

test('package.json: commands, and the source registers each of them', () => {
  const commands = pkg.contributes.commands.map((c) => c.command);
  assert.ok(commands.includes('meshc.showPreview'));
  assert.ok(commands.includes('meshc.restartServer'));
  const src = fs.readFileSync(path.join(EXT, pkg.main), 'utf8');
  for (const cmd of commands) assert.ok(src.includes(`registerCommand('${cmd}'`), `${cmd} is registered`);
  for (const menu of Object.values(pkg.contributes.menus)) {
    for (const item of menu) assert.ok(commands.includes(item.command), `menu item ${item.command}`);
  }
  for (const kb of pkg.contributes.keybindings) assert.ok(commands.includes(kb.command), `keybinding ${kb.command}`);
});

test('package.json: activation (implicit from the contributions) and scripts', () => {
  // VS Code >= 1.74 activates on the contributed language and commands.
  assert.deepEqual(pkg.activationEvents, []);
  assert.match(pkg.scripts.test, /node --test/);
  assert.ok(!pkg.scripts['vscode:prepublish'], 'no build step: the extension is plain JavaScript');
});

test('.vscodeignore keeps tests, snapshots and sources of dev tools out of the .vsix', () => {
  const ignore = fs.readFileSync(path.join(EXT, '.vscodeignore'), 'utf8').split('\n').map((l) => l.trim());
  for (const p of ['test/**', '*.vsix']) assert.ok(ignore.includes(p), p);
});

test('language-configuration.json: comments, brackets, pairs and indentation', () => {
  const conf = readJson('language-configuration.json');
  assert.equal(conf.comments.lineComment, '#');
  assert.deepEqual(conf.brackets, [['{', '}'], ['(', ')']]);
  const opens = conf.autoClosingPairs.map((p) => p.open);
  assert.deepEqual(opens, ['{', '(', '"']);
  const word = new RegExp(conf.wordPattern);
  assert.equal('fraud-check'.match(word)[0], 'fraud-check');
  assert.equal('250ms'.match(word)[0], '250ms');
  const inc = new RegExp(conf.indentationRules.increaseIndentPattern);
  const dec = new RegExp(conf.indentationRules.decreaseIndentPattern);
  for (const line of ['service a {', '  route {   # rules', 'profile p(', 'limits { max_pending 1 } eject {']) {
    assert.ok(inc.test(line), `indent after ${JSON.stringify(line)}`);
  }
  for (const line of ['eject { consecutive_5xx 5 }', 'host "{"', '# {', 'port 80 http']) {
    assert.ok(!inc.test(line), `no indent after ${JSON.stringify(line)}`);
  }
  assert.ok(dec.test('  }'));
  assert.ok(dec.test(') {'));
  assert.ok(!dec.test('  port 80 http'));
  const docRule = conf.onEnterRules.find((r) => r.action.appendText === '## ');
  assert.ok(new RegExp(docRule.beforeText).test('  ## doc'), 'doc comments continue on Enter');
});

// ---------------------------------------------------------------- snippets

/**
 * Parses a VS Code snippet body (TextMate snippet syntax) and returns the text
 * with every placeholder replaced by its default (a choice by its first
 * option). Throws on malformed syntax.
 */
function expandSnippet(body) {
  let i = 0;
  const tabstops = new Set();
  const fail = (msg) => { throw new Error(`${msg} at ${i} in ${JSON.stringify(body)}`); };
  function text(stopAt) {
    let out = '';
    while (i < body.length) {
      const c = body[i];
      if (stopAt && stopAt.includes(c)) return out;
      if (c === '\\') {
        const n = body[i + 1];
        if (n === undefined) fail('dangling backslash');
        out += '$}\\,|'.includes(n) ? n : c + n;
        i += 2;
      } else if (c === '$') {
        out += dollar();
      } else {
        out += c;
        i += 1;
      }
    }
    if (stopAt) fail(`unclosed placeholder (wanted ${stopAt})`);
    return out;
  }
  function dollar() {
    i += 1;
    const num = body.slice(i).match(/^\d+/);
    if (num) {
      i += num[0].length;
      tabstops.add(Number(num[0]));
      return '';
    }
    const variable = body.slice(i).match(/^[A-Z_]+/);
    if (variable) fail(`variables are not used here (${variable[0]})`);
    if (body[i] !== '{') fail('a "$" that is neither a tabstop nor a placeholder (escape it as \\$)');
    i += 1;
    const n = body.slice(i).match(/^\d+/);
    if (!n) fail('placeholder without a number');
    i += n[0].length;
    tabstops.add(Number(n[0]));
    const c = body[i];
    if (c === '}') { i += 1; return ''; }
    if (c === ':') {
      i += 1;
      const inner = text('}');
      i += 1;
      return inner;
    }
    if (c === '|') {
      i += 1;
      const options = [];
      let cur = '';
      while (body[i] !== '|') {
        if (i >= body.length) fail('unclosed choice');
        if (body[i] === '\\' && ',|\\'.includes(body[i + 1])) { cur += body[i + 1]; i += 2; continue; }
        if (body[i] === ',') { options.push(cur); cur = ''; i += 1; continue; }
        cur += body[i];
        i += 1;
      }
      options.push(cur);
      if (body[i + 1] !== '}') fail('choice not closed by |}');
      i += 2;
      if (options.some((o) => o === '')) fail('empty choice');
      return options[0];
    }
    return fail(`unexpected ${JSON.stringify(c)} in placeholder`);
  }
  const out = text(null);
  return { text: out, tabstops };
}

const snippets = readJson('snippets/mesh.json');

test('snippets: each has a prefix, a description and a body that parses', () => {
  const required = ['service', 'route', 'allow', 'external', 'profile'];
  const prefixes = Object.values(snippets).map((s) => s.prefix);
  for (const p of required) assert.ok(prefixes.includes(p), `snippet ${p}`);
  assert.equal(new Set(prefixes).size, prefixes.length, 'prefixes are unique');
  for (const [name, s] of Object.entries(snippets)) {
    assert.equal(typeof s.prefix, 'string', name);
    assert.equal(typeof s.description, 'string', name);
    assert.ok(Array.isArray(s.body) && s.body.length > 0, name);
    const { text, tabstops } = expandSnippet(s.body.join('\n'));
    assert.ok(text.trim().length > 0, name);
    assert.ok(tabstops.size > 0, `${name} has tabstops`);
    assert.ok(!/\$/.test(text), `${name} expands fully: ${text}`);
  }
});

test('the snippet parser rejects malformed bodies', () => {
  for (const bad of ['${1:open', '${1|a,b}', '${x}', 'cost $', '${1|a,,b|}']) {
    assert.throws(() => expandSnippet(bad), undefined, bad);
  }
  assert.equal(expandSnippet('a ${1:b ${2:c}} \\$d ${3|x,y|}$0').text, 'a b c $d x');
});

// Where each snippet stands in a program: `@` is replaced by the expansion.
const CONTEXT = {
  top: '@\n',
  namespace: 'namespace t {\n  service frontend {\n    port 8080 http\n  }\n@\n}\n',
  service: 'mesh {\n  mtls strict\n}\nnamespace t {\n  service frontend {\n    port 8080 http\n  }\n  service api {\n    port 8080 http\n    subsets version: v1, v2\n@\n  }\n}\n',
  bareService: 'namespace t {\n  service api {\n    port 8080 http\n@\n  }\n}\n',
  route: 'namespace t {\n  service api {\n    port 8080 http\n    subsets version: v1, v2\n    route {\n@\n    }\n  }\n}\n',
};
const WHERE = {
  namespace: 'top', mesh: 'top', profile: 'top', jwt: 'top', use: 'top',
  service: 'namespace', external: 'namespace', deny: 'namespace',
  subsets: 'bareService', route: 'service', allow: 'service', limits: 'service', eject: 'service',
  when: 'route',
};

test('snippets expand to programs that meshc check accepts', (t) => {
  const meshc = findMeshc();
  if (!meshc) {
    t.skip('no meshc binary (build it with cargo, or set MESHC)');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshc-snippets-'));
  try {
    for (const [name, s] of Object.entries(snippets)) {
      const where = WHERE[s.prefix];
      assert.ok(where, `test/manifest.test.js: say where snippet ${s.prefix} stands (WHERE)`);
      const expansion = expandSnippet(s.body.join('\n')).text.replace(/\t/g, '  ');
      const program = CONTEXT[where].replace('@', expansion);
      const file = path.join(dir, `${s.prefix}.mesh`);
      fs.writeFileSync(file, program);
      const r = spawnSync(meshc, ['check', file], { encoding: 'utf8', timeout: 30000 });
      assert.equal(r.status, 0, `snippet ${name} in ${where}:\n${program}\nmeshc check:\n${r.stdout}${r.stderr}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
