'use strict';
// A small stand-in for the `vscode` API and for `vscode-languageclient/node`,
// enough to load src/extension.js in plain Node and watch what it does.
const Module = require('node:module');
const path = require('node:path');

class Uri {
  constructor({ scheme = 'file', authority = '', path: p = '', query = '', fragment = '' }) {
    Object.assign(this, { scheme, authority, path: p, query, fragment });
  }
  static from(parts) { return new Uri(parts); }
  static file(p) { return new Uri({ scheme: 'file', path: p }); }
  static parse(s) {
    const m = s.match(/^([a-zA-Z][\w+.-]*):(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/);
    if (!m) throw new Error(`bad uri ${s}`);
    return new Uri({ scheme: m[1], authority: m[2] || '', path: decodeURIComponent(m[3]), query: decodeURIComponent(m[4] || ''), fragment: m[5] || '' });
  }
  get fsPath() { return this.path; }
  toString() {
    const auth = this.scheme === 'file' || this.authority ? `//${this.authority}` : '';
    return `${this.scheme}:${auth}${encodeURI(this.path)}${this.query ? `?${encodeURIComponent(this.query)}` : ''}`;
  }
}

class EventEmitter {
  constructor() {
    this.listeners = [];
    this.event = (fn) => { this.listeners.push(fn); return { dispose() {} }; };
  }
  fire(e) { for (const fn of this.listeners) fn(e); }
  dispose() {}
}

/** A fresh fake world: `vscode`, the language client module, and the records of what happened. */
function createFake({ settings = {}, folder = '/ws', startError } = {}) {
  const rec = {
    commands: new Map(), clients: [], errors: [], warnings: [], shown: [], providers: new Map(),
    onSave: [], onClose: [], onConfig: [], opened: new Map(),
  };
  const disposable = { dispose() {} };
  const vscode = {
    Uri,
    EventEmitter,
    ViewColumn: { Active: -1, Beside: -2, One: 1 },
    workspace: {
      workspaceFolders: folder ? [{ uri: Uri.file(folder), name: path.basename(folder), index: 0 }] : undefined,
      getConfiguration: (section) => ({
        get: (key, dflt) => {
          const k = `${section}.${key}`;
          return k in settings ? settings[k] : dflt;
        },
      }),
      createFileSystemWatcher: (glob) => ({ glob, dispose() {} }),
      registerTextDocumentContentProvider: (scheme, provider) => { rec.providers.set(scheme, provider); return disposable; },
      onDidSaveTextDocument: (fn) => { rec.onSave.push(fn); return disposable; },
      onDidCloseTextDocument: (fn) => { rec.onClose.push(fn); return disposable; },
      onDidChangeConfiguration: (fn) => { rec.onConfig.push(fn); return disposable; },
      openTextDocument: async (uri) => {
        const provider = rec.providers.get(uri.scheme);
        const text = provider ? await provider.provideTextDocumentContent(uri) : '';
        const doc = { uri, languageId: 'plaintext', getText: () => text };
        rec.opened.set(uri.toString(), doc);
        return doc;
      },
    },
    window: {
      activeTextEditor: undefined,
      createOutputChannel: (name) => ({ name, lines: [], appendLine(l) { this.lines.push(l); }, append() {}, show() { rec.outputShown = true; }, dispose() {} }),
      showErrorMessage: (msg, ...items) => { rec.errors.push({ msg, items }); return Promise.resolve(undefined); },
      showWarningMessage: (msg) => { rec.warnings.push(msg); return Promise.resolve(undefined); },
      showTextDocument: async (doc, options) => { rec.shown.push({ doc, options }); return { document: doc }; },
    },
    commands: {
      registerCommand: (id, fn) => { rec.commands.set(id, fn); return disposable; },
      executeCommand: async () => undefined,
    },
    languages: {
      setTextDocumentLanguage: async (doc, languageId) => ({ ...doc, languageId }),
    },
  };

  const State = { Stopped: 1, Starting: 3, Running: 2 };
  class LanguageClient {
    constructor(id, name, serverOptions, clientOptions) {
      Object.assign(this, { id, name, serverOptions, clientOptions });
      this.state = State.Stopped;
      this.requests = [];
      this.stopped = false;
      this.code2ProtocolConverter = { asUri: (u) => u.toString() };
      this.respond = (method, params) => ({ yaml: `# preview of ${params.textDocument.uri}\nkind: VirtualService\n` });
      rec.clients.push(this);
    }
    async start() {
      if (startError) throw startError;
      this.state = State.Running;
    }
    isRunning() { return this.state === State.Running; }
    async stop() { this.stopped = true; this.state = State.Stopped; }
    async sendRequest(method, params) {
      this.requests.push({ method, params });
      return this.respond(method, params);
    }
  }
  const languageclient = { LanguageClient, State };
  return { vscode, languageclient, rec };
}

/** Loads a fresh src/extension.js against `fake`. */
function loadExtension(fake) {
  const entry = require.resolve('../src/extension.js');
  for (const k of Object.keys(require.cache)) {
    if (k.startsWith(path.dirname(entry))) delete require.cache[k];
  }
  const original = Module._load;
  Module._load = function load(request, parent, isMain) {
    if (request === 'vscode') return fake.vscode;
    if (request === 'vscode-languageclient/node') return fake.languageclient;
    return original.call(this, request, parent, isMain);
  };
  try {
    return require(entry);
  } finally {
    Module._load = original;
  }
}

module.exports = { Uri, createFake, loadExtension };
