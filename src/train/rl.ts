// StableReinforce RL (docs/spec.md §4), one file, read top to bottom like CleanRL's ppo.py:
//
//   for each step:
//     1. rollout      sample n judgements per prompt of the RL split (temperature 1.0)
//     2. reward       F, R, C (referee) → R·(1 + 0.5·C) + 0.5·F; a zero-spread batch is "frozen"
//     3. log-probs    old policy (and reference when β > 0) on the sampled responses
//     4. advantages   token rewards → returns → normalise + Advantage Filter (or GRPO / RLOO)
//     5. update       Pre-CLIP PPO loss, micro-batches with gradient accumulation, clip 1.0, AdamW
//     6. log, evaluate, checkpoint
//
// Every knob of the ablation (algorithm, Pre-CLIP bounds, filter window, consistency, PPO epochs,
// the rollout/trainer mismatch) is a field of RlConfig; the tensor math is stable-reinforce-tensors.ts.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { noGrad, scope, type Tensor, tensor, where } from '../engine/index.js';
import { writeJsonAtomic } from '../io/atomic-write.js';
import { type Generation, generate } from '../model/generate.js';
import type { VisionLanguageModel } from '../model/model.js';
import { Rng, type RngState } from '../model/random.js';
import type { ScoringBatch } from '../model/scoring.js';
import { sequenceLogProbs } from '../model/scoring.js';
import { createReferee } from '../reward/referees/index.js';
import { scoreJudgements } from '../reward/rewards.js';
import { saveTrainingCheckpoint } from './checkpoint.js';
import { parseConfig } from './config-fields.js';
import { type HeldOutResult, heldOutAccuracy } from './evaluate.js';
import { HARD_PROMPTS_FILE, selectHardPrompts } from './hard-samples.js';
import {
  type EncodedItem,
  encodeItems,
  readJudgeItems,
  SWAPPED_SUFFIX,
  withBothOrders,
} from './judge-items.js';
import { planOf, type RlConfig, RlConfigSchema, type RlPlan, type RlResolved } from './rl-config.js';
import { guardedStep, loadPolicy, logProbsInMicroBatches, makeOptimizer, openRunFolder } from './run.js';
import { learningRate } from './schedule.js';
import { batchIndices, loadHeldOut, type TrainHooks } from './sft.js';
import {
  cumulativeReturnsT,
  groupAdvantagesT,
  klPerTokenT,
  normalizeAdvantagesT,
  policyLossT,
  rlooAdvantagesT,
  tokenRewardsT,
} from './stable-reinforce-tensors.js';

export type { RlConfig } from './rl-config.js';

/** One step's log line; names follow the paper. */
export interface RlStepMetrics {
  step: number;
  lr: number;
  reward_mean: number;
  reward_std: number;
  format_rate: number;
  result_rate: number;
  consistency_rate: number;
  inconsistency_rate: number;
  referee_failures: number;
  fallback_choices: number;
  unparseable: number;
  response_length: number;
  response_length_max: number;
  length_capped_fraction: number;
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
  filtered_fraction: number;
  grad_norm: number;
  optimizer_steps: number;
  non_finite_losses: number;
  skipped_updates: number;
  /** Sampled responses cut at an image placeholder token (see cutAtImagePlaceholder). */
  image_token_cuts: number;
  tokens_per_s: number;
  rollout_s: number;
  reward_s: number;
  logprob_s: number;
  update_s: number;
  held_out_accuracy?: number;
  held_out_format_rate?: number;
  held_out_length?: number;
}

/** Timing fields: the only ones that differ between a resumed run and an uninterrupted one. */
export const TIMING_FIELDS = [
  'tokens_per_s',
  'rollout_s',
  'reward_s',
  'logprob_s',
  'update_s',
  'time',
] as const;

/** What {@link trainRl} did: the final checkpoint, steps, held-out accuracy before and after, and speed. */
export interface RlResult {
  runDir: string;
  checkpoint: string;
  steps: number;
  /** RL prompts drawn from (after `selectHard`, when set). */
  prompts: number;
  initialHeldOut: HeldOutResult | null;
  heldOut: HeldOutResult | null;
  stepsPerSecond: number;
}

/** Experience of one rollout, on tensors: [N, L] unless noted. */
export interface Experience {
  batch: ScoringBatch;
  mask: Tensor;
  oldLogProbs: Tensor;
  advantages: Tensor;
}

const gaussian = (rng: Rng): number => {
  const u = Math.max(rng.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
};

const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
const std = (xs: readonly number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));

/** {@link trainRl}'s callbacks: every step, and the hard-sample selection's progress before step 0. */
export interface RlHooks extends TrainHooks<RlStepMetrics> {
  /** Called while `selectHard` judges the RL prompts: prompts judged so far, of all. */
  onSelectHard?: (judged: number, total: number) => void;
}

/**
 * StableReinforce RL (or another algorithm of {@link ALGORITHMS}) from an SFT checkpoint: rollouts, rewards
 * R·(1 + 0.5·C) + 0.5·F, advantages, the Pre-CLIP PPO update; logs metrics.jsonl and checkpoints, and
 * resumes.
 */
export async function trainRl(input: RlConfig, hooks: RlHooks = {}): Promise<RlResult> {
  const config: RlResolved = parseConfig(RlConfigSchema, input, 'RL config');
  const plan: RlPlan = planOf(config);
  const run = openRunFolder(config.runDir, 'train rl', config, config.resume);
  const resume = run.resumeFrom;

  // --- policy, reference, stale sampler, optimiser -------------------------------------------------
  const { model, tokenizer } = resume ? resume.loaded : loadPolicy(config.init, config.device);
  const optimizer = makeOptimizer(model.parameters(), config.weightDecay);
  const reference = config.klCoef > 0 ? loadPolicy(config.init, config.device).model : null;
  // The mismatch knob: the sampler holds the policy as it was `staleUpdates` RL steps (updates) ago,
  // and/or with its weights rounded to a lower precision; otherwise the policy samples itself.
  const staleHistory: Tensor[][] = [];
  const { staleUpdates, samplerPrecision } = config.mismatch;
  const sampler: VisionLanguageModel =
    staleUpdates > 0 || samplerPrecision !== 'float32' ? model.clone() : model;
  const snapshot = () => noGrad(() => model.parameters().map((p) => p.detach().clone().keep()));

  const rng = {
    sample: new Rng(config.seed),
    noise: new Rng(config.seed + 1),
    update: new Rng(config.seed + 2),
  };
  const counters = {
    zero_spread_batches: 0,
    non_finite_losses: 0,
    skipped_updates: 0,
    resampled: 0,
    image_token_cuts: 0,
  };
  let start = 0;
  if (resume) {
    resume.restoreOptimizer(optimizer);
    start = resume.step;
    for (const key of Object.keys(rng) as (keyof typeof rng)[]) {
      const state = resume.extras.rng[key];
      if (state) rng[key] = new Rng(state as RngState);
    }
    Object.assign(counters, resume.extras.counters);
    const saved = resume.stalePolicy();
    if (saved) {
      const count = Object.keys(saved).length / model.parameters().length;
      for (let k = 0; k < count; k++) {
        staleHistory.push(model.namedParameters().map(([name]) => saved[`${k}.${name}`]!.keep()));
      }
    }
  }
  if (staleUpdates > 0 && staleHistory.length === 0) staleHistory.push(snapshot());

  // --- data ------------------------------------------------------------------------------------------
  const read = await readJudgeItems({ ...config.data, format: config.data.format as never }, config.seed);
  // Both orders: every item next to its swapped copy, drawn together (see rolloutPrompts).
  const items = config.bothOrders ? withBothOrders(read) : read;
  const encoded = await encodeItems(items, tokenizer, model.config, {
    withTrace: false,
    responseBudget: config.maxNewTokens,
  });
  if (config.bothOrders) encoded.items = wholePairs(encoded.items);
  if (encoded.items.length === 0)
    throw new Error(
      `no RL prompt of ${config.data.file} fits maxSeqLen ${model.config.maxSeqLen} with maxNewTokens ${config.maxNewTokens}`,
    );
  // RL data = the hard samples (docs/spec.md §5): optionally keep only the prompts the starting policy misses.
  const prompts =
    config.selectHard > 0
      ? (
          await selectHardPrompts(model, tokenizer, encoded.items, {
            samples: config.selectHard,
            temperature: config.temperature,
            maxNewTokens: config.maxNewTokens,
            seed: config.seed + 3,
            file: join(config.runDir, HARD_PROMPTS_FILE),
            pairs: config.bothOrders,
            ...(hooks.onSelectHard ? { onProgress: hooks.onSelectHard } : {}),
          })
        ).prompts
      : encoded.items;
  const evalMaxNewTokens = config.evalMaxNewTokens ?? config.maxNewTokens;
  const heldOut = await loadHeldOut(
    config.heldOut,
    { model, tokenizer },
    config.evalSize,
    evalMaxNewTokens,
    config.seed,
  );
  const evaluate = () =>
    heldOut.length > 0
      ? heldOutAccuracy(model, tokenizer, heldOut, { maxNewTokens: evalMaxNewTokens, batchSize: 16 })
      : null;
  const referee = config.consistency ? createReferee(config.referee) : null;

  const initialPath = join(config.runDir, 'initial-held-out.json');
  let initialHeldOut: HeldOutResult | null = null;
  if (existsSync(initialPath))
    initialHeldOut = JSON.parse(readFileSync(initialPath, 'utf8')) as HeldOutResult;
  else if (!resume) {
    initialHeldOut = evaluate();
    writeJsonAtomic(initialPath, initialHeldOut);
  }

  const checkpoint = (step: number) =>
    saveTrainingCheckpoint(
      run.checkpoints,
      {
        model,
        tokenizer,
        optimizer,
        step,
        extras: {
          kind: 'rl',
          config,
          rng: { sample: rng.sample.state, noise: rng.noise.state, update: rng.update.state },
          counters,
        },
        ...(staleHistory.length > 0
          ? {
              stalePolicy: Object.fromEntries(
                staleHistory.flatMap((weights, k) =>
                  model.namedParameters().map(([name], i) => [`${k}.${name}`, weights[i]!] as const),
                ),
              ),
            }
          : {}),
      },
      config.keepCheckpoints,
    );

  // With bothOrders a batch holds whole pairs (an item in both orders), so a position preference
  // is right in one and wrong in the other and its advantage cancels within the batch.
  const rolloutPrompts = (draw: number, stream: number): EncodedItem[] =>
    config.bothOrders
      ? batchIndices(prompts.length / 2, config.rolloutBatch / 2, draw, config.seed + stream).flatMap((i) => [
          prompts[2 * i]!,
          prompts[2 * i + 1]!,
        ])
      : batchIndices(prompts.length, config.rolloutBatch, draw, config.seed + stream).map((i) => prompts[i]!);

  let lastHeldOut: HeldOutResult | null = null;
  let lastCheckpoint = '';
  const runStart = performance.now();
  for (let step = start; step < config.steps; step++) {
    const lr = learningRate(
      {
        lr: config.lr,
        totalSteps: config.steps,
        warmupRatio: config.warmupRatio,
        minLrRatio: config.minLrRatio,
      },
      step,
    );

    // 1. Rollout ------------------------------------------------------------------------------------
    let t = performance.now();
    if (sampler !== model) {
      const source = staleHistory[0] ?? model.parameters();
      // copy_ from a bfloat16/float16 copy rounds each weight to that precision and back.
      noGrad(() =>
        scope(() => {
          for (const [i, p] of sampler.parameters().entries())
            p.copy_(samplerPrecision === 'float32' ? source[i]! : source[i]!.to(samplerPrecision));
        }),
      );
    }
    let batchPrompts = rolloutPrompts(step, 0);
    let generations = rollout(sampler, batchPrompts);
    let rolloutSeconds = (performance.now() - t) / 1000;

    // 2. Reward (a zero-spread batch is frozen: no learning signal; optionally resample it) ---------
    t = performance.now();
    let labels = repeatLabels(batchPrompts);
    let rewards = await scoreJudgements(
      generations.map((g) => g.text),
      labels,
      { referee },
    );
    const frozen = new Set(rewards.rewards).size === 1;
    let resampled = 0;
    while (new Set(rewards.rewards).size === 1 && resampled < config.resampleFrozen) {
      resampled++;
      counters.resampled++;
      batchPrompts = rolloutPrompts(counters.resampled, 1);
      const t2 = performance.now();
      generations = rollout(sampler, batchPrompts);
      rolloutSeconds += (performance.now() - t2) / 1000;
      labels = repeatLabels(batchPrompts);
      rewards = await scoreJudgements(
        generations.map((g) => g.text),
        labels,
        { referee },
      );
    }
    if (frozen) counters.zero_spread_batches++;
    const rewardSeconds = (performance.now() - t) / 1000;

    // 3–4. Old-policy / reference log-probs and advantages ----------------------------------------
    t = performance.now();
    const promptOf = (i: number) => batchPrompts[Math.floor(i / plan.samplesPerPrompt)]!;
    const batch: ScoringBatch = {
      prompts: generations.map((_, i) => promptOf(i).promptTokens),
      responses: generations.map((g) => g.tokenIds),
      images: generations.map((_, i) => promptOf(i).images),
    };
    const width = Math.max(...generations.map((g) => g.tokenIds.length));
    const experience = scope(() => {
      const onDevice = { dtype: 'float32', device: model.device } as const;
      const mask = tensor(
        generations.map((g) => Array.from({ length: width }, (_, j) => (j < g.tokenIds.length ? 1 : 0))),
        onDevice,
      );
      let oldLogProbs =
        config.mismatch.oldLogProbs === 'rollout'
          ? tensor(
              generations.map((g) => [
                ...g.logProbs,
                ...new Array<number>(width - g.logProbs.length).fill(0),
              ]),
              onDevice,
            )
          : logProbsInMicroBatches(model, batch, config.microBatch, width);
      if (config.mismatch.oldLogProbNoise > 0) {
        const noise = generations.map(() => Array.from({ length: width }, () => gaussian(rng.noise)));
        oldLogProbs = oldLogProbs.add(tensor(noise, onDevice).mul(config.mismatch.oldLogProbNoise));
      }
      const refLogProbs = reference
        ? logProbsInMicroBatches(reference, batch, config.microBatch, width)
        : undefined;
      const rewardT = tensor(rewards.rewards, onDevice);
      let advantages: Tensor;
      let stats = { mean: 0, std: 0, filteredTokens: 0, validTokens: 1 };
      if (plan.advantage === 'grpo') {
        advantages = groupAdvantagesT(rewardT, plan.samplesPerPrompt).unsqueeze(1).mul(mask);
      } else {
        const sequenceAdvantages =
          plan.advantage === 'rloo' ? rlooAdvantagesT(rewardT, plan.samplesPerPrompt) : rewardT;
        const r = tokenRewardsT({
          rewards: sequenceAdvantages,
          logProbs: oldLogProbs,
          ...(refLogProbs ? { refLogProbs } : {}),
          mask,
          klCoef: config.klCoef,
          klEstimator: config.klEstimator,
          rewardClip: [-config.rewardClip, config.rewardClip],
        });
        const returns = cumulativeReturnsT({ tokenRewards: r, mask, gamma: config.gamma });
        const normalized = normalizeAdvantagesT({ advantages: returns, mask, filter: plan.filter });
        advantages = normalized.advantages;
        stats = normalized;
      }
      const valid = mask.gt(0);
      const validTokens = mask.sum().item();
      const advValues = noGrad(() => ({
        mean: advantages.sum().item() / validTokens,
        min: where(valid, advantages, Number.POSITIVE_INFINITY).amin().item(),
        max: where(valid, advantages, Number.NEGATIVE_INFINITY).amax().item(),
      }));
      const advStd = Math.sqrt(advantages.sub(advValues.mean).square().mul(mask).sum().item() / validTokens);
      const refKl = refLogProbs
        ? klPerTokenT(oldLogProbs, refLogProbs, config.klEstimator).mul(mask).sum().item() / validTokens
        : 0;
      return {
        exp: {
          batch,
          mask: mask.keep(),
          oldLogProbs: oldLogProbs.detach().keep(),
          advantages: advantages.detach().keep(),
        },
        advantage: { ...advValues, std: advStd, filtered: stats.filteredTokens / validTokens },
        refKl,
      };
    });
    const logprobSeconds = (performance.now() - t) / 1000;

    // 5. Update: PPO epochs × mini-batches × micro-batches ------------------------------------------
    t = performance.now();
    const update = ppoUpdate(model, optimizer, experience.exp, {
      epochs: config.ppoEpochs,
      trainBatch: plan.trainBatch,
      microBatch: config.microBatch,
      clipEps: config.clipEps,
      preClip: plan.preClip,
      lr,
      gradClip: config.gradClip,
      rng: rng.update,
    });
    counters.non_finite_losses += update.nonFiniteLosses;
    counters.skipped_updates += update.skippedUpdates;
    for (const tensorOf of [experience.exp.mask, experience.exp.oldLogProbs, experience.exp.advantages])
      tensorOf.dispose();
    if (staleUpdates > 0) {
      staleHistory.push(snapshot()); // one policy per RL step: the sampler lags `staleUpdates` updates
      while (staleHistory.length > staleUpdates + 1) for (const w of staleHistory.shift()!) w.dispose();
    }
    const updateSeconds = (performance.now() - t) / 1000;

    // 6. Log, evaluate, checkpoint --------------------------------------------------------------------
    const lengths = generations.map((g) => g.tokenIds.length);
    const responseTokens = lengths.reduce((s, n) => s + n, 0);
    const metrics: RlStepMetrics = {
      step,
      lr,
      reward_mean: mean(rewards.rewards),
      reward_std: std(rewards.rewards),
      format_rate: rewards.formatRate,
      result_rate: rewards.resultRate,
      consistency_rate: rewards.consistentRate,
      inconsistency_rate: rewards.inconsistentRate,
      referee_failures: rewards.refereeFailures,
      fallback_choices: rewards.fallbackChoices,
      unparseable: rewards.unparseable,
      response_length: mean(lengths),
      response_length_max: Math.max(...lengths),
      length_capped_fraction:
        generations.filter((g) => g.finishReason === 'length').length / generations.length,
      frozen,
      resampled,
      zero_spread_batches: counters.zero_spread_batches,
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
      optimizer_steps: optimizer.stepCount,
      non_finite_losses: counters.non_finite_losses,
      skipped_updates: counters.skipped_updates,
      image_token_cuts: counters.image_token_cuts,
      tokens_per_s:
        responseTokens / Math.max(1e-9, rolloutSeconds + rewardSeconds + logprobSeconds + updateSeconds),
      rollout_s: rolloutSeconds,
      reward_s: rewardSeconds,
      logprob_s: logprobSeconds,
      update_s: updateSeconds,
    };
    const last = step === config.steps - 1;
    if ((config.evalEvery > 0 && (step + 1) % config.evalEvery === 0) || last) {
      lastHeldOut = evaluate();
      if (lastHeldOut) {
        metrics.held_out_accuracy = lastHeldOut.accuracy;
        metrics.held_out_format_rate = lastHeldOut.formatRate;
        metrics.held_out_length = lastHeldOut.meanLength;
      }
    }
    run.log.append({ ...metrics, time: new Date().toISOString() });
    hooks.onStep?.(metrics, config.steps);
    if ((config.checkpointEvery > 0 && (step + 1) % config.checkpointEvery === 0) || last)
      lastCheckpoint = checkpoint(step + 1);
  }
  run.log.close();
  if (!lastCheckpoint) lastCheckpoint = checkpoint(config.steps);
  const seconds = (performance.now() - runStart) / 1000;
  return {
    runDir: config.runDir,
    checkpoint: lastCheckpoint,
    steps: config.steps,
    prompts: prompts.length,
    initialHeldOut,
    heldOut: lastHeldOut,
    stepsPerSecond: (config.steps - start) / Math.max(1e-9, seconds),
  };

  function rollout(policy: VisionLanguageModel, batchPrompts: EncodedItem[]): Generation[] {
    return generate(
      policy,
      tokenizer,
      batchPrompts.map((p) => ({ tokens: p.promptTokens, images: p.images })),
      { temperature: config.temperature, maxNewTokens: config.maxNewTokens, n: plan.samplesPerPrompt },
      rng.sample,
    )
      .flat()
      .map(cutAtImagePlaceholder);
  }

  /**
   * A sampled image placeholder has no image to stand for, and the model refuses to score it: the
   * response is cut before it (an empty one becomes end-of-sequence) and the cut is counted.
   */
  function cutAtImagePlaceholder(g: Generation): Generation {
    const cut = model.imageTokenId === null ? -1 : g.tokenIds.indexOf(model.imageTokenId);
    if (cut < 0) return g;
    counters.image_token_cuts++;
    const tokenIds = cut === 0 ? [tokenizer.id('eos')] : g.tokenIds.slice(0, cut);
    const logProbs = cut === 0 ? [0] : g.logProbs.slice(0, cut);
    return { text: tokenizer.decode(cut === 0 ? [] : tokenIds), tokenIds, logProbs, finishReason: 'stop' };
  }

  function repeatLabels(batchPrompts: EncodedItem[]): (1 | 2)[] {
    return batchPrompts.flatMap((p) => new Array<1 | 2>(plan.samplesPerPrompt).fill(p.label));
  }
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
  let tokens = 0;
  let lossSum = 0;
  let miniBatches = 0;
  let maxTokenLoss = Number.NEGATIVE_INFINITY;
  let ratioSum = 0;
  let ratioMax = Number.NEGATIVE_INFINITY;
  let clipped = 0;
  let klSum = 0;
  let gradNormSum = 0;
  let optimizerSteps = 0;
  let nonFiniteLosses = 0;
  let skippedUpdates = 0;
  const tail = { aboveMaxPosA: 0, aboveMaxNegA: 0, belowMinPosA: 0, belowMinNegA: 0 };
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = options.rng.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (let m = 0; m < n; m += options.trainBatch) {
      const mini = order.slice(m, m + options.trainBatch);
      let miniLoss = 0;
      for (let u = 0; u < mini.length; u += options.microBatch) {
        const micro = mini.slice(u, u + options.microBatch);
        miniLoss += scope(() => {
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
          const weighted = out.loss.mul(micro.length / mini.length);
          weighted.backward();
          noGrad(() => {
            tokens += out.validTokens;
            ratioSum += out.ratioMean * out.validTokens;
            ratioMax = Math.max(ratioMax, out.ratioMax);
            maxTokenLoss = Math.max(maxTokenLoss, out.maxTokenLoss);
            clipped += out.clipFraction * out.validTokens;
            for (const key of Object.keys(tail) as (keyof typeof tail)[])
              tail[key] += out.ratioTail[key] * out.validTokens;
            klSum += klPerTokenT(logProbs.detach(), oldLogProbs, 'k3').mul(mask).sum().item();
          });
          return weighted.item();
        });
      }
      const finite = Number.isFinite(miniLoss);
      if (!finite) nonFiniteLosses++;
      const step = guardedStep(optimizer, finite, options.lr, options.gradClip);
      if (step.skipped) skippedUpdates++;
      else optimizerSteps++;
      if (Number.isFinite(step.gradNorm)) gradNormSum += step.gradNorm;
      lossSum += miniLoss;
      miniBatches++;
    }
  }
  const perToken = (x: number) => x / Math.max(1, tokens);
  return {
    loss: lossSum / Math.max(1, miniBatches),
    maxTokenLoss,
    ratioMean: perToken(ratioSum),
    ratioMax,
    ratioTail: {
      aboveMaxPosA: perToken(tail.aboveMaxPosA),
      aboveMaxNegA: perToken(tail.aboveMaxNegA),
      belowMinPosA: perToken(tail.belowMinPosA),
      belowMinNegA: perToken(tail.belowMinNegA),
    },
    clipFraction: perToken(clipped),
    policyKl: perToken(klSum),
    gradNorm: gradNormSum / Math.max(1, miniBatches),
    optimizerSteps,
    nonFiniteLosses,
    skippedUpdates,
  };
}
