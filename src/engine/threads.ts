// The intra-op thread count the engine starts with. libtorch 1.13 (Debian's) defaults to half the
// logical CPUs on x86-64 (std::thread::hardware_concurrency() / 2, a guess at SMT pairs), which is
// 1 on a 2-vCPU VM whose CPUs are separate cores. PyTorch 2.x counts physical cores instead (cpuinfo),
// and so does this: the physical cores among the CPUs this process may use. OMP_NUM_THREADS and
// MKL_NUM_THREADS, which libtorch itself honours, win over that; R1_REWARD_THREADS wins over all.
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** Distinct (package, core) pairs in Linux's CPU topology; undefined where it cannot be read. */
function physicalCoreCount(): number | undefined {
  const root = '/sys/devices/system/cpu';
  try {
    const cores = new Set<string>();
    for (const name of readdirSync(root)) {
      if (!/^cpu\d+$/.test(name)) continue;
      const topology = `${root}/${name}/topology`;
      const read = (file: string) => readFileSync(`${topology}/${file}`, 'utf8').trim();
      cores.add(`${read('physical_package_id')}:${read('core_id')}`);
    }
    return cores.size > 0 ? cores.size : undefined;
  } catch {
    return undefined;
  }
}

/** The physical cores this process can use: PyTorch 2's default, capped by CPU affinity. */
export function physicalCores(): number {
  const usable = availableParallelism();
  return Math.max(1, Math.min(usable, physicalCoreCount() ?? usable));
}

/**
 * The thread count to set when the engine loads, or undefined to keep libtorch's own choice (it has
 * already read OMP_NUM_THREADS / MKL_NUM_THREADS). Throws on a malformed R1_REWARD_THREADS.
 */
export function startupThreads(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const own = env['R1_REWARD_THREADS'];
  if (own !== undefined && own !== '') {
    const n = Number(own);
    if (!Number.isInteger(n) || n < 1)
      throw new RangeError(
        `R1_REWARD_THREADS must be a positive integer (the engine's intra-op threads), got '${own}'; ` +
          'unset it to use one thread per physical core',
      );
    return n;
  }
  if (env['OMP_NUM_THREADS'] || env['MKL_NUM_THREADS']) return undefined;
  return physicalCores();
}
