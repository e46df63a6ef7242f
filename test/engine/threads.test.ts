// The engine's intra-op threads at load: libtorch's own default, the same as PyTorch's in the same
// environment, unless R1_REWARD_THREADS says otherwise; setNumThreads still changes it afterwards.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { engineInfo } from '../../src/engine/index.js';
import { startupThreads } from '../../src/engine/threads.js';
import { engineSkipReason } from './fixtures.js';

const root = new URL('../../', import.meta.url).pathname;
const python = process.env['PYTHON'] ?? '/usr/bin/python3';

/** The environment with only the given thread variables set. */
function withThreadVars(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'R1_REWARD_THREADS']) delete env[name];
  return { ...env, ...vars };
}

/** getNumThreads() at load and after `after`, in a fresh process. */
function engineThreads(vars: Record<string, string>, after = ''): string {
  const code = `import { getNumThreads, setNumThreads } from './src/engine/index.js';
    const atLoad = getNumThreads(); ${after} console.log(atLoad, getNumThreads());`;
  const out = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: root,
    env: withThreadVars(vars),
    encoding: 'utf8',
  });
  return out.status === 0 ? out.stdout.trim() : `exit ${out.status}: ${out.stderr}`;
}

/** torch.get_num_threads() and torch.__version__ in Python, or undefined without python3-torch. */
function pytorch(vars: Record<string, string>): { threads: number; version: string } | undefined {
  const out = spawnSync(python, ['-c', 'import torch; print(torch.get_num_threads(), torch.__version__)'], {
    env: withThreadVars(vars),
    encoding: 'utf8',
  });
  if (out.status !== 0) return undefined;
  const [threads, version] = out.stdout.trim().split(' ');
  return { threads: Number(threads), version: version ?? '' };
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

  it('without R1_REWARD_THREADS the engine starts with the threads PyTorch starts with', (context) => {
    const skip = engineSkipReason();
    if (skip) return context.skip(String(skip));
    const found = pytorch({});
    if (found === undefined)
      return context.skip(`${python} has no torch (install python3-torch or set PYTHON) to compare with`);
    const minor = (version: string) => version.split('.').slice(0, 2).join('.');
    const ours = engineInfo().libtorch;
    if (minor(found.version) !== minor(ours))
      return context.skip(`PyTorch ${found.version} is not libtorch ${ours}, whose defaults may differ`);
    const cases: Record<string, string>[] = [{}, { OMP_NUM_THREADS: '2' }];
    for (const vars of cases) {
      const reference: { threads: number; version: string } =
        Object.keys(vars).length === 0 ? found : pytorch(vars)!;
      const [atLoad] = engineThreads(vars).split(' ');
      assert.equal(
        Number(atLoad),
        reference.threads,
        `${JSON.stringify(vars)}: engine ${atLoad}, PyTorch ${reference.version} ${reference.threads}`,
      );
    }
  });
});
