// The judge's RL (docs/spec.md §4–5): StableReinforce from the SFT judge on the RL split. One task for
// the RL loop (rl-loop.ts): the judging prompts (optionally in both orders and only the hard ones),
// the R1 reward against their labels with the consistency referee (judge-reward.ts), and greedy
// held-out judging as the evaluation.

import { join } from 'node:path';
import { createReferee } from '../reward/referees/index.js';
import { parseConfig } from './config-fields.js';
import type { HeldOutResult } from './evaluate.js';
import { heldOutAccuracy } from './evaluate.js';
import { HARD_PROMPTS_FILE, selectHardPrompts } from './hard-samples.js';
import {
  type EncodedItem,
  encodeItems,
  readJudgeItems,
  SWAPPED_SUFFIX,
  withBothOrders,
} from './judge-items.js';
import { type JudgeRewardDiagnostics, judgeReward } from './judge-reward.js';
import type { RlConfig, RlResolved } from './rl-config.js';
import { RlConfigSchema } from './rl-config.js';
import { type Evaluation, type PromptSet, type RlRunResult, runRl } from './rl-loop.js';
import type { RlMetrics } from './rl-metrics.js';
import type { Policy } from './run.js';
import { loadHeldOut, type TrainHooks } from './sft.js';

export type { RlConfig } from './rl-config.js';
export type { Experience } from './rl-experience.js';
export { TIMING_FIELDS } from './rl-metrics.js';
export { ppoUpdate, type UpdateOptions, type UpdateStats } from './rl-update.js';

/** The held-out judging metrics, logged on the steps that evaluate. */
export type HeldOutMetrics = {
  held_out_accuracy: number;
  held_out_format_rate: number;
  held_out_length: number;
};

/** One step of the judge's RL: the loop's quantities, the judge reward's rates, held-out judging. */
export type RlStepMetrics = RlMetrics<JudgeRewardDiagnostics, HeldOutMetrics>;

/** What {@link trainRl} did; `prompts` counts the RL prompts after `selectHard`. */
export type RlResult = RlRunResult<HeldOutResult>;

/** {@link trainRl}'s callbacks: every step, and the hard-sample selection's progress before step 0. */
export interface RlHooks extends TrainHooks<RlStepMetrics> {
  /** Called while `selectHard` judges the RL prompts: prompts judged so far, of all. */
  onSelectHard?: (judged: number, total: number) => void;
}

/**
 * StableReinforce RL (or another algorithm of {@link ALGORITHMS}) of the judge from an SFT checkpoint:
 * rollouts, rewards R·(1 + 0.5·C) + 0.5·F, advantages, the Pre-CLIP PPO update; logs metrics.jsonl and
 * checkpoints, and resumes.
 */
export async function trainRl(input: RlConfig, hooks: RlHooks = {}): Promise<RlResult> {
  const config: RlResolved = parseConfig(RlConfigSchema, input, 'RL config');
  return runRl(
    config,
    {
      prompts: (policy) => judgePrompts(config, policy, hooks.onSelectHard),
      reward: judgeReward(config.consistency ? createReferee(config.referee) : null),
      evaluation: (policy) => heldOutJudging(config, policy),
    },
    hooks,
  );
}

/** The RL split encoded for the policy; in both orders as whole pairs, and only the hard ones, if asked. */
async function judgePrompts(
  config: RlResolved,
  policy: Policy,
  onSelectHard: RlHooks['onSelectHard'],
): Promise<PromptSet<EncodedItem>> {
  const { model, tokenizer } = policy;
  const read = await readJudgeItems({ ...config.data, format: config.data.format as never }, config.seed);
  const items = config.bothOrders ? withBothOrders(read) : read;
  const encoded = await encodeItems(items, tokenizer, model.config, {
    withTrace: false,
    responseBudget: config.maxNewTokens,
  });
  const all = config.bothOrders ? wholePairs(encoded.items) : encoded.items;
  if (all.length === 0)
    throw new Error(
      `no RL prompt of ${config.data.file} fits maxSeqLen ${model.config.maxSeqLen} with maxNewTokens ${config.maxNewTokens}`,
    );
  if (config.selectHard === 0) return { prompts: all, pairs: config.bothOrders };
  // RL data = the hard samples (docs/spec.md §5): keep only the prompts the starting policy misses.
  const { prompts } = await selectHardPrompts(model, tokenizer, all, {
    samples: config.selectHard,
    temperature: config.temperature,
    maxNewTokens: config.maxNewTokens,
    seed: config.seed + 3,
    file: join(config.runDir, HARD_PROMPTS_FILE),
    pairs: config.bothOrders,
    ...(onSelectHard ? { onProgress: onSelectHard } : {}),
  });
  return { prompts, pairs: config.bothOrders };
}

/** Greedy judging of the held-out split (none without `heldOut`). */
async function heldOutJudging(
  config: RlResolved,
  policy: Policy,
): Promise<Evaluation<HeldOutResult, HeldOutMetrics> | null> {
  const maxNewTokens = config.evalMaxNewTokens ?? config.maxNewTokens;
  const items = await loadHeldOut(config.heldOut, policy, config.evalSize, maxNewTokens, config.seed);
  if (items.length === 0) return null;
  return {
    run: () => heldOutAccuracy(policy.model, policy.tokenizer, items, { maxNewTokens, batchSize: 16 }),
    metrics: (r) => ({
      held_out_accuracy: r.accuracy,
      held_out_format_rate: r.formatRate,
      held_out_length: r.meanLength,
    }),
  };
}

/** Consecutive (item, item#swapped) pairs only: a prompt whose partner was dropped goes too. */
function wholePairs(prompts: readonly EncodedItem[]): EncodedItem[] {
  const out: EncodedItem[] = [];
  for (let i = 0; i + 1 < prompts.length; i++) {
    if (prompts[i + 1]!.id === `${prompts[i]!.id}${SWAPPED_SUFFIX}`) {
      out.push(prompts[i]!, prompts[i + 1]!);
      i++;
    }
  }
  return out;
}
