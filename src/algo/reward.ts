// The final RL reward (docs/spec.md §3): R × (1 + 0.5 × C) + 0.5 × F.
import { assertFiniteNumber, fail } from './validate.js';

/** The three reward parts of one judgement (docs/spec.md §3), each already computed. */
export interface RewardParts {
  /** F ∈ {0, 1}: strict <think>…</think><answer>…</answer> format. */
  format: number;
  /** R ∈ {0, 1}: the parsed choice equals the human label. */
  result: number;
  /** C ∈ {−1, 0, +1}: the referee's verdict on whether the analysis supports the choice. */
  consistency: number;
}

/**
 * Weights of {@link r1Reward}: R × (1 + consistencyWeight × C) + formatWeight × F (both 0.5 in the paper).
 */
export interface RewardWeights {
  consistencyWeight?: number;
  formatWeight?: number;
}

/**
 * The multiplicative form credits consistency only when the result is right, giving
 * {0, 0.5, 1, 1.5, 2} for the default weights.
 * @example r1Reward({ format: 1, result: 1, consistency: 1 }) // 2
 */
export function r1Reward(parts: RewardParts, weights: RewardWeights = {}): number {
  const { consistencyWeight = 0.5, formatWeight = 0.5 } = weights;
  const { format, result, consistency } = parts;
  if (format !== 0 && format !== 1) fail(`format must be 0 or 1, got ${String(format)}`);
  if (result !== 0 && result !== 1) fail(`result must be 0 or 1, got ${String(result)}`);
  assertFiniteNumber('consistency', consistency);
  if (consistency < -1 || consistency > 1) fail(`consistency must be in [−1, 1], got ${consistency}`);
  assertFiniteNumber('consistencyWeight', consistencyWeight);
  assertFiniteNumber('formatWeight', formatWeight);
  return result * (1 + consistencyWeight * consistency) + formatWeight * format;
}
