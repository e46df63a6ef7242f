// Steps 3–4 of the RL loop: one rollout's experience on tensors. Old-policy log-probs (the sampler
// decides where πold comes from: src/train/rl-sampler.ts), reference log-probs when β > 0, then the
// advantages of the algorithm:
//
//   returns (StableReinforce, Reinforce++, PPO-clip)  token rewards −β·KL_t + clamped reward on the
//        last token (docs/spec.md §4.1) → returns G_t (§4.2) → batch z-score (§4.3) → filter (§4.4)
//   rloo                                              leave-one-out reward, then the same chain
//   grpo                                              z-score within each prompt's group, per sequence
import { noGrad, scope, type Tensor, tensor, where } from '../engine/index.js';
import type { VisionLanguageModel } from '../model/model.js';
import type { ScoringBatch } from '../model/scoring.js';
import type { Rollout } from '../reward/reward-source.js';
import type { RlLoopResolved, RlPlan } from './rl-config.js';
import type { RolloutSampler } from './rl-sampler.js';
import { logProbsInMicroBatches } from './run.js';
import {
  cumulativeReturnsT,
  groupAdvantagesT,
  klPerTokenT,
  normalizeAdvantagesT,
  rlooAdvantagesT,
  tokenRewardsT,
} from './stable-reinforce-tensors.js';

/** Experience of one rollout, on tensors: [N, L] unless noted. */
export interface Experience {
  batch: ScoringBatch;
  mask: Tensor;
  oldLogProbs: Tensor;
  advantages: Tensor;
}

/** What the metrics report of one rollout's experience (docs/spec.md §4.1–4.4). */
export interface ExperienceStats {
  advantage: { mean: number; std: number; min: number; max: number; filtered: number };
  /** Mean per-token KL(πold ‖ πref) by the run's estimator; 0 without a reference (β = 0). */
  refKl: number;
}

/** The loop's settings that shape the experience. */
export type ExperienceOptions = Pick<
  RlLoopResolved,
  'microBatch' | 'klCoef' | 'klEstimator' | 'rewardClip' | 'gamma'
> & { plan: RlPlan };

/** The models experience is computed with: the policy, the sampler (πold) and the reference (β > 0). */
export interface ExperienceModels {
  model: VisionLanguageModel;
  sampler: RolloutSampler;
  reference: VisionLanguageModel | null;
}

/**
 * One rollout's experience, kept past the engine scope (dispose it with {@link disposeExperience}),
 * and its statistics.
 */
export function collectExperience(
  models: ExperienceModels,
  rollouts: readonly Rollout[],
  rewards: readonly number[],
  options: ExperienceOptions,
): { experience: Experience; stats: ExperienceStats } {
  const { model, sampler, reference } = models;
  const batch: ScoringBatch = {
    prompts: rollouts.map((r) => r.prompt.promptTokens),
    responses: rollouts.map((r) => r.tokenIds),
    images: rollouts.map((r) => r.prompt.images),
  };
  const width = Math.max(...rollouts.map((r) => r.tokenIds.length));
  return scope(() => {
    const onDevice = { dtype: 'float32', device: model.device } as const;
    const mask = tensor(
      rollouts.map((r) => Array.from({ length: width }, (_, j) => (j < r.tokenIds.length ? 1 : 0))),
      onDevice,
    );
    const oldLogProbs = sampler.oldLogProbs(rollouts, width, () =>
      logProbsInMicroBatches(model, batch, options.microBatch, width),
    );
    const refLogProbs = reference
      ? logProbsInMicroBatches(reference, batch, options.microBatch, width)
      : undefined;
    const { advantages, filteredTokens } = advantagesOf(
      tensor([...rewards], onDevice),
      { oldLogProbs, refLogProbs, mask },
      options,
    );
    const validTokens = mask.sum().item();
    const refKl = refLogProbs
      ? klPerTokenT(oldLogProbs, refLogProbs, options.klEstimator).mul(mask).sum().item() / validTokens
      : 0;
    return {
      experience: {
        batch,
        mask: mask.keep(),
        oldLogProbs: oldLogProbs.detach().keep(),
        advantages: advantages.detach().keep(),
      },
      stats: { advantage: advantageStats(advantages, mask, filteredTokens), refKl },
    };
  });
}

/** Frees the tensors {@link collectExperience} kept. */
export function disposeExperience(experience: Experience): void {
  for (const t of [experience.mask, experience.oldLogProbs, experience.advantages]) t.dispose();
}

/** [N, L] advantages of the plan's algorithm, and how many valid tokens the Advantage Filter dropped. */
function advantagesOf(
  rewards: Tensor,
  logProbs: { oldLogProbs: Tensor; refLogProbs: Tensor | undefined; mask: Tensor },
  options: ExperienceOptions,
): { advantages: Tensor; filteredTokens: number } {
  const { plan } = options;
  const { oldLogProbs, refLogProbs, mask } = logProbs;
  if (plan.advantage === 'grpo')
    return {
      advantages: groupAdvantagesT(rewards, plan.samplesPerPrompt).unsqueeze(1).mul(mask),
      filteredTokens: 0,
    };
  const sequenceAdvantages =
    plan.advantage === 'rloo' ? rlooAdvantagesT(rewards, plan.samplesPerPrompt) : rewards;
  const tokenRewards = tokenRewardsT({
    rewards: sequenceAdvantages,
    logProbs: oldLogProbs,
    ...(refLogProbs ? { refLogProbs } : {}),
    mask,
    klCoef: options.klCoef,
    klEstimator: options.klEstimator,
    rewardClip: [-options.rewardClip, options.rewardClip],
  });
  const returns = cumulativeReturnsT({ tokenRewards, mask, gamma: options.gamma });
  const normalized = normalizeAdvantagesT({ advantages: returns, mask, filter: plan.filter });
  return { advantages: normalized.advantages, filteredTokens: normalized.filteredTokens };
}

/** Mean, population std, min and max of the advantages over valid tokens, and the filtered fraction. */
function advantageStats(
  advantages: Tensor,
  mask: Tensor,
  filteredTokens: number,
): ExperienceStats['advantage'] {
  const valid = mask.gt(0);
  const validTokens = mask.sum().item();
  const values = noGrad(() => ({
    mean: advantages.sum().item() / validTokens,
    min: where(valid, advantages, Number.POSITIVE_INFINITY).amin().item(),
    max: where(valid, advantages, Number.NEGATIVE_INFINITY).amax().item(),
  }));
  const std = Math.sqrt(advantages.sub(values.mean).square().mul(mask).sum().item() / validTokens);
  return { ...values, std, filtered: filteredTokens / validTokens };
}
