'use strict';
// Finds a built `meshc` for the tests that run it: $MESHC, else the debug or
// release binary of the workspace's cargo target directory.
const fs = require('node:fs');
const path = require('node:path');
const { ROOT } = require('./tokenize');

function findMeshc() {
  if (process.env.MESHC) return fs.existsSync(process.env.MESHC) ? process.env.MESHC : undefined;
  const target = process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target');
  for (const profile of ['debug', 'release']) {
    const exe = path.join(target, profile, process.platform === 'win32' ? 'meshc.exe' : 'meshc');
    if (fs.existsSync(exe)) return exe;
  }
  return undefined;
}

module.exports = { findMeshc };
