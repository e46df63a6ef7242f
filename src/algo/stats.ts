// The arithmetic mean, shared by the algorithm, the trainers' metrics and the experiments' tables.

/** The arithmetic mean; NaN for an empty list. @example mean([1, 2, 6]) // 3 */
export function mean(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}
