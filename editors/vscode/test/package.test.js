'use strict';
// What `vsce package` would put in the .vsix (`vsce ls`, offline), and, when a
// built meshc has the `lsp` command, the `meshc/preview` request the preview
// command relies on, sent to the real server over stdio.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { EXT, ROOT } = require('./tokenize');
const { findMeshc } = require('./meshc');
const server = require('../src/server');

test('the .vsix holds the extension and its runtime dependencies, not the tests', () => {
  const vsce = path.join(EXT, 'node_modules', '@vscode', 'vsce', 'vsce');
  const r = spawnSync(process.execPath, [vsce, 'ls'], { cwd: EXT, encoding: 'utf8', timeout: 60000, stdio: ['ignore', 'pipe', 'pipe'] });
  assert.equal(r.status, 0, r.stderr);
  const files = new Set(r.stdout.split('\n').map((l) => l.trim()).filter(Boolean));
  for (const f of ['package.json', 'README.md', 'LICENSE', 'language-configuration.json', 'src/extension.js', 'src/server.js',
    'syntaxes/mesh.tmLanguage.json', 'snippets/mesh.json', 'node_modules/vscode-languageclient/node.js']) {
    assert.ok(files.has(f), `${f} is packaged`);
  }
  for (const f of files) {
    assert.ok(!f.startsWith('test/'), `${f} is not packaged`);
    assert.ok(!/^node_modules\/(@vscode\/vsce|vscode-textmate|vscode-oniguruma)\//.test(f), `dev dependency ${f} is not packaged`);
  }
});

/** `meshc lsp` of a built meshc, or why it cannot run. */
function lspServer() {
  const meshc = findMeshc();
  if (!meshc) return { skip: 'no meshc binary (build it with cargo, or set MESHC)' };
  const help = spawnSync(meshc, ['--help'], { encoding: 'utf8', timeout: 10000 });
  if (!/^\s+lsp\b/m.test(help.stdout || '')) return { skip: `${meshc} has no lsp command yet` };
  return { meshc };
}

/** Starts `meshc lsp` in `dir` and initialises it; `close()` shuts it down and always ends the process. */
async function startServer(meshc, dir) {
  const rpc = require('vscode-languageserver-protocol/node');
  const child = spawn(meshc, ['lsp'], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  child.stdin.on('error', () => {});
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const conn = rpc.createProtocolConnection(new rpc.StreamMessageReader(child.stdout), new rpc.StreamMessageWriter(child.stdin));
  conn.onError(() => {});
  conn.listen();
  const within = (p, ms) => Promise.race([p, new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms).unref())]);
  await within(conn.sendRequest('initialize', {
    processId: process.pid,
    rootUri: `file://${dir}`,
    workspaceFolders: [{ uri: `file://${dir}`, name: path.basename(dir) }],
    capabilities: {},
  }), 20000);
  await conn.sendNotification('initialized', {});
  return {
    rpc,
    stderr: () => stderr,
    open: (file) => conn.sendNotification('textDocument/didOpen', {
      textDocument: { uri: `file://${file}`, languageId: 'mesh', version: 1, text: fs.readFileSync(file, 'utf8') },
    }),
    preview: (file) => within(conn.sendRequest(server.PREVIEW_REQUEST, server.previewParams(`file://${file}`)), 20000),
    async close() {
      try {
        await within(conn.sendRequest('shutdown'), 5000);
        await conn.sendNotification('exit');
        await within(exited, 5000);
      } catch {
        // Ended below.
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
        conn.dispose();
      }
    },
  };
}

test('meshc/preview on the real server: the YAML of an example, or the error count of a broken program', { timeout: 90000 }, async (t) => {
  const { meshc, skip } = lspServer();
  if (skip) {
    t.skip(skip);
    return;
  }
  const dir = path.join(ROOT, 'examples', 'bookinfo');
  const file = path.join(dir, 'bookinfo.mesh');
  const srv = await startServer(meshc, dir);
  try {
    await srv.open(file);
    let result;
    try {
      result = await srv.preview(file);
    } catch (err) {
      if (err && err.code === srv.rpc.ErrorCodes.MethodNotFound) {
        t.skip(`meshc lsp does not answer ${server.PREVIEW_REQUEST} yet`);
        return;
      }
      throw err;
    }
    const yaml = server.previewYaml(result);
    assert.match(yaml, /apiVersion: networking\.istio\.io\/v1/);
    assert.match(yaml, /kind: VirtualService/);
    assert.equal(result.errors, 0);
    const compiled = spawnSync(meshc, ['compile', dir], { encoding: 'utf8', timeout: 30000 });
    assert.equal(compiled.status, 0, compiled.stderr);
    assert.equal(yaml, compiled.stdout, 'the preview is what meshc compile writes');
  } catch (err) {
    err.message += `\nmeshc lsp stderr:\n${srv.stderr()}`;
    throw err;
  } finally {
    await srv.close();
  }

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'meshc-preview-'));
  const broken = path.join(tmp, 'broken.mesh');
  fs.writeFileSync(broken, 'namespace shop {\n  service web {\n    port 8080 http\n    route {\n      default => nope\n    }\n  }\n}\n');
  const srv2 = await startServer(meshc, tmp);
  try {
    await srv2.open(broken);
    const result = await srv2.preview(broken);
    assert.equal(result.yaml, null);
    assert.ok(result.errors >= 1, JSON.stringify(result));
    assert.match(server.previewYaml(result), /^# meshc: no YAML: the program has \d+ errors? /);
  } finally {
    await srv2.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
