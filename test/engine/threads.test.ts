// The engine's intra-op threads at load: one per physical core (PyTorch 2's rule, where Debian's
// libtorch 1.13 would take half the logical CPUs), unless OMP_NUM_THREADS / MKL_NUM_THREADS or
// R1_REWARD_THREADS say otherwise; setNumThreads still changes it afterwards.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { describe, it } from 'node:test';
import { physicalCores, startupThreads } from '../../src/engine/threads.js';
import { engineSkipReason } from './fixtures.js';

const root = new URL('../../', import.meta.url).pathname;

/** getNumThreads() in a fresh process with only the given thread variables set. */
function threadsAtLoad(vars: Record<string, string>, after = ''): string {
  const env = { ...process.env };
  for (const name of ['OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'R1_REWARD_THREADS']) delete env[name];
  const code = `import { getNumThreads, setNumThreads } from './src/engine/index.js';
    const atLoad = getNumThreads(); ${after} console.log(atLoad, getNumThreads());`;
  const out = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: root,
    env: { ...env, ...vars },
    encoding: 'utf8',
  });
  return out.status === 0 ? out.stdout.trim() : `exit ${out.status}: ${out.stderr}`;
}

describe('engine threads at load', () => {
  it('counts physical cores among the usable CPUs', () => {
    const cores = physicalCores();
    assert.ok(cores >= 1 && cores <= availableParallelism(), `physicalCores() = ${cores}`);
  });

  it('reads R1_REWARD_THREADS first, defers to OMP_NUM_THREADS / MKL_NUM_THREADS, else one per core', () => {
    assert.equal(startupThreads({ R1_REWARD_THREADS: '3', OMP_NUM_THREADS: '1' }), 3);
    assert.equal(startupThreads({ OMP_NUM_THREADS: '1' }), undefined);
    assert.equal(startupThreads({ MKL_NUM_THREADS: '2' }), undefined);
    assert.equal(startupThreads({}), physicalCores());
    assert.equal(startupThreads({ R1_REWARD_THREADS: '' }), physicalCores());
    for (const bad of ['0', '-2', '1.5', 'two'])
      assert.throws(
        () => startupThreads({ R1_REWARD_THREADS: bad }),
        new RegExp(`R1_REWARD_THREADS must be a positive integer .*got '${bad}'`),
      );
  });

  it('the loaded engine starts with those threads, and setNumThreads overrides them', {
    skip: engineSkipReason(),
  }, () => {
    const cores = physicalCores();
    assert.equal(threadsAtLoad({}), `${cores} ${cores}`);
    assert.equal(threadsAtLoad({ R1_REWARD_THREADS: '1' }), '1 1');
    assert.equal(threadsAtLoad({ OMP_NUM_THREADS: '1' }, 'setNumThreads(3);'), '1 3');
    assert.match(threadsAtLoad({ R1_REWARD_THREADS: 'x' }), /R1_REWARD_THREADS must be a positive integer/);
  });
});
