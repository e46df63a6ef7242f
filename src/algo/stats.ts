// The arithmetic mean and sample spread, shared by the algorithm, the trainers' metrics and the experiments' tables.

/** The arithmetic mean; NaN for an empty list. @example mean([1, 2, 6]) // 3 */
export function mean(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

/**
 * The sample standard deviation (n − 1 in the denominator); 0 for fewer than two values.
 * @example sampleStd([1, 2, 3]) // 1
 */
export function sampleStd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
}
