// Learning-rate schedule of the released trainer (docs/spec.md §4.6): linear warmup over the first
// `warmupRatio` of the steps, then cosine decay from `lr` to `minLrRatio × lr`.

/**
 * The released trainer's schedule (docs/spec.md §4.6): linear warmup over `warmupRatio` of the steps, then cosine
 * decay from `lr` to `minLrRatio × lr`.
 */
export interface LrSchedule {
  lr: number;
  totalSteps: number;
  /** Released: 0.03 (3 % warmup). */
  warmupRatio?: number;
  /** Released: 0.1 (decay to a tenth of the peak). */
  minLrRatio?: number;
}

/**
 * Learning rate for optimiser step `step` (0-based).
 * @example learningRate({ lr: 1e-3, totalSteps: 100 }, 99) // ≈ 1e-4
 */
export function learningRate(schedule: LrSchedule, step: number): number {
  const { lr, totalSteps, warmupRatio = 0.03, minLrRatio = 0.1 } = schedule;
  if (!(lr > 0) || !Number.isFinite(lr)) throw new RangeError(`lr must be a positive number, got ${lr}`);
  if (!Number.isInteger(totalSteps) || totalSteps < 1)
    throw new RangeError(`totalSteps must be an integer ≥ 1, got ${totalSteps}`);
  if (!Number.isInteger(step) || step < 0) throw new RangeError(`step must be an integer ≥ 0, got ${step}`);
  const warmupSteps = Math.ceil(warmupRatio * totalSteps);
  if (step < warmupSteps) return (lr * (step + 1)) / warmupSteps;
  const decaySteps = Math.max(1, totalSteps - warmupSteps - 1);
  const progress = Math.min(1, (step - warmupSteps) / decaySteps);
  const minLr = minLrRatio * lr;
  return minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * progress));
}
