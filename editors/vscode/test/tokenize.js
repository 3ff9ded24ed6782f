'use strict';
// Loads syntaxes/mesh.tmLanguage.json with vscode-textmate + vscode-oniguruma,
// the same engines VS Code uses, and tokenises text line by line.
const fs = require('node:fs');
const path = require('node:path');
const vsctm = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');

const EXT = path.resolve(__dirname, '..');
const ROOT = path.resolve(EXT, '..', '..');
const GRAMMAR = path.join(EXT, 'syntaxes', 'mesh.tmLanguage.json');

let grammarPromise;

/** The grammar, loaded once per process. */
function loadGrammar() {
  if (!grammarPromise) {
    const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
    const onigLib = oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength)).then(() => ({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }));
    const registry = new vsctm.Registry({
      onigLib,
      loadGrammar: async (scopeName) => {
        if (scopeName !== 'source.mesh') return null;
        return vsctm.parseRawGrammar(fs.readFileSync(GRAMMAR, 'utf8'), GRAMMAR);
      },
    });
    grammarPromise = registry.loadGrammar('source.mesh');
  }
  return grammarPromise;
}

/**
 * Tokenises `text` and returns one entry per line: `{ line, tokens }`, where each
 * token is `{ text, scopes }` (scopes without the root `source.mesh`).
 */
async function tokenize(text) {
  const grammar = await loadGrammar();
  let state = vsctm.INITIAL;
  const out = [];
  for (const line of text.split(/\r?\n/)) {
    const r = grammar.tokenizeLine(line, state);
    const tokens = r.tokens.map((t, i) => {
      const end = i + 1 < r.tokens.length ? r.tokens[i + 1].startIndex : line.length;
      return { text: line.slice(t.startIndex, end), scopes: t.scopes.slice(1) };
    }).filter((t) => t.text.length > 0);
    out.push({ line, tokens });
    state = r.ruleStack;
  }
  return out;
}

/** A readable dump: each line, then one row per non-blank token with its scopes. */
function render(lines) {
  const rows = [];
  lines.forEach(({ line, tokens }, i) => {
    rows.push(`${String(i + 1).padStart(3)}| ${line}`);
    for (const t of tokens) {
      if (t.text.trim() === '' && t.scopes.length === 0) continue;
      rows.push(`   ${JSON.stringify(t.text)} ${t.scopes.join(' ') || '-'}`);
    }
  });
  return rows.join('\n') + '\n';
}

/** Every .mesh file of examples/ and stdlib/, as paths relative to the repository root. */
function meshFiles() {
  const found = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.posix.join(dir, e.name);
      if (e.isDirectory()) walk(rel);
      else if (e.name.endsWith('.mesh')) found.push(rel);
    }
  };
  walk('examples');
  walk('stdlib');
  return found.sort();
}

module.exports = { EXT, ROOT, GRAMMAR, loadGrammar, tokenize, render, meshFiles };

if (require.main === module) {
  // node test/tokenize.js FILE... : print the token dump of each file.
  (async () => {
    const files = process.argv.slice(2);
    if (!files.length) {
      console.error('usage: node test/tokenize.js FILE.mesh...');
      process.exitCode = 2;
      return;
    }
    for (const f of files) process.stdout.write(render(await tokenize(fs.readFileSync(f, 'utf8'))));
  })();
}
