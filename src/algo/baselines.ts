// Advantage estimators of the ablation baselines (docs/spec.md §4, "Baselines"). Both take one scalar
// reward per sequence, with the samples of one prompt stored consecutively (OpenRLHF's layout:
// prompt 0's n samples, then prompt 1's, …), and return one advantage per sequence; spread them
// over tokens with `broadcastToTokens`.
import { assertVector, fail } from './validate.js';

function groupsOf(rewards: number[], groupSize: number): number[][] {
  assertVector('rewards', rewards);
  if (!Number.isInteger(groupSize) || groupSize < 2) {
    fail(`groupSize must be an integer ≥ 2 (samples per prompt), got ${groupSize}`);
  }
  if (rewards.length % groupSize !== 0) {
    fail(`rewards has ${rewards.length} entries, not a multiple of groupSize ${groupSize}`);
  }
  const groups: number[][] = [];
  for (let g = 0; g < rewards.length; g += groupSize) groups.push(rewards.slice(g, g + groupSize));
  return groups;
}

const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

/**
 * GRPO: z-score within each prompt's group, A_i = (r_i − mean_g) / (std_g + eps), with the
 * unbiased (n − 1) std as in OpenRLHF's group_norm and TRL. A group whose rewards all agree
 * gets advantage 0 (no learning signal).
 */
export function groupAdvantages(input: { rewards: number[]; groupSize: number; eps?: number }): number[] {
  const { rewards, groupSize, eps = 1e-9 } = input;
  return groupsOf(rewards, groupSize).flatMap((group) => {
    const mu = mean(group);
    const std = Math.sqrt(group.reduce((s, x) => s + (x - mu) ** 2, 0) / (group.length - 1));
    return group.map((r) => (r - mu) / (std + eps));
  });
}

/** RLOO: leave-one-out baseline, A_i = r_i − mean of the other samples of the same prompt. */
export function rlooAdvantages(input: { rewards: number[]; groupSize: number }): number[] {
  const { rewards, groupSize } = input;
  return groupsOf(rewards, groupSize).flatMap((group) => {
    const total = group.reduce((s, x) => s + x, 0);
    return group.map((r) => r - (total - r) / (group.length - 1));
  });
}
