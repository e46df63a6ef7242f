// The intra-op thread count the engine starts with. By default it is libtorch's own choice, as in
// PyTorch: MKL_NUM_THREADS, else OMP_NUM_THREADS, else (libtorch 1.13 on x86-64) half the logical CPUs,
// which is 1 on a 2-vCPU machine (see docs/engine.md, Threads, for why we keep it). R1_REWARD_THREADS
// overrides it for r1-reward alone, without touching other OpenMP or BLAS libraries.

/**
 * The thread count to set when the engine loads, or undefined to keep libtorch's own choice.
 * Throws on a malformed R1_REWARD_THREADS.
 */
export function startupThreads(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const own = env['R1_REWARD_THREADS'];
  if (own === undefined || own === '') return undefined;
  const n = Number(own);
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError(
      `R1_REWARD_THREADS must be a positive integer (the engine's intra-op threads), got '${own}'; ` +
        "unset it to keep libtorch's default (MKL_NUM_THREADS or OMP_NUM_THREADS, else half the logical CPUs)",
    );
  return n;
}
