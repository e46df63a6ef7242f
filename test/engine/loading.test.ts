// The addon loads lazily: importing r1-reward never loads it, and a missing build says how to build it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { engineSkipReason } from './fixtures.js';

const root = new URL('../../', import.meta.url).pathname;
const run = (code: string, env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
const loadedLibraries = `(await import('node:fs')).readFileSync('/proc/self/maps', 'utf8').split('\\n').filter((l) => /r1_engine|libtorch/.test(l)).length`;

describe('lazy loading of the addon', () => {
  it('importing the package loads neither the addon nor libtorch', () => {
    const out = run(
      `import * as pkg from './src/index.ts'; console.log(typeof pkg.engine.tensor, ${loadedLibraries});`,
    );
    assert.equal(out.status, 0, out.stderr);
    assert.equal(out.stdout.trim(), 'function 0');
  });

  it('using a tensor without the addon throws one clear error naming the fix', () => {
    const out = run(
      `import { engine } from './src/index.ts';
       try { engine.zeros([1]); } catch (e) { console.log(e.name + ': ' + e.message); }`,
      { R1_ENGINE_ADDON: '/nonexistent/r1_engine.node' },
    );
    assert.equal(out.status, 0, out.stderr);
    assert.match(
      out.stdout,
      /EngineUnavailableError: The libtorch tensor engine is not available: \/nonexistent\/r1_engine.node does not exist/,
    );
    assert.match(out.stdout, /npm run build:native/);
    assert.match(out.stdout, /bash scripts\/setup.sh/);
  });

  it('the first tensor operation loads it', { skip: engineSkipReason() }, () => {
    const out = run(
      `import { engine } from './src/index.ts'; engine.zeros([1]); console.log(${loadedLibraries} > 0);`,
    );
    assert.equal(out.status, 0, out.stderr);
    assert.equal(out.stdout.trim(), 'true');
  });
});
