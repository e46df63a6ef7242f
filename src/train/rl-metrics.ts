// Step 6 of the RL loop, the log line: every quantity of one step under the name the paper or the
// ablation uses for it (docs/spec.md §4), the reward source's diagnostics next to the reward, and
// the held-out evaluation's metrics at the end on the steps that evaluate.
import type { RewardDiagnostics, Rollout, ScoredRollouts } from '../reward/reward-source.js';
import type { ExperienceStats } from './rl-experience.js';
import type { UpdateStats } from './rl-update.js';

/** The loop's own quantities of one step, whatever the reward. */
export interface RlLoopMetrics {
  step: number;
  lr: number;
  reward_mean: number;
  reward_std: number;
  response_length: number;
  response_length_max: number;
  length_capped_fraction: number;
  /** Every reward of the first rollout agreed (zero spread): no learning signal. */
  frozen: boolean;
  resampled: number;
  zero_spread_batches: number;
  loss: number;
  max_token_loss: number;
  ratio_mean: number;
  ratio_max: number;
  ratio_above_1e3_pos_adv: number;
  ratio_above_1e3_neg_adv: number;
  'ratio_below_1e-3_pos_adv': number;
  'ratio_below_1e-3_neg_adv': number;
  clip_fraction: number;
  /** k3 estimate of KL(πθ ‖ πold) over the update's tokens. */
  policy_kl: number;
  /** k1/k3 estimate of KL(πold ‖ πref) per token (0 when β = 0). */
  ref_kl: number;
  advantage_mean: number;
  advantage_std: number;
  advantage_min: number;
  advantage_max: number;
  /** Valid tokens whose advantage the Advantage Filter set to 0, of all valid tokens. */
  filtered_fraction: number;
  grad_norm: number;
  optimizer_steps: number;
  non_finite_losses: number;
  skipped_updates: number;
  /** Sampled responses cut at an image placeholder token (see RolloutSampler). */
  image_token_cuts: number;
  tokens_per_s: number;
  rollout_s: number;
  reward_s: number;
  logprob_s: number;
  update_s: number;
}

/** One step's log line: the loop's quantities, the reward's diagnostics, and (evaluation steps) the held-out metrics. */
export type RlMetrics<
  D extends RewardDiagnostics = RewardDiagnostics,
  H extends Record<string, number> = Record<string, number>,
> = RlLoopMetrics & D & Partial<H>;

/** Timing fields: the only ones that differ between a resumed run and an uninterrupted one. */
export const TIMING_FIELDS = [
  'tokens_per_s',
  'rollout_s',
  'reward_s',
  'logprob_s',
  'update_s',
  'time',
] as const;

/** Counters that run over the whole run (saved in checkpoints). */
export interface RlCounters {
  zero_spread_batches: number;
  non_finite_losses: number;
  skipped_updates: number;
  resampled: number;
}

/** Everything one step measured, as the loop has it. */
export interface StepRecord<D extends RewardDiagnostics> {
  step: number;
  lr: number;
  rollouts: readonly Rollout[];
  scored: ScoredRollouts<D>;
  frozen: boolean;
  resampled: number;
  counters: RlCounters;
  imageTokenCuts: number;
  experience: ExperienceStats;
  update: UpdateStats;
  optimizerSteps: number;
  seconds: { rollout: number; reward: number; logprob: number; update: number };
}

const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
const std = (xs: readonly number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));

/** The step's log line (without held-out metrics). */
export function stepMetrics<D extends RewardDiagnostics>(r: StepRecord<D>): RlLoopMetrics & D {
  const { rewards, diagnostics } = r.scored;
  const { update, experience, seconds } = r;
  const lengths = r.rollouts.map((g) => g.tokenIds.length);
  const responseTokens = lengths.reduce((s, n) => s + n, 0);
  const loop: Omit<RlLoopMetrics, 'step' | 'lr' | 'reward_mean' | 'reward_std'> = {
    response_length: mean(lengths),
    response_length_max: Math.max(...lengths),
    length_capped_fraction: r.rollouts.filter((g) => g.finishReason === 'length').length / r.rollouts.length,
    frozen: r.frozen,
    resampled: r.resampled,
    zero_spread_batches: r.counters.zero_spread_batches,
    loss: update.loss,
    max_token_loss: update.maxTokenLoss,
    ratio_mean: update.ratioMean,
    ratio_max: update.ratioMax,
    ratio_above_1e3_pos_adv: update.ratioTail.aboveMaxPosA,
    ratio_above_1e3_neg_adv: update.ratioTail.aboveMaxNegA,
    'ratio_below_1e-3_pos_adv': update.ratioTail.belowMinPosA,
    'ratio_below_1e-3_neg_adv': update.ratioTail.belowMinNegA,
    clip_fraction: update.clipFraction,
    policy_kl: update.policyKl,
    ref_kl: experience.refKl,
    advantage_mean: experience.advantage.mean,
    advantage_std: experience.advantage.std,
    advantage_min: experience.advantage.min,
    advantage_max: experience.advantage.max,
    filtered_fraction: experience.advantage.filtered,
    grad_norm: update.gradNorm,
    optimizer_steps: r.optimizerSteps,
    non_finite_losses: r.counters.non_finite_losses,
    skipped_updates: r.counters.skipped_updates,
    image_token_cuts: r.imageTokenCuts,
    tokens_per_s:
      responseTokens / Math.max(1e-9, seconds.rollout + seconds.reward + seconds.logprob + seconds.update),
    rollout_s: seconds.rollout,
    reward_s: seconds.reward,
    logprob_s: seconds.logprob,
    update_s: seconds.update,
  };
  // The reward's diagnostics sit next to the reward.
  return {
    step: r.step,
    lr: r.lr,
    reward_mean: mean(rewards),
    reward_std: std(rewards),
    ...diagnostics,
    ...loop,
  } as RlLoopMetrics & D;
}
