'use strict';
// The VS Code client of `meshc lsp`: starts the server over stdio, restarts it
// when its settings change, and shows the Istio YAML of the current program in
// a read-only side editor (`meshc.showPreview`, request `meshc/preview`).
const vscode = require('vscode');
const { LanguageClient, State } = require('vscode-languageclient/node');
const server = require('./server');

const PREVIEW_SCHEME = 'meshc-preview';

let client;
let output;
let previews;

function settings() {
  const c = vscode.workspace.getConfiguration('meshc');
  return { path: c.get('path'), args: c.get('lsp.args'), env: c.get('lsp.env') };
}

function firstWorkspaceFolder() {
  const folders = vscode.workspace.workspaceFolders;
  return folders && folders.length ? folders[0].uri.fsPath : undefined;
}

async function startClient() {
  const run = server.serverCommand(settings(), firstWorkspaceFolder());
  // No `transport`: the client would append `--stdio`, which `meshc lsp` does not need.
  const serverOptions = { run, debug: run };
  const clientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'mesh' },
      { scheme: 'untitled', language: 'mesh' },
    ],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/*.mesh') },
    outputChannel: output,
  };
  // The id `meshc` makes the client read the `meshc.trace.server` setting.
  const c = new LanguageClient('meshc', 'meshc', serverOptions, clientOptions);
  client = c;
  try {
    await c.start();
  } catch (err) {
    const message = server.startFailureMessage(run.command, err);
    output.appendLine(message);
    vscode.window.showErrorMessage(message, 'Open Settings', 'Show Output').then((choice) => {
      if (choice === 'Open Settings') vscode.commands.executeCommand('workbench.action.openSettings', 'meshc.path');
      else if (choice === 'Show Output') output.show(true);
    });
  }
}

async function stopClient() {
  const c = client;
  client = undefined;
  if (!c) return;
  try {
    if (c.state !== State.Stopped) await c.stop(2000);
  } catch (err) {
    output.appendLine(`meshc: stopping the language server: ${err && err.message ? err.message : err}`);
  }
}

async function restartClient() {
  await stopClient();
  await startClient();
  previews.refreshAll();
}

/** Read-only `meshc-preview:` documents holding the YAML of a source document's program. */
class PreviewProvider {
  constructor() {
    this.changed = new vscode.EventEmitter();
    this.onDidChange = this.changed.event;
    this.open = new Set();
  }

  static uriFor(source) {
    const base = source.path.split('/').pop() || 'program.mesh';
    return vscode.Uri.from({ scheme: PREVIEW_SCHEME, path: `/${base}.istio.yaml`, query: source.toString() });
  }

  async provideTextDocumentContent(uri) {
    this.open.add(uri.toString());
    const source = vscode.Uri.parse(uri.query);
    if (!client || !client.isRunning()) {
      return '# meshc: the language server is not running (see the "meshc" output channel).\n';
    }
    try {
      // The server answers for open documents only: open it (a no-op when it is).
      await vscode.workspace.openTextDocument(source);
      const uriString = client.code2ProtocolConverter.asUri(source);
      const result = await client.sendRequest(server.PREVIEW_REQUEST, server.previewParams(uriString));
      return server.previewYaml(result);
    } catch (err) {
      const message = err && err.message ? err.message : String(err);
      return `# meshc: no YAML for ${source.fsPath || source.toString()}\n` +
        message.split(/\r?\n/).map((l) => `# ${l}`).join('\n') + '\n';
    }
  }

  refresh(uri) {
    this.changed.fire(uri);
  }

  refreshAll() {
    for (const u of this.open) this.changed.fire(vscode.Uri.parse(u));
  }

  forget(uri) {
    this.open.delete(uri.toString());
  }
}

async function showPreview(arg) {
  let source = arg instanceof vscode.Uri ? arg : undefined;
  const editor = vscode.window.activeTextEditor;
  if (!source && editor) {
    const doc = editor.document;
    if (doc.uri.scheme === PREVIEW_SCHEME) {
      previews.refresh(doc.uri);
      return;
    }
    if (doc.languageId === 'mesh') source = doc.uri;
  }
  if (!source) {
    vscode.window.showWarningMessage('meshc: open a .mesh file to preview its Istio YAML.');
    return;
  }
  const uri = PreviewProvider.uriFor(source);
  const alreadyOpen = previews.open.has(uri.toString());
  let doc = await vscode.workspace.openTextDocument(uri);
  if (doc.languageId !== 'yaml') {
    doc = await vscode.languages.setTextDocumentLanguage(doc, 'yaml').then((d) => d, () => doc);
  }
  await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true, preview: false });
  if (alreadyOpen) previews.refresh(uri);
}

async function activate(context) {
  output = vscode.window.createOutputChannel('meshc');
  previews = new PreviewProvider();
  context.subscriptions.push(
    output,
    vscode.workspace.registerTextDocumentContentProvider(PREVIEW_SCHEME, previews),
    vscode.commands.registerCommand('meshc.showPreview', showPreview),
    vscode.commands.registerCommand('meshc.restartServer', restartClient),
    vscode.commands.registerCommand('meshc.showOutput', () => output.show(true)),
    vscode.workspace.onDidSaveTextDocument((doc) => {
      if (doc.languageId === 'mesh' && vscode.workspace.getConfiguration('meshc').get('preview.refreshOnSave', true)) {
        previews.refreshAll();
      }
    }),
    vscode.workspace.onDidCloseTextDocument((doc) => {
      if (doc.uri.scheme === PREVIEW_SCHEME) previews.forget(doc.uri);
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('meshc.path') || e.affectsConfiguration('meshc.lsp')) restartClient();
    }),
  );
  await startClient();
  return { client: () => client, previewUri: (source) => PreviewProvider.uriFor(source) };
}

function deactivate() {
  return stopClient();
}

module.exports = { activate, deactivate };
