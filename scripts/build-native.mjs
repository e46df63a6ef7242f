#!/usr/bin/env node
// Builds the libtorch addon (native/) with node-gyp against Debian's libtorch-dev or $LIBTORCH.
//   node scripts/build-native.mjs              build, fail loudly when libtorch is missing
//   node scripts/build-native.mjs --if-available   (npm install) warn and succeed without libtorch,
//                                                  so judging and reward serving still install
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const root = new URL('..', import.meta.url).pathname;
const optional = process.argv.includes('--if-available');
const log = (message) => console.error(`[build:native] ${message}`);

if (process.env.R1_SKIP_NATIVE === '1') {
  log('R1_SKIP_NATIVE=1: not building the libtorch addon');
  process.exit(0);
}

const { locate, problems } = require(join(root, 'native/libtorch-config.cjs'));
const where = locate();
const missing = problems(where);
if (missing.length > 0) {
  const how =
    "run `bash scripts/setup.sh` (installs Debian's libtorch-dev and libopenblas0-pthread) or set " +
    'LIBTORCH=/path/to/libtorch (the official zip layout), then `npm run build:native`';
  if (optional) {
    log(`WARNING: libtorch not found (${where.source}: ${missing.join('; ')}).`);
    log(
      `The tensor engine (training, local models) is not built; judging and reward serving work without it.`,
    );
    log(`To build it: ${how}.`);
    process.exit(0);
  }
  log(`error: libtorch not found (${where.source}: ${missing.join('; ')}); ${how}`);
  process.exit(1);
}

let gyp;
try {
  gyp = require.resolve('node-gyp/bin/node-gyp.js');
} catch {
  log('error: node-gyp is not installed; run `npm ci` first');
  process.exit(1);
}
// Point node-gyp at this Node's own headers (Debian: /usr/include/node) so it never downloads them.
const prefix = dirname(dirname(process.execPath));
const nodedir =
  process.env.npm_config_nodedir || (existsSync(join(prefix, 'include/node/node_api.h')) ? prefix : '');
const args = [gyp, 'rebuild', '--directory=native', `--jobs=${process.env.JOBS ?? '2'}`];
if (nodedir) args.push(`--nodedir=${nodedir}`);
log(`building against ${where.source} (${where.libdir})${nodedir ? `, node headers from ${nodedir}` : ''}`);
const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
  log('error: the addon did not build; the compiler output above says why');
  process.exit(result.status ?? 1);
}
log('built native/build/Release/r1_engine.node');
