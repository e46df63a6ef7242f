// What SFT and RL share around their loops: the run folder (run.json, metrics.jsonl, checkpoints/),
// loading a policy, batched response log-probs, and one guarded optimiser step.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AdamW,
  cat,
  clipGradNorm,
  type Device,
  engineInfo,
  noGrad,
  requireDevice,
  setNumThreads,
  type Tensor,
  zeros,
} from '../engine/index.js';
import { JsonlAppender, writeFileAtomic } from '../io/atomic-write.js';
import { makeRunRecord, saveRunRecord } from '../io/run-record.js';
import { loadCheckpoint } from '../model/checkpoint.js';
import type { ModelConfig } from '../model/config.js';
import { VisionLanguageModel } from '../model/model.js';
import { type ScoringBatch, sequenceLogProbs } from '../model/scoring.js';
import type { Tokenizer } from '../model/tokenizer.js';
import {
  type OpenedTrainingCheckpoint,
  openNewestIntactCheckpoint,
  resolveCheckpoint,
} from './checkpoint.js';

export interface RunFolder<Config> {
  dir: string;
  checkpoints: string;
  log: JsonlAppender;
  /** Appends one step's metrics to metrics.jsonl, stamped with its wall-clock time (`time`, ISO 8601). */
  logStep(metrics: object): void;
  /** The checkpoint to continue from (with resume), already verified. */
  resumeFrom: OpenedTrainingCheckpoint<Config> | null;
}

/**
 * Opens a run folder. A new run needs an empty (or absent) folder; `resume` continues from the
 * newest intact checkpoint (newer corrupted ones are named through `onWarning` and passed over) and
 * drops logged steps after it, so the log continues exactly where it left off.
 */
export function openRunFolder<
  Config extends { seed: number; threads?: number | undefined; device?: Device | undefined },
>(
  dir: string,
  command: string,
  config: Config,
  resume: boolean,
  onWarning: (message: string) => void = () => {},
): RunFolder<Config> {
  if (config.threads !== undefined) setNumThreads(config.threads);
  if (config.device !== undefined) requireDevice(config.device);
  const checkpoints = join(dir, 'checkpoints');
  const metricsPath = join(dir, 'metrics.jsonl');
  let resumeFrom: OpenedTrainingCheckpoint<Config> | null = null;
  if (resume) {
    const found = openNewestIntactCheckpoint<Config>(checkpoints, config.device);
    for (const s of found?.skipped ?? [])
      onWarning(`resume: skipped the checkpoint ${s.dir}, it is not intact: ${s.reason}`);
    if (found && found.skipped.length > 0)
      onWarning(`resume: continuing from step ${found.opened.step} (${found.opened.loaded.dir})`);
    resumeFrom = found?.opened ?? null;
  } else if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new Error(
      `run folder ${dir} is not empty: pass resume (--resume) to continue it, or choose a new folder`,
    );
  }
  const keepBefore = resumeFrom?.step ?? 0;
  if (existsSync(metricsPath)) {
    const kept = readFileSync(metricsPath, 'utf8')
      .split('\n')
      .filter((line) => {
        try {
          const step = (JSON.parse(line) as { step?: unknown }).step;
          return typeof step === 'number' && step < keepBefore;
        } catch {
          return false; // an empty line, or one torn by a crash
        }
      });
    writeFileAtomic(metricsPath, kept.map((l) => `${l}\n`).join(''));
  }
  if (!resumeFrom)
    saveRunRecord(dir, makeRunRecord(command, config, config.seed, { libtorch: engineVersion() }));
  const log = new JsonlAppender(metricsPath);
  const logStep = (metrics: object) => log.append({ ...metrics, time: new Date().toISOString() });
  return { dir, checkpoints, log, logStep, resumeFrom };
}

function engineVersion(): string | undefined {
  try {
    return engineInfo().libtorch;
  } catch {
    return undefined;
  }
}

/** A policy: the vision-language model and its tokenizer. */
export interface Policy {
  model: VisionLanguageModel;
  tokenizer: Tokenizer;
}

export function createPolicy(
  config: ModelConfig,
  tokenizer: Tokenizer,
  seed: number,
  device: Device = 'cpu',
): Policy {
  const imageTokenId = config.vision ? tokenizer.id('image') : null;
  return { model: new VisionLanguageModel(config, { seed, imageTokenId, device }), tokenizer };
}

/** A policy from a checkpoint folder or a run folder (its newest checkpoint), on `device`. */
export function loadPolicy(path: string, device: Device = 'cpu'): Policy {
  const { model, tokenizer } = loadCheckpoint(resolveCheckpoint(path), { device });
  return { model, tokenizer };
}

/** AdamW as released (docs/spec.md §4.6): β = (0.9, 0.95), no weight decay unless asked. */
export function makeOptimizer(params: readonly Tensor[], weightDecay: number): AdamW {
  return new AdamW(params, { lr: 1e-9, betas: [0.9, 0.95], weightDecay });
}

/** [N, width] log-probs without gradients, micro-batch by micro-batch, 0 beyond each response. */
export function logProbsInMicroBatches(
  model: VisionLanguageModel,
  batch: ScoringBatch,
  micro: number,
  width: number,
): Tensor {
  return noGrad(() => {
    const parts: Tensor[] = [];
    for (let s = 0; s < batch.prompts.length; s += micro) {
      const pick = <T>(xs: readonly T[]) => xs.slice(s, s + micro);
      const { logProbs } = sequenceLogProbs(model, {
        prompts: pick(batch.prompts),
        responses: pick(batch.responses),
        ...(batch.images ? { images: pick(batch.images) } : {}),
      });
      const missing = width - logProbs.size(1);
      parts.push(
        missing > 0
          ? cat([logProbs, zeros([logProbs.size(0), missing], { device: model.device })], 1)
          : logProbs,
      );
    }
    return cat(parts, 0);
  });
}

export interface GuardedStep {
  gradNorm: number;
  /** The update was skipped because the loss or a gradient was not finite. */
  skipped: boolean;
}

/**
 * Clips the accumulated gradients to `maxNorm` and steps, unless the loss or the gradient norm is
 * not finite: then the gradients are dropped and nothing is written, so weights never hold NaN.
 * Parameters without a gradient (e.g. the vision tower on a text-only batch) are skipped, as in torch.
 */
export function guardedStep(optimizer: AdamW, lossFinite: boolean, lr: number, maxNorm: number): GuardedStep {
  const gradNorm = clipGradNorm(optimizer.params, maxNorm);
  if (!lossFinite || !Number.isFinite(gradNorm)) {
    optimizer.zeroGrad();
    return { gradNorm, skipped: true };
  }
  optimizer.lr = lr;
  optimizer.step();
  optimizer.zeroGrad();
  return { gradNorm, skipped: false };
}
