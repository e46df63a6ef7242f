// Step 5 of the RL loop: the update (docs/spec.md §4.5–4.6). PPO epochs over one rollout's experience,
// each over seeded-shuffled mini-batches of `trainBatch` sequences (one optimiser step each),
// accumulated over micro-batches; the loss is Pre-CLIP PPO (stable-reinforce-tensors.ts).
import { noGrad, scope, type Tensor, tensor } from '../engine/index.js';
import type { VisionLanguageModel } from '../model/model.js';
import type { Rng } from '../model/random.js';
import { sequenceLogProbs } from '../model/scoring.js';
import type { RlPlan } from './rl-config.js';
import type { Experience } from './rl-experience.js';
import { guardedStep, type makeOptimizer } from './run.js';
import { klPerTokenT, policyLossT } from './stable-reinforce-tensors.js';

/**
 * Options of {@link ppoUpdate}: PPO epochs, batch sizes, clip ε, Pre-CLIP, learning rate, gradient clip and
 * the shuffling generator.
 */
export interface UpdateOptions {
  epochs: number;
  trainBatch: number;
  microBatch: number;
  clipEps: number;
  preClip: RlPlan['preClip'];
  lr: number;
  gradClip: number;
  rng: Rng;
}

/**
 * What {@link ppoUpdate} measured: loss, ratio statistics and tails, clip fraction, policy KL, gradient norm
 * and skipped updates.
 */
export interface UpdateStats {
  loss: number;
  maxTokenLoss: number;
  ratioMean: number;
  ratioMax: number;
  ratioTail: { aboveMaxPosA: number; aboveMaxNegA: number; belowMinPosA: number; belowMinNegA: number };
  clipFraction: number;
  policyKl: number;
  gradNorm: number;
  optimizerSteps: number;
  nonFiniteLosses: number;
  skippedUpdates: number;
}

/** Running sums over the update's tokens and mini-batches. */
interface UpdateTotals {
  tokens: number;
  lossSum: number;
  miniBatches: number;
  maxTokenLoss: number;
  ratioSum: number;
  ratioMax: number;
  clipped: number;
  klSum: number;
  gradNormSum: number;
  optimizerSteps: number;
  nonFiniteLosses: number;
  skippedUpdates: number;
  tail: UpdateStats['ratioTail'];
}

/**
 * The PPO update on one rollout's experience: `epochs` passes, each over seeded-shuffled mini-batches
 * of `trainBatch` sequences (one optimiser step each), each accumulated over micro-batches. A
 * mini-batch whose loss or gradient is not finite is skipped and counted; weights never see NaN.
 */
export function ppoUpdate(
  model: VisionLanguageModel,
  optimizer: ReturnType<typeof makeOptimizer>,
  exp: Experience,
  options: UpdateOptions,
): UpdateStats {
  const n = exp.batch.prompts.length;
  const totals: UpdateTotals = {
    tokens: 0,
    lossSum: 0,
    miniBatches: 0,
    maxTokenLoss: Number.NEGATIVE_INFINITY,
    ratioSum: 0,
    ratioMax: Number.NEGATIVE_INFINITY,
    clipped: 0,
    klSum: 0,
    gradNormSum: 0,
    optimizerSteps: 0,
    nonFiniteLosses: 0,
    skippedUpdates: 0,
    tail: { aboveMaxPosA: 0, aboveMaxNegA: 0, belowMinPosA: 0, belowMinNegA: 0 },
  };
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const order = shuffled(n, options.rng);
    for (let m = 0; m < n; m += options.trainBatch) {
      const mini = order.slice(m, m + options.trainBatch);
      let miniLoss = 0;
      for (let u = 0; u < mini.length; u += options.microBatch)
        miniLoss += microBatchBackward(
          model,
          exp,
          mini.slice(u, u + options.microBatch),
          mini.length,
          options,
          totals,
        );
      const finite = Number.isFinite(miniLoss);
      if (!finite) totals.nonFiniteLosses++;
      const step = guardedStep(optimizer, finite, options.lr, options.gradClip);
      if (step.skipped) totals.skippedUpdates++;
      else totals.optimizerSteps++;
      if (Number.isFinite(step.gradNorm)) totals.gradNormSum += step.gradNorm;
      totals.lossSum += miniLoss;
      totals.miniBatches++;
    }
  }
  return updateStats(totals);
}

/** 0 … n − 1 in a seeded Fisher–Yates order. */
function shuffled(n: number, rng: Rng): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/**
 * Back-propagates one micro-batch's Pre-CLIP PPO loss, weighted by its share of the mini-batch, adds its
 * statistics to `totals`, and returns the weighted loss.
 */
function microBatchBackward(
  model: VisionLanguageModel,
  exp: Experience,
  micro: number[],
  miniSize: number,
  options: UpdateOptions,
  totals: UpdateTotals,
): number {
  return scope(() => {
    const rows = <T>(xs: readonly T[]) => micro.map((i) => xs[i]!);
    const { logProbs } = sequenceLogProbs(model, {
      prompts: rows(exp.batch.prompts),
      responses: rows(exp.batch.responses),
      ...(exp.batch.images ? { images: rows(exp.batch.images) } : {}),
      train: true,
    });
    const index = tensor(micro, { dtype: 'int64', device: model.device });
    const pick = (t: Tensor) => t.indexSelect(0, index).narrow(1, 0, logProbs.size(1));
    const mask = pick(exp.mask);
    const oldLogProbs = pick(exp.oldLogProbs);
    const out = policyLossT({
      logProbs,
      oldLogProbs,
      advantages: pick(exp.advantages),
      mask,
      clipEps: options.clipEps,
      preClip: options.preClip,
    });
    // Each micro-batch's loss is a mean over its sequences; weight it by its share of the mini-batch.
    const weighted = out.loss.mul(micro.length / miniSize);
    weighted.backward();
    noGrad(() => {
      totals.tokens += out.validTokens;
      totals.ratioSum += out.ratioMean * out.validTokens;
      totals.ratioMax = Math.max(totals.ratioMax, out.ratioMax);
      totals.maxTokenLoss = Math.max(totals.maxTokenLoss, out.maxTokenLoss);
      totals.clipped += out.clipFraction * out.validTokens;
      for (const key of Object.keys(totals.tail) as (keyof UpdateTotals['tail'])[])
        totals.tail[key] += out.ratioTail[key] * out.validTokens;
      totals.klSum += klPerTokenT(logProbs.detach(), oldLogProbs, 'k3').mul(mask).sum().item();
    });
    return weighted.item();
  });
}

/** Token means, mini-batch means and counts of the update's totals. */
function updateStats(totals: UpdateTotals): UpdateStats {
  const perToken = (x: number) => x / Math.max(1, totals.tokens);
  const { tail } = totals;
  return {
    loss: totals.lossSum / Math.max(1, totals.miniBatches),
    maxTokenLoss: totals.maxTokenLoss,
    ratioMean: perToken(totals.ratioSum),
    ratioMax: totals.ratioMax,
    ratioTail: {
      aboveMaxPosA: perToken(tail.aboveMaxPosA),
      aboveMaxNegA: perToken(tail.aboveMaxNegA),
      belowMinPosA: perToken(tail.belowMinPosA),
      belowMinNegA: perToken(tail.belowMinNegA),
    },
    clipFraction: perToken(totals.clipped),
    policyKl: perToken(totals.klSum),
    gradNorm: totals.gradNormSum / Math.max(1, totals.miniBatches),
    optimizerSteps: totals.optimizerSteps,
    nonFiniteLosses: totals.nonFiniteLosses,
    skippedUpdates: totals.skippedUpdates,
  };
}
