'use strict';
// src/extension.js against a fake `vscode` API: the server command line, the
// registered commands, the preview request and its side editor, restarts and
// a missing executable.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { EXT } = require('./tokenize');
const { Uri, createFake, loadExtension } = require('./vscode-fake');
const server = require('../src/server');

const pkg = JSON.parse(fs.readFileSync(path.join(EXT, 'package.json'), 'utf8'));
const context = () => ({ subscriptions: [] });

async function activated(options) {
  const fake = createFake(options);
  const ext = loadExtension(fake);
  const ctx = context();
  await ext.activate(ctx);
  return { fake, ext, ctx, rec: fake.rec };
}

test('activation starts `meshc lsp` over stdio and registers every contributed command', async () => {
  const { rec, ctx } = await activated();
  assert.equal(rec.clients.length, 1);
  const client = rec.clients[0];
  assert.equal(client.id, 'meshc', 'the id makes meshc.trace.server work');
  assert.equal(client.serverOptions.run.command, 'meshc');
  assert.deepEqual(client.serverOptions.run.args, ['lsp']);
  assert.equal(client.serverOptions.run.transport, undefined, 'no --stdio flag is added');
  assert.ok(client.clientOptions.documentSelector.some((s) => s.language === 'mesh' && s.scheme === 'file'));
  assert.equal(client.clientOptions.synchronize.fileEvents.glob, '**/*.mesh');
  assert.ok(client.isRunning());
  for (const c of pkg.contributes.commands) assert.ok(rec.commands.has(c.command), c.command);
  assert.ok(ctx.subscriptions.length >= pkg.contributes.commands.length);
  assert.deepEqual(rec.errors, []);
});

test('meshc.path and meshc.lsp.args/env shape the command line', async () => {
  const { rec } = await activated({
    settings: { 'meshc.path': './target/release/meshc', 'meshc.lsp.args': ['--log', 'debug'], 'meshc.lsp.env': { RUST_LOG: 'trace' } },
    folder: '/home/u/proj',
  });
  const run = rec.clients[0].serverOptions.run;
  assert.equal(run.command, path.resolve('/home/u/proj', 'target/release/meshc'));
  assert.deepEqual(run.args, ['lsp', '--log', 'debug']);
  assert.equal(run.options.env.RUST_LOG, 'trace');
});

test('meshc.showPreview sends meshc/preview and shows the YAML beside the source', async () => {
  const { fake, rec } = await activated();
  const source = Uri.file('/ws/shop.mesh');
  fake.vscode.window.activeTextEditor = { document: { uri: source, languageId: 'mesh' } };
  await rec.commands.get('meshc.showPreview')();

  const client = rec.clients[0];
  assert.deepEqual(client.requests, [{ method: 'meshc/preview', params: { textDocument: { uri: 'file:///ws/shop.mesh' } } }]);
  assert.equal(rec.shown.length, 1);
  const { doc, options } = rec.shown[0];
  assert.equal(doc.uri.scheme, 'meshc-preview');
  assert.equal(doc.languageId, 'yaml');
  assert.match(doc.getText(), /^# preview of file:\/\/\/ws\/shop\.mesh\nkind: VirtualService\n$/);
  assert.equal(options.viewColumn, fake.vscode.ViewColumn.Beside);
  assert.equal(options.preserveFocus, true);
  assert.equal(Uri.parse(doc.uri.toString()).query, source.toString(), 'the preview URI carries its source');
});

test('the preview refreshes on save of a .mesh file, and shows a server error as comments', async () => {
  const { fake, rec } = await activated();
  const source = Uri.file('/ws/shop.mesh');
  fake.vscode.window.activeTextEditor = { document: { uri: source, languageId: 'mesh' } };
  await rec.commands.get('meshc.showPreview')();
  const provider = rec.providers.get('meshc-preview');
  const fired = [];
  provider.onDidChange((u) => fired.push(u.toString()));
  for (const fn of rec.onSave) fn({ languageId: 'mesh', uri: source });
  assert.equal(fired.length, 1, 'one open preview refreshed');
  for (const fn of rec.onSave) fn({ languageId: 'yaml', uri: Uri.file('/ws/x.yaml') });
  assert.equal(fired.length, 1, 'other languages do not refresh it');

  rec.clients[0].respond = () => { throw new Error('error[E0101]: unknown service `nope`\n  --> shop.mesh:3:5'); };
  const text = await provider.provideTextDocumentContent(rec.shown[0].doc.uri);
  assert.match(text, /^# meshc: no YAML for \/ws\/shop\.mesh\n# error\[E0101\]: unknown service `nope`\n#   --> shop\.mesh:3:5\n$/);

  rec.clients[0].respond = () => ({ text: 'wrong shape' });
  assert.match(await provider.provideTextDocumentContent(rec.shown[0].doc.uri), /unexpected meshc\/preview result/);
});

test('meshc.showPreview without a .mesh editor warns instead', async () => {
  const { fake, rec } = await activated();
  fake.vscode.window.activeTextEditor = { document: { uri: Uri.file('/ws/notes.md'), languageId: 'markdown' } };
  await rec.commands.get('meshc.showPreview')();
  assert.equal(rec.shown.length, 0);
  assert.equal(rec.warnings.length, 1);
  assert.equal(rec.clients[0].requests.length, 0);
});

test('changing meshc.path restarts the server with the new command', async () => {
  const settings = { 'meshc.path': 'meshc' };
  const { rec } = await activated({ settings });
  settings['meshc.path'] = '/opt/meshc/bin/meshc';
  for (const fn of rec.onConfig) fn({ affectsConfiguration: (s) => s === 'meshc.path' });
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.equal(rec.clients.length, 2);
  assert.ok(rec.clients[0].stopped);
  assert.equal(rec.clients[1].serverOptions.run.command, '/opt/meshc/bin/meshc');
  // Unrelated settings leave it alone.
  for (const fn of rec.onConfig) fn({ affectsConfiguration: (s) => s === 'editor.fontSize' });
  await new Promise((r) => setImmediate(r));
  assert.equal(rec.clients.length, 2);
});

test('a missing executable is reported with a pointer to meshc.path', async () => {
  const err = Object.assign(new Error('Launching server using command meshc failed. Error: spawn meshc ENOENT'), { code: 'ENOENT' });
  const { rec, ext, fake } = await activated({ startError: err });
  assert.equal(rec.errors.length, 1);
  assert.match(rec.errors[0].msg, /"meshc" was not found.*meshc\.path/);
  assert.deepEqual(rec.errors[0].items, ['Open Settings', 'Show Output']);
  // The preview then explains instead of hanging.
  fake.vscode.window.activeTextEditor = { document: { uri: Uri.file('/ws/a.mesh'), languageId: 'mesh' } };
  await rec.commands.get('meshc.showPreview')();
  assert.match(rec.shown[0].doc.getText(), /language server is not running/);
  await ext.deactivate();
});

test('server.js: executable resolution and messages', () => {
  assert.equal(server.resolveExecutable('meshc', '/ws'), 'meshc');
  assert.equal(server.resolveExecutable('', '/ws'), 'meshc');
  assert.equal(server.resolveExecutable(undefined, undefined), 'meshc');
  assert.equal(server.resolveExecutable('/usr/bin/meshc', '/ws'), '/usr/bin/meshc');
  assert.equal(server.resolveExecutable('bin/meshc', '/ws'), path.resolve('/ws/bin/meshc'));
  assert.equal(server.resolveExecutable('bin/meshc', undefined), 'bin/meshc');
  assert.equal(server.resolveExecutable('${workspaceFolder}/t/meshc', '/ws'), '/ws/t/meshc');
  assert.equal(server.resolveExecutable('~/bin/meshc', '/ws'), path.join(require('node:os').homedir(), 'bin/meshc'));
  assert.deepEqual(server.serverCommand({ args: ['a', 3, 'b'] }, '/ws', {}).args, ['lsp', 'a', 'b']);
  assert.deepEqual(server.previewParams('file:///a.mesh'), { textDocument: { uri: 'file:///a.mesh' } });
  assert.equal(server.previewYaml({ yaml: 'a: 1\n' }), 'a: 1\n');
  assert.equal(server.previewYaml({ yaml: null, errors: 2 }), '# meshc: no YAML: the program has 2 errors (see the Problems panel).\n');
  assert.match(server.previewYaml({ yaml: null, errors: 1 }), /has 1 error \(/);
  assert.throws(() => server.previewYaml(null), /unexpected meshc\/preview result/);
  assert.throws(() => server.previewYaml({ yaml: 3 }), /unexpected meshc\/preview result/);
  assert.match(server.startFailureMessage('x', new Error('spawn x EACCES')), /not executable/);
  assert.match(server.startFailureMessage('x', new Error('boom')), /failed to start: boom/);
});
