// A run's checkpoints: checkpoints/step-000040/, … — each one the model's checkpoint folder
// (config.json, model.safetensors, tokenizer.json, optimizer.safetensors, trainer.json, manifest.json
// with a SHA-256 of every file; written atomically, verified on load), so an SFT or RL checkpoint
// loads anywhere a model checkpoint does. What exact resume needs beyond one RNG and the step
// (every RNG stream, counters, and the mismatch knob's stale policies) rides in trainer.json's run
// config; the stale policies' weights sit next to it in stale-policy.safetensors, whose SHA-256 is
// recorded there too, so corruption anywhere is detected.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type AdamW, type Device, loadSafetensors, saveSafetensors, type Tensor } from '../engine/index.js';
import {
  CheckpointError,
  type LoadedCheckpoint,
  loadCheckpoint,
  loadOptimizerState,
  saveCheckpoint,
} from '../model/checkpoint.js';
import type { VisionLanguageModel } from '../model/model.js';
import type { RngState } from '../model/random.js';
import type { Tokenizer } from '../model/tokenizer.js';

export { CheckpointError };

/** What a trainer stores in trainer.json's run config to continue exactly. */
export interface TrainerExtras<Config> {
  config: Config;
  kind: 'sft' | 'rl';
  rng: Record<string, RngState>;
  counters: Record<string, number>;
  /** SHA-256 of stale-policy.safetensors, when the run has stale sampling policies. */
  stalePolicySha256?: string;
  /** The RL reward source's own state (RewardSource.checkpointState), when it has one. */
  reward?: unknown;
}

/**
 * What the trainers save at a checkpoint: model, tokenizer, optimizer state, step, run extras and the stale
 * policies.
 */
export interface TrainingCheckpoint<Config> {
  model: VisionLanguageModel;
  tokenizer: Tokenizer;
  optimizer: AdamW;
  /** Steps completed (the step to resume at). */
  step: number;
  extras: Omit<TrainerExtras<Config>, 'stalePolicySha256'>;
  /** Named tensors of the stale sampling policies (mismatch knob), if any. */
  stalePolicy?: Record<string, Tensor>;
}

const STALE_FILE = 'stale-policy.safetensors';
const stepDir = (step: number) => `step-${String(step).padStart(6, '0')}`;
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Writes checkpoints/step-N under `root` and keeps the newest `keep`; returns its folder. */
export function saveTrainingCheckpoint<Config>(
  root: string,
  ckpt: TrainingCheckpoint<Config>,
  keep = 2,
): string {
  const dir = join(root, stepDir(ckpt.step));
  let stalePolicySha256: string | undefined;
  const staleTemp = join(root, `.${stepDir(ckpt.step)}.${STALE_FILE}.${process.pid}`);
  if (ckpt.stalePolicy) {
    mkdirSync(root, { recursive: true });
    saveSafetensors(staleTemp, ckpt.stalePolicy);
    stalePolicySha256 = sha256(readFileSync(staleTemp));
  }
  const extras: TrainerExtras<Config> = {
    ...ckpt.extras,
    ...(stalePolicySha256 ? { stalePolicySha256 } : {}),
  };
  saveCheckpoint(dir, ckpt.model, ckpt.tokenizer, {
    step: ckpt.step,
    rngState: ckpt.extras.rng['sample'] ?? [0, 0, 0, 1],
    runConfig: extras,
    optimizer: ckpt.optimizer,
  });
  if (stalePolicySha256) renameSync(staleTemp, join(dir, STALE_FILE));
  for (const old of listCheckpoints(root).slice(0, -keep))
    rmSync(join(root, old), { recursive: true, force: true });
  return dir;
}

/** Checkpoint folder names under `root`, oldest first (partial folders are ignored). */
export function listCheckpoints(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((name) => /^step-\d{6}$/.test(name) && existsSync(join(root, name, 'manifest.json')))
    .sort();
}

/** The newest `step-NNNNNN` checkpoint folder under `root`, or null when there is none. */
export function latestCheckpoint(root: string): string | null {
  const all = listCheckpoints(root);
  return all.length === 0 ? null : join(root, all[all.length - 1]!);
}

/**
 * A trainer checkpoint opened for resuming: the loaded model, step and extras, and functions that restore the
 * optimizer and the stale policies.
 */
export interface OpenedTrainingCheckpoint<Config> {
  loaded: LoadedCheckpoint<TrainerExtras<Config>>;
  step: number;
  extras: TrainerExtras<Config>;
  /** Restores AdamW's moments and step count. */
  restoreOptimizer(optimizer: AdamW): void;
  /** The stale policies' weights (verified), or null. */
  stalePolicy(): Record<string, Tensor> | null;
}

/** Loads a training checkpoint, verifying every file; a model-only checkpoint is refused with a clear message. */
export function openTrainingCheckpoint<Config>(
  dir: string,
  device: Device = 'cpu',
): OpenedTrainingCheckpoint<Config> {
  const loaded = loadCheckpoint<TrainerExtras<Config>>(dir, { device });
  const training = loaded.training;
  if (!training?.runConfig || typeof training.runConfig !== 'object' || !('kind' in training.runConfig)) {
    loaded.model.dispose();
    throw new CheckpointError(dir, [
      'trainer.json holds no r1-reward trainer state (it is not a training checkpoint)',
    ]);
  }
  const extras = training.runConfig;
  return {
    loaded,
    step: training.step,
    extras,
    restoreOptimizer: (optimizer) => loadOptimizerState(dir, loaded.model, optimizer),
    stalePolicy() {
      if (!extras.stalePolicySha256) return null;
      const path = join(dir, STALE_FILE);
      if (!existsSync(path)) throw new CheckpointError(dir, [`${STALE_FILE} is missing`]);
      if (sha256(readFileSync(path)) !== extras.stalePolicySha256)
        throw new CheckpointError(dir, [
          `${STALE_FILE}: SHA-256 does not match trainer.json (the file is corrupted or was modified)`,
        ]);
      return loadSafetensors(path).tensors;
    },
  };
}

/** A checkpoint folder, or a run folder's newest checkpoint. */
export function resolveCheckpoint(path: string): string {
  if (existsSync(join(path, 'manifest.json'))) return path;
  const latest = latestCheckpoint(join(path, 'checkpoints'));
  if (latest) return latest;
  throw new CheckpointError(path, [
    'is neither a checkpoint folder (manifest.json) nor a run folder with checkpoints/',
  ]);
}
