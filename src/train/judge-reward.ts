// The judge's reward as a reward source of the RL loop (docs/spec.md §3): each sampled judgement's
// format F, result R against its prompt's label, and consistency C from a referee, combined as
// R·(1 + 0.5·C) + 0.5·F (rewards.ts). The batch's rates are its diagnostics.

import type { Referee } from '../reward/referees/index.js';
import type { RewardSource, RlPrompt } from '../reward/reward-source.js';
import { scoreJudgements } from '../reward/rewards.js';

/** A judging prompt: the pair's preferred position is what a judgement is right about. */
export interface JudgePrompt extends RlPrompt {
  label: 1 | 2;
}

/** The judge reward's diagnostics, logged with every RL step under these names. */
export type JudgeRewardDiagnostics = {
  /** Strict `<think>…</think><answer>…</answer>` format (F = 1), of all judgements. */
  format_rate: number;
  /** Right choice (R = 1). */
  result_rate: number;
  /** The referee found the analysis consistent with the answer (C = +1). */
  consistency_rate: number;
  /** The referee found them inconsistent (C = −1). */
  inconsistency_rate: number;
  referee_failures: number;
  /** Choices read by the released last-digit fallback. */
  fallback_choices: number;
  /** Judgements with no readable choice. */
  unparseable: number;
};

/**
 * The R1 reward of judgements against their prompts' labels; `referee` null gives C = 0 to every
 * judgement (the "w/o consistency" arm).
 */
export function judgeReward(referee: Referee | null): RewardSource<JudgePrompt, JudgeRewardDiagnostics> {
  return {
    async score(rollouts, context) {
      const r = await scoreJudgements(
        rollouts.map((g) => g.text),
        rollouts.map((g) => g.prompt.label),
        { referee, ...(context.signal ? { signal: context.signal } : {}) },
      );
      return {
        rewards: r.rewards,
        diagnostics: {
          format_rate: r.formatRate,
          result_rate: r.resultRate,
          consistency_rate: r.consistentRate,
          inconsistency_rate: r.inconsistentRate,
          referee_failures: r.refereeFailures,
          fallback_choices: r.fallbackChoices,
          unparseable: r.unparseable,
        },
      };
    },
  };
}
