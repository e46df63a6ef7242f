// Long-CoT SFT cold start (docs/spec.md §5): teach the policy the teacher's judgements. Loss only on the
// assistant part (analysis + answer + end of sequence), AdamW (0.9, 0.95) with warmup + cosine,
// gradient-norm clipping, periodic held-out accuracy by greedy judging, atomic checkpoints, resume.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { Rng } from '../algo/random.js';
import { scope } from '../engine/index.js';
import { PRESETS, type PresetName, presetConfig } from '../model/config.js';
import { sequenceLogProbs } from '../model/scoring.js';
import { Tokenizer, type TokenizerJson } from '../model/tokenizer.js';
import { saveTrainingCheckpoint } from './checkpoint.js';
import {
  DataSourceSchema,
  HeldOutSchema,
  JUDGE_DATA_FORMATS,
  OPTIMISER_FIELDS,
  parseConfig,
  RUNTIME_FIELDS,
} from './config-fields.js';
import { type HeldOutResult, heldOutAccuracy } from './evaluate.js';
import {
  CAPTION_PROMPT,
  type EncodedItem,
  encodeCaptions,
  encodeItems,
  readCaptionItems,
  readJudgeItems,
  tokenizerCorpus,
} from './judge-items.js';
import { createPolicy, guardedStep, loadPolicy, makeOptimizer, openRunFolder, type Policy } from './run.js';
import { learningRate } from './schedule.js';

/**
 * The zod schema of the SFT trainer's config: fills the defaults and checks every field, with messages that
 * name it.
 */
export const SftConfigSchema = z.object({
  runDir: z.string().min(1),
  /**
   * R1-Reward JSONL with teacher traces in `response` (the synthetic world's sft.jsonl), or with
   * `format: 'captions'` image descriptions (its captions.jsonl) for the perception pretraining stage.
   */
  data: DataSourceSchema.extend({ format: z.enum([...JUDGE_DATA_FORMATS, 'captions']).default('r1-reward') }),
  /** Held-out pairs judged greedily every `evalEvery` steps (the synthetic world's benchmark.jsonl). */
  heldOut: HeldOutSchema.optional(),
  /** Model preset for a fresh model, or `init` (a checkpoint or run folder) to continue one. */
  preset: z.enum(Object.keys(PRESETS) as [PresetName, ...PresetName[]]).default('tiny'),
  /** LM positions of a fresh model (ModelConfig.positions): the preset's own (learned) by default. */
  positions: z.enum(['learned', 'rope']).optional(),
  init: z.string().optional(),
  /** A trained tokenizer.json; without one a byte-level BPE of `vocabSize` is trained on the data. */
  tokenizer: z.string().optional(),
  vocabSize: z.number().int().min(300).default(512),
  seed: z.number().int().default(0),
  epochs: z.number().positive().default(1),
  /** Optimiser steps; default: epochs × items / batchSize. */
  steps: z.number().int().positive().optional(),
  batchSize: z.number().int().positive().default(16),
  microBatchSize: z.number().int().positive().default(8),
  lr: z.number().positive().default(1e-3),
  ...OPTIMISER_FIELDS,
  evalEvery: z.number().int().min(0).default(50),
  evalSize: z.number().int().positive().default(100),
  evalMaxNewTokens: z.number().int().positive().default(96),
  checkpointEvery: z.number().int().min(0).default(50),
  keepCheckpoints: z.number().int().positive().default(2),
  resume: z.boolean().default(false),
  ...RUNTIME_FIELDS,
});

/**
 * The SFT trainer's config as you write it (defaults optional); see {@link SftConfigSchema} for every field.
 */
export type SftConfig = z.input<typeof SftConfigSchema>;
type Resolved = z.output<typeof SftConfigSchema>;

/** One line of the SFT run's metrics.jsonl. */
export interface SftStepMetrics {
  step: number;
  loss: number;
  lr: number;
  grad_norm: number;
  skipped_updates: number;
  tokens: number;
  tokens_per_s: number;
  held_out_accuracy?: number;
  held_out_format_rate?: number;
}

/** What {@link trainSft} did: the final checkpoint, steps, held-out accuracy, final loss and speed. */
export interface SftResult {
  runDir: string;
  checkpoint: string;
  steps: number;
  heldOut: HeldOutResult | null;
  finalLoss: number;
  tokensPerSecond: number;
}

/** Callbacks of the trainers (a progress line). */
export interface TrainHooks<M> {
  /** Called after every step with what was logged (for a progress line). */
  onStep?: (metrics: M, totalSteps: number) => void;
  /** Something the user should know that does not stop the run (e.g. a corrupted checkpoint passed over on resume). */
  onWarning?: (message: string) => void;
}

/** Item indices for optimiser step `step`: consecutive windows over seeded per-epoch permutations. */
export function batchIndices(n: number, batchSize: number, step: number, seed: number): number[] {
  const out: number[] = [];
  for (let k = step * batchSize; k < (step + 1) * batchSize; k++) {
    const epoch = Math.floor(k / n);
    out.push(epochOrder(n, seed, epoch)[k % n]!);
  }
  return out;
}

const orderCache = new Map<string, number[]>();
function epochOrder(n: number, seed: number, epoch: number): number[] {
  const key = `${n}:${seed}:${epoch}`;
  let order = orderCache.get(key);
  if (!order) {
    order = new Rng(seed * 7919 + epoch).shuffle(Array.from({ length: n }, (_, i) => i));
    if (orderCache.size > 64) orderCache.clear();
    orderCache.set(key, order);
  }
  return order;
}

async function initialPolicy(config: Resolved, corpus: () => string[]): Promise<Policy> {
  if (config.init) return loadPolicy(config.init, config.device);
  const tokenizer = config.tokenizer
    ? new Tokenizer(JSON.parse(readFileSync(config.tokenizer, 'utf8')) as TokenizerJson)
    : Tokenizer.train(corpus(), { vocabSize: config.vocabSize });
  const model = presetConfig(config.preset, tokenizer.vocabSize);
  if (config.positions) model.positions = config.positions;
  return createPolicy(model, tokenizer, config.seed, config.device);
}

/** Encodes the held-out split for greedy judging (shared with RL). */
export async function loadHeldOut(
  source: Resolved['heldOut'],
  policy: Policy,
  size: number,
  maxNewTokens: number,
  seed: number,
): Promise<EncodedItem[]> {
  if (!source) return [];
  const items = await readJudgeItems({ ...source, limit: source.limit ?? size }, seed);
  return (
    await encodeItems(items, policy.tokenizer, policy.model.config, {
      withTrace: false,
      responseBudget: maxNewTokens,
    })
  ).items;
}

/**
 * SFT cold start: teaches the model the judge format from teacher traces (token-mean cross-entropy on the
 * trace tokens); logs metrics.jsonl and checkpoints, and resumes.
 */
export async function trainSft(input: SftConfig, hooks: TrainHooks<SftStepMetrics> = {}): Promise<SftResult> {
  const config = parseConfig(SftConfigSchema, input, 'SFT config');
  const run = openRunFolder(config.runDir, 'train sft', config, config.resume, hooks.onWarning);
  // 'captions': the perception pretraining stage (describe the image); otherwise judging traces.
  const { format } = config.data;
  const captions = format === 'captions';
  const items = format === 'captions' ? [] : await readJudgeItems({ ...config.data, format }, config.seed);
  const captionItems = captions ? await readCaptionItems(config.data) : [];
  if (items.length + captionItems.length === 0)
    throw new Error(`SFT data ${config.data.file} has no records`);
  const policy = run.resumeFrom
    ? run.resumeFrom.loaded
    : await initialPolicy(config, () =>
        captions
          ? [CAPTION_PROMPT, ...captionItems.flatMap((c) => [c.prompt ?? '', c.caption])]
          : tokenizerCorpus(items),
      );
  const { model, tokenizer } = policy;
  const encoded = captions
    ? await encodeCaptions(captionItems, tokenizer, model.config)
    : await encodeItems(items, tokenizer, model.config, { withTrace: true, responseBudget: 0 });
  if (encoded.items.length === 0)
    throw new Error(
      `every SFT example is longer than maxSeqLen ${model.config.maxSeqLen}; use a larger preset`,
    );
  const train = encoded.items;
  const heldOut = await loadHeldOut(
    config.heldOut,
    policy,
    config.evalSize,
    config.evalMaxNewTokens,
    config.seed,
  );
  const steps = config.steps ?? Math.max(1, Math.ceil((config.epochs * train.length) / config.batchSize));
  const optimizer = makeOptimizer(model.parameters(), config.weightDecay);
  let start = 0;
  let skippedUpdates = 0;
  if (run.resumeFrom) {
    run.resumeFrom.restoreOptimizer(optimizer);
    start = run.resumeFrom.step;
    skippedUpdates = run.resumeFrom.extras.counters['skipped_updates'] ?? 0;
  }
  const evaluate = () =>
    heldOut.length > 0
      ? heldOutAccuracy(model, tokenizer, heldOut, { maxNewTokens: config.evalMaxNewTokens, batchSize: 16 })
      : null;
  const checkpoint = (step: number) =>
    saveTrainingCheckpoint(
      run.checkpoints,
      {
        model,
        tokenizer,
        optimizer,
        step,
        extras: { kind: 'sft', config, rng: {}, counters: { skipped_updates: skippedUpdates } },
      },
      config.keepCheckpoints,
    );

  let lastHeldOut: HeldOutResult | null = null;
  let finalLoss = Number.NaN;
  let totalTokens = 0;
  let totalSeconds = 0;
  let lastCheckpoint = '';
  for (let step = start; step < steps; step++) {
    const t0 = performance.now();
    const batch = batchIndices(train.length, config.batchSize, step, config.seed).map((i) => train[i]!);
    const targetTokens = batch.reduce((s, e) => s + e.targetTokens!.length, 0);
    const lr = learningRate(
      { lr: config.lr, totalSteps: steps, warmupRatio: config.warmupRatio, minLrRatio: config.minLrRatio },
      step,
    );
    // Token-mean cross-entropy over the whole batch, accumulated over micro-batches.
    let loss = 0;
    for (let m = 0; m < batch.length; m += config.microBatchSize) {
      const micro = batch.slice(m, m + config.microBatchSize);
      loss += scope(() => {
        const { logProbs } = sequenceLogProbs(model, {
          prompts: micro.map((e) => e.promptTokens),
          responses: micro.map((e) => e.targetTokens!),
          images: micro.map((e) => e.images),
          train: true,
        });
        // logProbs is 0 on padding, so the sum runs over the assistant tokens only.
        const nll = logProbs.sum().neg().div(targetTokens);
        nll.backward();
        return nll.item();
      });
    }
    const { gradNorm, skipped } = guardedStep(optimizer, Number.isFinite(loss), lr, config.gradClip);
    if (skipped) skippedUpdates++;
    finalLoss = loss;
    const seconds = (performance.now() - t0) / 1000;
    totalTokens += targetTokens;
    totalSeconds += seconds;
    const metrics: SftStepMetrics = {
      step,
      loss,
      lr,
      grad_norm: gradNorm,
      skipped_updates: skippedUpdates,
      tokens: targetTokens,
      tokens_per_s: targetTokens / seconds,
    };
    const last = step === steps - 1;
    if ((config.evalEvery > 0 && (step + 1) % config.evalEvery === 0) || last) {
      lastHeldOut = evaluate();
      if (lastHeldOut) {
        metrics.held_out_accuracy = lastHeldOut.accuracy;
        metrics.held_out_format_rate = lastHeldOut.formatRate;
      }
    }
    run.logStep(metrics);
    hooks.onStep?.(metrics, steps);
    if ((config.checkpointEvery > 0 && (step + 1) % config.checkpointEvery === 0) || last)
      lastCheckpoint = checkpoint(step + 1);
  }
  run.log.close();
  if (!lastCheckpoint) lastCheckpoint = checkpoint(steps);
  return {
    runDir: config.runDir,
    checkpoint: lastCheckpoint,
    steps,
    heldOut: lastHeldOut ?? evaluate(),
    finalLoss,
    tokensPerSecond: totalSeconds > 0 ? totalTokens / totalSeconds : 0,
  };
}
