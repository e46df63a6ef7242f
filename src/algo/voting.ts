// Inference-time scaling (docs/spec.md §6): Voting@K and Any@K over K sampled judgements.
import type { Choice } from './judgement.js';
import { fail } from './validate.js';

/**
 * What a tie between the two choices returns:
 * - `none` (default): no majority, null; the VL-RewardBench scorer drops such items.
 * - `first`: the choice of the earliest parsed sample (deterministic, always decides).
 * Use odd K to make ties impossible when every sample parses.
 */
export type TieRule = 'none' | 'first';

/** How many votes went to each response, and how many samples had no parseable choice. */
export interface VoteCounts {
  ones: number;
  twos: number;
  unparseable: number;
}

/** Counts the votes for response 1, response 2 and the unparseable samples (null). */
export function countVotes(choices: readonly (Choice | null)[]): VoteCounts {
  const counts = { ones: 0, twos: 0, unparseable: 0 };
  for (const c of choices) {
    if (c === 1) counts.ones++;
    else if (c === 2) counts.twos++;
    else counts.unparseable++;
  }
  return counts;
}

/**
 * Voting@K: the majority among parsed choices; unparseable samples do not vote.
 * @example vote([1, 2, 2, null, 1, 2]) // 2
 */
export function vote(choices: readonly (Choice | null)[], options: { tie?: TieRule } = {}): Choice | null {
  const { tie = 'none' } = options;
  if (tie !== 'none' && tie !== 'first') fail(`tie must be 'none' or 'first', got ${String(tie)}`);
  const { ones, twos } = countVotes(choices);
  if (ones > twos) return 1;
  if (twos > ones) return 2;
  if (tie === 'first') return choices.find((c): c is Choice => c === 1 || c === 2) ?? null;
  return null;
}

/** Any@K: correct if any sample chose the label (an upper bound, not a usable judge). */
export function anyCorrect(choices: readonly (Choice | null)[], label: Choice): boolean {
  if (label !== 1 && label !== 2) fail(`label must be 1 or 2, got ${String(label)}`);
  return choices.some((c) => c === label);
}
