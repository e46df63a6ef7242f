// StableReinforce, read top to bottom against docs/spec.md §4.
// Pure functions on plain arrays: the reference that the tensor trainer is tested against.
//
//   §4.1 tokenRewards        r_t = −β·KL_t, plus the clamped sequence reward on the last token
//   §4.2 cumulativeReturns   G_t = r_t + γ·G_{t+1};  A_t = G_t (Reinforce++: no critic)
//   §4.3 normalizeAdvantages z = (A − μ)/σ over every valid token of the rollout batch
//   §4.4   … its Advantage Filter: paper |z| ≤ 3, or the released code's window
//   §4.5 policyLoss          Pre-CLIP ρ = exp(clamp(logπθ − logπold, ln 1e−3, ln 1e3)), then PPO clip
import {
  assertFiniteNumber,
  assertVector,
  checkMask,
  checkMasked,
  fail,
  type Matrix,
  mapMasked,
} from './validate.js';

// ---------------------------------------------------------------------------------------------
// §4.1 Token rewards
// ---------------------------------------------------------------------------------------------

/**
 * KL estimator for the per-token penalty (docs/spec.md §4.1): k1 = d, k3 = e^(−d) − 1 + d with d = logπθ − logπref.
 */
export type KlEstimator = 'k1' | 'k3';

/** Input of {@link tokenRewards}: rows are sequences, columns response tokens, `mask` 1 on real tokens. */
export interface TokenRewardsInput {
  /** One scalar reward per sequence (docs/spec.md §3: R·(1 + 0.5·C) + 0.5·F). */
  rewards: number[];
  /** log πθ of each response token (the policy that sampled, in RL: the old policy). */
  logProbs: Matrix;
  /** log πref of each response token; required when klCoef > 0. */
  refLogProbs?: Matrix;
  mask: Matrix;
  /** β. Paper: 0 (no reference model); released script: 1e-3. */
  klCoef?: number;
  klEstimator?: KlEstimator;
  /** The scalar reward is clamped to this range before it is placed (released: [−10, 10]). */
  rewardClip?: [number, number];
}

/** Per-token KL estimate between policy and reference: k1 = d, k3 = e^(−d) − 1 + d, d = logπθ − logπref. */
export function klPerToken(logProb: number, refLogProb: number, estimator: KlEstimator): number {
  const d = logProb - refLogProb;
  return estimator === 'k1' ? d : Math.exp(-d) - 1 + d;
}

/**
 * Spec §4.1: per-token rewards r_t = −β·KL_t, plus the sequence reward (clamped to `rewardClip`) on each
 * sequence's last valid token.
 */
export function tokenRewards(input: TokenRewardsInput): Matrix {
  const {
    rewards,
    logProbs,
    refLogProbs,
    mask,
    klCoef = 0,
    klEstimator = 'k1',
    rewardClip = [-10, 10],
  } = input;
  const lastToken = checkMask(mask);
  assertVector('rewards', rewards, mask.length);
  checkMasked('logProbs', logProbs, mask);
  assertFiniteNumber('klCoef', klCoef);
  if (klCoef < 0) fail(`klCoef must be ≥ 0, got ${klCoef}`);
  if (klEstimator !== 'k1' && klEstimator !== 'k3')
    fail(`klEstimator must be 'k1' or 'k3', got ${String(klEstimator)}`);
  const [lo, hi] = rewardClip;
  if (!(lo <= hi)) fail(`rewardClip must be [min, max] with min ≤ max, got [${lo}, ${hi}]`);
  if (klCoef > 0) {
    if (refLogProbs === undefined) fail('refLogProbs is required when klCoef > 0');
    checkMasked('refLogProbs', refLogProbs, mask);
  }
  return mapMasked(mask, (i, t) => {
    const kl = klCoef > 0 ? klPerToken(logProbs[i]![t]!, refLogProbs![i]![t]!, klEstimator) : 0;
    const sequenceReward = t === lastToken[i] ? Math.min(hi, Math.max(lo, rewards[i]!)) : 0;
    return -klCoef * kl + sequenceReward;
  });
}

// ---------------------------------------------------------------------------------------------
// §4.2 Returns (Reinforce++ uses them directly as advantages)
// ---------------------------------------------------------------------------------------------

/**
 * Spec §4.2: discounted returns G_t = r_t + γ·G_{t+1} over each sequence's valid tokens (Reinforce++ uses
 * them as advantages; no critic).
 */
export function cumulativeReturns(input: { tokenRewards: Matrix; mask: Matrix; gamma?: number }): Matrix {
  const { tokenRewards: r, mask, gamma = 1 } = input;
  checkMask(mask);
  checkMasked('tokenRewards', r, mask);
  assertFiniteNumber('gamma', gamma);
  return mask.map((maskRow, i) => {
    const out = new Array<number>(maskRow.length).fill(0);
    let g = 0;
    for (let t = maskRow.length - 1; t >= 0; t--) {
      if (maskRow[t] === 1) {
        g = r[i]![t]! + gamma * g;
        out[t] = g;
      }
    }
    return out;
  });
}

// ---------------------------------------------------------------------------------------------
// §4.3–4.4 Normalisation and the Advantage Filter
// ---------------------------------------------------------------------------------------------

/**
 * - `paper`: keep z where |z| ≤ 3, else 0 (the paper's Advantage Filter).
 * - `released`: the authors' code: zero z outside [μ − 3, μ + 3] where μ is the raw mean return,
 *   then zero NaN, ±Inf and |z| > 10. With rewards in [0, 2] this can drop every negative z.
 * - `none`: plain Reinforce++ normalisation.
 */
export type AdvantageFilter = 'paper' | 'released' | 'none';

/**
 * {@link normalizeAdvantagesDetailed}'s result: the normalised advantages and the statistics they were
 * computed with.
 */
export interface NormalizedAdvantages {
  advantages: Matrix;
  /** μ and population σ of the raw advantages over valid tokens (σ = √max(var, 1e−8)). */
  mean: number;
  std: number;
  validTokens: number;
  /** Valid tokens whose z was set to 0 by the filter. */
  filteredTokens: number;
}

/** The paper's Advantage Filter bound: tokens with |z| > 3 are dropped (docs/spec.md §4.4). */
export const ADVANTAGE_FILTER_LIMIT = 3;
const RELEASED_ABS_LIMIT = 10;
const VARIANCE_FLOOR = 1e-8;

/**
 * Spec §4.3–4.4: z = (A − μ)/σ over every valid token of the batch, then the Advantage Filter; also returns
 * μ, σ and how many tokens were filtered.
 */
export function normalizeAdvantagesDetailed(input: {
  advantages: Matrix;
  mask: Matrix;
  filter?: AdvantageFilter;
}): NormalizedAdvantages {
  const { advantages, mask, filter = 'paper' } = input;
  checkMask(mask);
  checkMasked('advantages', advantages, mask);
  if (filter !== 'paper' && filter !== 'released' && filter !== 'none') {
    fail(`filter must be 'paper', 'released' or 'none', got ${String(filter)}`);
  }
  let n = 0;
  let sum = 0;
  mapMasked(mask, (i, t) => {
    n++;
    sum += advantages[i]![t]!;
    return 0;
  });
  const mean = sum / n;
  let sq = 0;
  mapMasked(mask, (i, t) => {
    sq += (advantages[i]![t]! - mean) ** 2;
    return 0;
  });
  const std = Math.sqrt(Math.max(sq / n, VARIANCE_FLOOR));

  let filteredTokens = 0;
  const keep = (z: number): number => {
    let kept = z;
    if (filter === 'paper' && Math.abs(z) > ADVANTAGE_FILTER_LIMIT) kept = 0;
    if (filter === 'released') {
      if (z < mean - ADVANTAGE_FILTER_LIMIT || z > mean + ADVANTAGE_FILTER_LIMIT) kept = 0;
      if (!Number.isFinite(kept) || Math.abs(kept) > RELEASED_ABS_LIMIT) kept = 0;
    }
    if (kept !== z) filteredTokens++;
    return kept;
  };
  const normalized = mapMasked(mask, (i, t) => keep((advantages[i]![t]! - mean) / std));
  return { advantages: normalized, mean, std, validTokens: n, filteredTokens };
}

/**
 * Spec §4.3–4.4: {@link normalizeAdvantagesDetailed} returning only the normalised, filtered advantages
 * (filtered tokens become 0).
 */
export function normalizeAdvantages(input: {
  advantages: Matrix;
  mask: Matrix;
  filter?: AdvantageFilter;
}): Matrix {
  return normalizeAdvantagesDetailed(input).advantages;
}

// ---------------------------------------------------------------------------------------------
// §4.5 Pre-CLIP PPO loss
// ---------------------------------------------------------------------------------------------

/** Bounds on logπθ − logπold applied before exponentiation; `false` gives plain PPO. */
export type PreClip = { min: number; max: number } | false;

/**
 * StableReinforce's Pre-CLIP bounds on logπθ − logπold: ln 1e−3 and ln 1e3 (docs/spec.md §4.5), so the ratio lies in
 * [1e−3, 1e3].
 */
export const PRE_CLIP: { min: number; max: number } = { min: Math.log(1e-3), max: Math.log(1e3) };

/** Input of {@link policyLoss}: current and old log-probs, advantages and mask, all [sequences][tokens]. */
export interface PolicyLossInput {
  logProbs: Matrix;
  oldLogProbs: Matrix;
  advantages: Matrix;
  mask: Matrix;
  /** ε of the PPO clip (spec: 0.2). */
  clipEps?: number;
  preClip?: PreClip;
}

/**
 * {@link policyLoss}'s result: the loss and the diagnostics the trainers log (clip fraction, ratio tails,
 * non-finite tokens).
 */
export interface PolicyLoss {
  /** Mean over valid tokens of each sequence, then mean over sequences. */
  loss: number;
  /** Per-token surrogate loss −min(ρA, clip(ρ, 1−ε, 1+ε)A); 0 on padding. */
  tokenLoss: Matrix;
  /** Fraction of valid tokens where the PPO clip chose the clipped term. */
  clipFraction: number;
  /** Mean and max of the ratio actually used (after Pre-CLIP). */
  ratioMean: number;
  ratioMax: number;
  /** Largest per-token loss (the quantity that explodes without Pre-CLIP). */
  maxTokenLoss: number;
  /** Fractions of valid tokens whose raw ratio lies beyond Pre-CLIP's bounds, by the sign of A. */
  ratioTail: { aboveMaxPosA: number; aboveMaxNegA: number; belowMinPosA: number; belowMinNegA: number };
  /** Valid tokens whose loss is not finite (possible only without Pre-CLIP, e.g. ρ = ∞ with A = 0). */
  nonFiniteTokens: number;
}

/**
 * Spec §4.5: the PPO-clip loss with Pre-CLIP, ρ = exp(clamp(logπθ − logπold, PRE_CLIP)), −min(ρA, clip(ρ, 1 ±
 * ε)A) averaged per sequence, then over sequences.
 */
export function policyLoss(input: PolicyLossInput): PolicyLoss {
  const { logProbs, oldLogProbs, advantages, mask, clipEps = 0.2, preClip = PRE_CLIP } = input;
  checkMask(mask);
  checkMasked('logProbs', logProbs, mask);
  checkMasked('oldLogProbs', oldLogProbs, mask);
  checkMasked('advantages', advantages, mask);
  assertFiniteNumber('clipEps', clipEps);
  if (clipEps < 0 || clipEps >= 1) fail(`clipEps must be in [0, 1), got ${clipEps}`);
  if (preClip !== false) {
    assertFiniteNumber('preClip.min', preClip.min);
    assertFiniteNumber('preClip.max', preClip.max);
    if (preClip.min > preClip.max)
      fail(`preClip.min (${preClip.min}) must be ≤ preClip.max (${preClip.max})`);
  }
  const tailBounds = preClip === false ? PRE_CLIP : preClip;

  let tokens = 0;
  let clipped = 0;
  let ratioSum = 0;
  let ratioMax = -Infinity;
  let maxTokenLoss = -Infinity;
  let nonFiniteTokens = 0;
  const tail = { aboveMaxPosA: 0, aboveMaxNegA: 0, belowMinPosA: 0, belowMinNegA: 0 };
  let lossSum = 0;

  const tokenLoss = mask.map((maskRow, i) => {
    const row = new Array<number>(maskRow.length).fill(0);
    let seqSum = 0;
    let seqTokens = 0;
    for (let t = 0; t < maskRow.length; t++) {
      if (maskRow[t] !== 1) continue;
      const a = advantages[i]![t]!;
      const rawLogRatio = logProbs[i]![t]! - oldLogProbs[i]![t]!;
      if (rawLogRatio > tailBounds.max) tail[a >= 0 ? 'aboveMaxPosA' : 'aboveMaxNegA']++;
      if (rawLogRatio < tailBounds.min) tail[a >= 0 ? 'belowMinPosA' : 'belowMinNegA']++;
      const logRatio =
        preClip === false ? rawLogRatio : Math.min(preClip.max, Math.max(preClip.min, rawLogRatio));
      const ratio = Math.exp(logRatio);
      const surr1 = ratio * a;
      const surr2 = Math.min(1 + clipEps, Math.max(1 - clipEps, ratio)) * a;
      const loss = -Math.min(surr1, surr2);
      if (surr2 < surr1) clipped++;
      if (!Number.isFinite(loss)) nonFiniteTokens++;
      row[t] = loss;
      seqSum += loss;
      seqTokens++;
      tokens++;
      ratioSum += ratio;
      ratioMax = Math.max(ratioMax, ratio);
      maxTokenLoss = Math.max(maxTokenLoss, loss);
    }
    lossSum += seqSum / seqTokens;
    return row;
  });

  return {
    loss: lossSum / mask.length,
    tokenLoss,
    clipFraction: clipped / tokens,
    ratioMean: ratioSum / tokens,
    ratioMax,
    maxTokenLoss,
    ratioTail: {
      aboveMaxPosA: tail.aboveMaxPosA / tokens,
      aboveMaxNegA: tail.aboveMaxNegA / tokens,
      belowMinPosA: tail.belowMinPosA / tokens,
      belowMinNegA: tail.belowMinNegA / tokens,
    },
    nonFiniteTokens,
  };
}
