// bench/engine/threads: the intra-op thread count our engine starts with next to the one PyTorch
// (Debian's python3-torch, the same libtorch 1.13) starts with, each in a fresh process under the same
// thread variables. test/engine/threads.test.ts checks the engine against libtorch itself without Python.
//   node --import tsx bench/engine/threads.ts [--python /usr/bin/python3]
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: { python: { type: 'string', default: process.env['PYTHON'] ?? '/usr/bin/python3' } },
});
const root = new URL('../../', import.meta.url).pathname;

/** The environment with only the given thread variables set. */
function withThreadVars(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'R1_REWARD_THREADS']) delete env[name];
  return { ...env, ...vars };
}

/** A command's trimmed stdout, or why it failed. */
function run(command: string, argv: string[], vars: Record<string, string>): string {
  const out = spawnSync(command, argv, { cwd: root, env: withThreadVars(vars), encoding: 'utf8' });
  return out.status === 0 ? out.stdout.trim() : `exit ${out.status}: ${out.stderr.trim().split('\n').at(-1)}`;
}

const engineCode = `import { engineInfo, getNumThreads } from './src/engine/index.js';
  console.log(getNumThreads(), engineInfo().libtorch);`;
const torchCode = 'import torch; print(torch.get_num_threads(), torch.__version__)';

const cases: Record<string, string>[] = [{}, { OMP_NUM_THREADS: '2' }, { MKL_NUM_THREADS: '3' }];
console.log('variables                threads (libtorch version)');
for (const vars of cases) {
  const engine = run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', engineCode], vars);
  const torch = run(args.python, ['-c', torchCode], vars);
  const label = JSON.stringify(vars).padEnd(24);
  console.log(`${label} engine ${engine}   PyTorch ${torch}`);
}
