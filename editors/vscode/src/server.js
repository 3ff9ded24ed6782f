'use strict';
// How the extension finds and starts `meshc lsp`, and the shape of the custom
// preview request. Plain functions of the settings, free of the `vscode` API,
// so the tests can call them directly.
const os = require('node:os');
const path = require('node:path');

/** The custom request of `meshc lsp` that returns the Istio YAML of a document's program. */
const PREVIEW_REQUEST = 'meshc/preview';

/** Params of `meshc/preview`: the document, as in any text-document request. */
function previewParams(uri) {
  return { textDocument: { uri } };
}

/**
 * The text to show for a `meshc/preview` result, `{ yaml: string | null,
 * errors: number }`: the YAML, or, when the program has errors, a YAML
 * comment saying so. Any other shape is a protocol mismatch between this
 * extension and the server, reported as such.
 */
function previewYaml(result) {
  if (result && typeof result.yaml === 'string') return result.yaml;
  if (result && result.yaml === null) {
    const n = Number.isInteger(result.errors) ? result.errors : 0;
    const what = n === 1 ? '1 error' : `${n} errors`;
    return `# meshc: no YAML: the program has ${what} (see the Problems panel).\n`;
  }
  throw new Error(`unexpected ${PREVIEW_REQUEST} result: ${JSON.stringify(result)}`);
}

/**
 * Resolves the `meshc.path` setting. `~` is the home directory and
 * `${workspaceFolder}` the first workspace folder; a bare name (`meshc`) is
 * left for the OS to find on PATH; any other relative path is taken relative
 * to the first workspace folder (or kept as it is without one).
 */
function resolveExecutable(setting, workspaceFolder) {
  let p = (typeof setting === 'string' ? setting.trim() : '') || 'meshc';
  if (p === '~' || p.startsWith('~/') || p.startsWith('~\\')) p = path.join(os.homedir(), p.slice(1));
  if (workspaceFolder) p = p.replace(/\$\{workspaceFolder\}/g, workspaceFolder);
  const bare = !p.includes('/') && !p.includes('\\');
  if (bare || path.isAbsolute(p) || !workspaceFolder) return p;
  return path.resolve(workspaceFolder, p);
}

/**
 * The process that serves the language: `<meshc.path> lsp <meshc.lsp.args...>`
 * over stdio, with `meshc.lsp.env` added to the environment.
 */
function serverCommand(settings, workspaceFolder, baseEnv = process.env) {
  const args = Array.isArray(settings.args) ? settings.args.filter((a) => typeof a === 'string') : [];
  const extraEnv = {};
  for (const [k, v] of Object.entries(settings.env || {})) {
    if (typeof v === 'string') extraEnv[k] = v;
  }
  return {
    command: resolveExecutable(settings.path, workspaceFolder),
    args: ['lsp', ...args],
    options: { env: { ...baseEnv, ...extraEnv } },
  };
}

/** A user-facing explanation of a failure to start the server. */
function startFailureMessage(command, error) {
  const text = error && error.message ? error.message : String(error);
  if (/ENOENT/.test(text)) {
    return `meshc: cannot start the language server: "${command}" was not found. ` +
      'Install meshc or point the "meshc.path" setting at it.';
  }
  if (/EACCES/.test(text)) {
    return `meshc: cannot start the language server: "${command}" is not executable.`;
  }
  return `meshc: the language server (${command} lsp) failed to start: ${text}`;
}

module.exports = { PREVIEW_REQUEST, previewParams, previewYaml, resolveExecutable, serverCommand, startFailureMessage };
