// StableReinforce on tensors (docs/spec.md §4), the same math as the pure reference in src/algo/
// (stable-reinforce.ts, baselines.ts) and tested equal to it; the trainer uses these so the loss
// carries gradients and a rollout batch never leaves the engine.
//
//   §4.1 tokenRewardsT        r_t = −β·KL_t, plus the clamped sequence reward on the last token
//   §4.2 cumulativeReturnsT   G_t = r_t + γ·G_{t+1}; A_t = G_t (Reinforce++: no critic)
//   §4.3 normalizeAdvantagesT z = (A − μ)/σ over every valid token of the rollout batch
//   §4.4   … Advantage Filter: paper |z| ≤ 3, the released window, or none
//   §4.5 policyLossT          Pre-CLIP ρ = exp(clamp(logπθ − logπold, ·)), then the PPO clip
//   baselines                 groupAdvantagesT (GRPO), rlooAdvantagesT (RLOO)
//
// Every [B, T] input comes with `mask` (1 = a valid response token, rows may be ragged); values
// at padding never reach a result, not even as NaN through a gradient.
import {
  ADVANTAGE_FILTER_LIMIT,
  type AdvantageFilter,
  type KlEstimator,
  PRE_CLIP,
  type PreClip,
} from '../algo/index.js';
import { arange, type Device, noGrad, stack, type Tensor, where } from '../engine/index.js';

const VARIANCE_FLOOR = 1e-8;
const RELEASED_ABS_LIMIT = 10;

const validOf = (mask: Tensor): Tensor => mask.gt(0);

/** Number of true entries of a boolean tensor, as a JS number. */
const countTrue = (b: Tensor): number => b.sum(undefined, false, 'float64').item();

/** Largest value at valid positions (−∞ when none). */
const maskedMax = (x: Tensor, valid: Tensor): number =>
  where(valid, x, Number.NEGATIVE_INFINITY).amax().item();

/** Per-token KL estimate: k1 = d, k3 = e^(−d) − 1 + d, d = logπθ − logπref. */
export function klPerTokenT(logProbs: Tensor, refLogProbs: Tensor, estimator: KlEstimator): Tensor {
  const d = logProbs.sub(refLogProbs);
  return estimator === 'k1' ? d : d.neg().exp().sub(1).add(d);
}

/** One-hot [B, T] of each row's last valid token (where the sequence reward lands). */
export function lastTokenMask(mask: Tensor): Tensor {
  const t = mask.size(1);
  const positions = arange(t, undefined, 1, { dtype: 'int64', device: mask.device as Device });
  const last = where(validOf(mask), positions, -1).amax(1, true);
  return positions.unsqueeze(0).eq(last);
}

/** §4.1 token rewards; `rewards` is [B], the rest [B, T]. */
export function tokenRewardsT(input: {
  rewards: Tensor;
  logProbs: Tensor;
  refLogProbs?: Tensor;
  mask: Tensor;
  klCoef?: number;
  klEstimator?: KlEstimator;
  rewardClip?: [number, number];
}): Tensor {
  const {
    rewards,
    logProbs,
    refLogProbs,
    mask,
    klCoef = 0,
    klEstimator = 'k1',
    rewardClip = [-10, 10],
  } = input;
  const valid = validOf(mask);
  const sequenceReward = rewards.clamp(rewardClip[0], rewardClip[1]).to(logProbs.dtype).unsqueeze(1);
  let r = where(lastTokenMask(mask), sequenceReward, 0);
  if (klCoef > 0) {
    if (refLogProbs === undefined) throw new RangeError('refLogProbs is required when klCoef > 0');
    const kl = klPerTokenT(where(valid, logProbs, 0), where(valid, refLogProbs, 0), klEstimator);
    r = r.sub(kl.mul(klCoef));
  }
  return where(valid, r, 0);
}

/** §4.2 returns, summed backwards over valid tokens only (padding is skipped, as in the reference). */
export function cumulativeReturnsT(input: { tokenRewards: Tensor; mask: Tensor; gamma?: number }): Tensor {
  const { tokenRewards, mask, gamma = 1 } = input;
  const valid = validOf(mask);
  const r = where(valid, tokenRewards, 0);
  if (gamma === 1) return where(valid, r.flip(1).cumsum(1).flip(1), 0);
  const columns: Tensor[] = [];
  let g = r.select(1, 0).mul(0);
  for (let t = r.size(1) - 1; t >= 0; t--) {
    g = where(valid.select(1, t), r.select(1, t).add(g.mul(gamma)), g);
    columns.unshift(g);
  }
  return where(valid, stack(columns, 1), 0);
}

/** {@link normalizeAdvantagesT}'s result: the normalised advantages and their statistics, on tensors. */
export interface NormalizedAdvantagesT {
  advantages: Tensor;
  mean: number;
  std: number;
  validTokens: number;
  filteredTokens: number;
}

/** §4.3–4.4: z-score over the whole batch's valid tokens (population σ, floored), then the filter. */
export function normalizeAdvantagesT(input: {
  advantages: Tensor;
  mask: Tensor;
  filter?: AdvantageFilter;
}): NormalizedAdvantagesT {
  const { advantages, mask, filter = 'paper' } = input;
  const valid = validOf(mask);
  const validTokens = countTrue(valid);
  const a = where(valid, advantages, 0);
  const meanT = a.sum().div(validTokens);
  const variance = where(valid, a.sub(meanT).square(), 0).sum().div(validTokens);
  const stdT = variance.clamp(VARIANCE_FLOOR).sqrt();
  const z = a.sub(meanT).div(stdT);
  const mean = meanT.item();
  let drop = z.mul(0).gt(1); // all false
  if (filter === 'paper') drop = z.abs().gt(ADVANTAGE_FILTER_LIMIT);
  if (filter === 'released') {
    drop = z
      .lt(mean - ADVANTAGE_FILTER_LIMIT)
      .logicalOr(z.gt(mean + ADVANTAGE_FILTER_LIMIT))
      .logicalOr(z.isnan())
      .logicalOr(z.isinf())
      .logicalOr(z.abs().gt(RELEASED_ABS_LIMIT));
  }
  const dropValid = drop.logicalAnd(valid).logicalAnd(z.ne(0));
  return {
    advantages: where(valid.logicalAnd(drop.logicalNot()), z, 0),
    mean,
    std: stdT.item(),
    validTokens,
    filteredTokens: countTrue(dropValid),
  };
}

/** {@link policyLossT}'s result: the loss (with gradients) and its diagnostics, on tensors. */
export interface PolicyLossT {
  /** Scalar: mean over valid tokens of each sequence, then mean over sequences (carries gradients). */
  loss: Tensor;
  /** [B, T] per-token surrogate loss, 0 on padding. */
  tokenLoss: Tensor;
  clipFraction: number;
  ratioMean: number;
  ratioMax: number;
  maxTokenLoss: number;
  /** Fractions of valid tokens whose raw ratio lies beyond 1e3 / below 1e-3, by the sign of A. */
  ratioTail: { aboveMaxPosA: number; aboveMaxNegA: number; belowMinPosA: number; belowMinNegA: number };
  nonFiniteTokens: number;
  validTokens: number;
}

/**
 * §4.5 Pre-CLIP PPO loss. `preClip` may bound one side only (e.g. `{ min: -Infinity, max: ln 1e3 }`
 * for the upper-bound-only ablation arm). The logged ratio tails are always measured against the
 * paper's bounds 1e3 and 1e-3, whatever Pre-CLIP is in force.
 */
export function policyLossT(input: {
  logProbs: Tensor;
  oldLogProbs: Tensor;
  advantages: Tensor;
  mask: Tensor;
  clipEps?: number;
  preClip?: PreClip;
}): PolicyLossT {
  const { logProbs, oldLogProbs, advantages, mask, clipEps = 0.2, preClip = PRE_CLIP } = input;
  const valid = validOf(mask);
  const m = valid.to(logProbs.dtype);
  const a = where(valid, advantages, 0);
  // Padding's log-ratio is set to 0 before exp, so no inf/NaN can flow back from it.
  const rawLogRatio = where(valid, logProbs.sub(oldLogProbs), 0);
  const logRatio = preClip === false ? rawLogRatio : clampLog(rawLogRatio, preClip);
  const ratio = logRatio.exp();
  const surr1 = ratio.mul(a);
  const surr2 = ratio.clamp(1 - clipEps, 1 + clipEps).mul(a);
  const tokenLoss = where(valid, surr1.minimum(surr2).neg(), 0);
  const perSequence = tokenLoss.sum(1).div(m.sum(1));
  const loss = perSequence.mean();

  const stats = noGrad(() => {
    const validTokens = countTrue(valid);
    const frac = (b: Tensor) => countTrue(b.logicalAnd(valid)) / validTokens;
    const raw = rawLogRatio.detach();
    const posA = a.ge(0);
    const above = raw.gt(PRE_CLIP.max);
    const below = raw.lt(PRE_CLIP.min);
    return {
      clipFraction: frac(surr2.detach().lt(surr1.detach())),
      ratioMean: where(valid, ratio.detach(), 0).sum().item() / validTokens,
      ratioMax: maskedMax(ratio.detach(), valid),
      maxTokenLoss: maskedMax(tokenLoss.detach(), valid),
      ratioTail: {
        aboveMaxPosA: frac(above.logicalAnd(posA)),
        aboveMaxNegA: frac(above.logicalAnd(posA.logicalNot())),
        belowMinPosA: frac(below.logicalAnd(posA)),
        belowMinNegA: frac(below.logicalAnd(posA.logicalNot())),
      },
      nonFiniteTokens: countTrue(
        tokenLoss.detach().isnan().logicalOr(tokenLoss.detach().isinf()).logicalAnd(valid),
      ),
      validTokens,
    };
  });
  return { loss, tokenLoss, ...stats };
}

function clampLog(x: Tensor, bounds: { min: number; max: number }): Tensor {
  const min = Number.isFinite(bounds.min) ? bounds.min : null;
  const max = Number.isFinite(bounds.max) ? bounds.max : null;
  return min === null && max === null ? x : x.clamp(min, max);
}

/** GRPO: z-score within each prompt's group of `groupSize` consecutive samples (unbiased std). */
export function groupAdvantagesT(rewards: Tensor, groupSize: number, eps = 1e-9): Tensor {
  const groups = rewards.reshape([-1, groupSize]);
  const mu = groups.mean(1, true);
  const std = groups.std(1, true, 1);
  return groups.sub(mu).div(std.add(eps)).reshape([-1]);
}

/** RLOO: A_i = r_i − mean of the other samples of the same prompt. */
export function rlooAdvantagesT(rewards: Tensor, groupSize: number): Tensor {
  const groups = rewards.reshape([-1, groupSize]);
  const total = groups.sum(1, true);
  return groups.sub(total.sub(groups).div(groupSize - 1)).reshape([-1]);
}

/** Spreads one value per sequence over its valid tokens: [B] → [B, T], 0 on padding. */
export function broadcastToTokensT(values: Tensor, mask: Tensor): Tensor {
  return where(validOf(mask), values.unsqueeze(1), 0);
}
