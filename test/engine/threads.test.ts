// The engine's intra-op threads at load: libtorch's own default, unless R1_REWARD_THREADS says
// otherwise; setNumThreads still changes it afterwards. Each case runs in a fresh process, and
// "libtorch's own default" is the addon loaded directly, without src/engine's startup code, so the
// comparison fails if that code ever picks a thread count of its own. The comparison with PyTorch
// itself is bench/engine/threads.ts (it needs Python).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { startupThreads } from '../../src/engine/threads.js';
import { engineSkipReason } from './fixtures.js';

const root = new URL('../../', import.meta.url).pathname;

/** The environment with only the given thread variables set. */
function withThreadVars(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'R1_REWARD_THREADS']) delete env[name];
  return { ...env, ...vars };
}

/** Runs an ES module snippet in a fresh Node process at the repository root; its stdout, or the failure. */
function fresh(code: string, vars: Record<string, string>): string {
  const out = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: root,
    env: withThreadVars(vars),
    encoding: 'utf8',
  });
  return out.status === 0 ? out.stdout.trim() : `exit ${out.status}: ${out.stderr}`;
}

/** getNumThreads() through src/engine, at load and after `after`. */
function engineThreads(vars: Record<string, string>, after = ''): string {
  return fresh(
    `import { getNumThreads, setNumThreads } from './src/engine/index.js';
    const atLoad = getNumThreads(); ${after} console.log(atLoad, getNumThreads());`,
    vars,
  );
}

/** at::get_num_threads() from the addon loaded directly: libtorch's choice with no startup code of ours. */
function libtorchThreads(vars: Record<string, string>): number {
  const out = fresh(
    `import { createRequire } from 'node:module';
    import { ADDON_PATH } from './src/engine/index.js';
    console.log(createRequire(process.cwd() + '/')(ADDON_PATH).getNumThreads());`,
    vars,
  );
  assert.match(out, /^\d+$/, `loading the addon directly: ${out}`);
  return Number(out);
}

describe('engine threads at load', () => {
  it('R1_REWARD_THREADS must be a positive integer; unset or empty keeps libtorch’s choice', () => {
    assert.equal(startupThreads({ R1_REWARD_THREADS: '3', OMP_NUM_THREADS: '1' }), 3);
    assert.equal(startupThreads({}), undefined);
    assert.equal(startupThreads({ R1_REWARD_THREADS: '' }), undefined);
    for (const bad of ['0', '-2', '1.5', 'two'])
      assert.throws(
        () => startupThreads({ R1_REWARD_THREADS: bad }),
        new RegExp(`R1_REWARD_THREADS must be a positive integer .*got '${bad}'`),
      );
  });

  it('R1_REWARD_THREADS sets the threads at load; setNumThreads overrides them', {
    skip: engineSkipReason(),
  }, () => {
    assert.equal(engineThreads({ R1_REWARD_THREADS: '3', OMP_NUM_THREADS: '1' }), '3 3');
    assert.equal(engineThreads({ OMP_NUM_THREADS: '2' }, 'setNumThreads(1);'), '2 1');
    assert.match(engineThreads({ R1_REWARD_THREADS: 'x' }), /R1_REWARD_THREADS must be a positive integer/);
  });

  it('without R1_REWARD_THREADS the engine starts with libtorch’s own thread count', {
    skip: engineSkipReason(),
  }, () => {
    const base = libtorchThreads({});
    // Counts other than the default, so that keeping the default instead of the variable shows.
    const omp = String(base + 1);
    const mkl = String(base + 2);
    const cases: [Record<string, string>, number][] = [
      [{}, base],
      [{ OMP_NUM_THREADS: omp }, base + 1],
      [{ MKL_NUM_THREADS: mkl }, base + 2],
      [{ OMP_NUM_THREADS: omp, MKL_NUM_THREADS: mkl }, base + 2], // libtorch reads MKL_NUM_THREADS last
    ];
    for (const [vars, expected] of cases) {
      const label = JSON.stringify(vars);
      if (Object.keys(vars).length > 0) assert.equal(libtorchThreads(vars), expected, `libtorch, ${label}`);
      assert.equal(engineThreads(vars), `${expected} ${expected}`, `engine, ${label}`);
    }
  });
});
