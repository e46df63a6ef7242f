// Checkpoints: one directory holding
//   config.json         the ModelConfig
//   model.safetensors   the weights, by the model's parameter names (float32)
//   tokenizer.json      the tokenizer
//   manifest.json       format version and a SHA-256 of every file (corruption is detected on load)
// The model's identity (`LoadedCheckpoint.modelId`) hashes only the checksums of the first three, the
// files that determine its outputs: re-saving the same weights keeps it, any weight change alters it.
// and, for training, also
//   optimizer.safetensors  AdamW moments per parameter (expAvg.<name>, expAvgSq.<name>)
//   trainer.json           step, optimizer step count and hyper-parameters, RNG state, run config.
// The directory is written into a temp sibling, then renamed over the target, so a crash leaves the
// old checkpoint or the new one, never a mix.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  type AdamW,
  type Device,
  type DType,
  loadSafetensors,
  noGrad,
  readSafetensorsHeader,
  SafetensorsError,
  saveSafetensors,
  scope,
  type Tensor,
} from '../engine/index.js';
import { R1RewardError } from '../errors.js';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic-write.js';
import { type ModelConfig, validateConfig } from './config.js';
import { VisionLanguageModel } from './model.js';
import type { RngState } from './random.js';
import { Tokenizer, type TokenizerJson } from './tokenizer.js';

export const CHECKPOINT_FORMAT = 'r1-reward-checkpoint';
export const CHECKPOINT_VERSION = 1;

export interface TrainingState<RunConfig = unknown> {
  step: number;
  rngState: RngState;
  runConfig: RunConfig;
  /** Saved with its moments; restored into a fresh AdamW over the same model by loadOptimizerState. */
  optimizer?: AdamW;
}

export interface SavedTrainingState<RunConfig = unknown> {
  step: number;
  rngState: RngState;
  runConfig: RunConfig;
  optimizer: {
    stepCount: number;
    lr: number;
    betas: [number, number];
    eps: number;
    weightDecay: number;
  } | null;
}

export class CheckpointError extends R1RewardError {
  override name = 'CheckpointError';
  constructor(dir: string, problems: readonly string[]) {
    super(
      'checkpoint',
      `checkpoint ${dir} cannot be loaded:\n${problems.map((p) => `  - ${p}`).join('\n')}\n` +
        'Use a checkpoint written by this version of r1-reward for this model configuration, or re-save it.',
    );
  }
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** The files that determine a checkpoint's outputs (not the manifest's savedAt, not training state). */
const MODEL_FILES = ['config.json', 'model.safetensors', 'tokenizer.json'] as const;

/** SHA-256 over the model files' checksums (from the verified manifest; hashed here where it lacks one). */
function modelIdOf(dir: string, listed: Readonly<Record<string, string>>): string {
  const hash = createHash('sha256');
  for (const file of MODEL_FILES)
    hash.update(`${file}\u0000${listed[file] ?? sha256(readFileSync(join(dir, file)))}\u0000`);
  return hash.digest('hex');
}

/** Refuses to write non-finite weights (a NaN must never reach a checkpoint). */
function checkFinite(named: readonly [string, Tensor][], what: string): void {
  const bad = scope(() =>
    named.filter(([, t]) => t.isnan().logicalOr(t.isinf()).any().item() !== 0).map(([n]) => n),
  );
  if (bad.length > 0)
    throw new RangeError(
      `refusing to save a checkpoint: ${what} ${bad.join(', ')} hold NaN or infinite values`,
    );
}

/** Writes a checkpoint directory atomically (replacing `dir` if it exists). */
export function saveCheckpoint<RunConfig>(
  dir: string,
  model: VisionLanguageModel,
  tokenizer: Tokenizer,
  training?: TrainingState<RunConfig>,
): void {
  if (tokenizer.vocabSize !== model.config.vocabSize)
    throw new RangeError(
      `saveCheckpoint: the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocabulary is ${model.config.vocabSize}`,
    );
  const named = model.namedParameters();
  checkFinite(named, 'parameters');
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const temp = join(parent, `.${basename(dir)}.tmp-${process.pid}-${Date.now()}`);
  mkdirSync(temp);
  try {
    writeJsonAtomic(join(temp, 'config.json'), model.config);
    writeJsonAtomic(join(temp, 'tokenizer.json'), tokenizer.toJSON());
    noGrad(() =>
      saveSafetensors(join(temp, 'model.safetensors'), Object.fromEntries(named), {
        format: CHECKPOINT_FORMAT,
      }),
    );
    const files = ['config.json', 'tokenizer.json', 'model.safetensors'];
    if (training) {
      const opt = training.optimizer;
      if (opt) {
        const byParam = new Map(named.map(([name, t]) => [t, name]));
        const moments: Record<string, Tensor> = {};
        opt.params.forEach((p, i) => {
          const name = byParam.get(p);
          if (name === undefined)
            throw new RangeError(`saveCheckpoint: optimizer parameter ${i} is not a model parameter`);
          moments[`expAvg.${name}`] = opt.expAvg[i]!;
          moments[`expAvgSq.${name}`] = opt.expAvgSq[i]!;
        });
        checkFinite(Object.entries(moments), 'optimizer moments');
        saveSafetensors(join(temp, 'optimizer.safetensors'), moments);
        files.push('optimizer.safetensors');
      }
      const state: SavedTrainingState<RunConfig> = {
        step: training.step,
        rngState: training.rngState,
        runConfig: training.runConfig,
        optimizer: opt
          ? {
              stepCount: opt.stepCount,
              lr: opt.lr,
              betas: [opt.betas[0], opt.betas[1]],
              eps: opt.eps,
              weightDecay: opt.weightDecay,
            }
          : null,
      };
      writeJsonAtomic(join(temp, 'trainer.json'), state);
      files.push('trainer.json');
    }
    const manifest = {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      savedAt: new Date().toISOString(),
      sha256: Object.fromEntries(files.map((f) => [f, sha256(readFileSync(join(temp, f)))])),
    };
    writeFileAtomic(join(temp, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    // Swap in: the old directory moves aside first, so one of the two complete versions always exists.
    const old = join(parent, `.${basename(dir)}.old-${process.pid}-${Date.now()}`);
    const hadOld = existsSync(dir);
    if (hadOld) renameSync(dir, old);
    renameSync(temp, dir);
    if (hadOld) rmSync(old, { recursive: true, force: true });
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    throw error;
  }
}

export interface LoadedCheckpoint<RunConfig = unknown> {
  model: VisionLanguageModel;
  tokenizer: Tokenizer;
  config: ModelConfig;
  /** Present when the checkpoint was saved with training state. */
  training: SavedTrainingState<RunConfig> | null;
  dir: string;
  /**
   * The model's identity (64 hex digits): a SHA-256 over the checksums of config.json,
   * model.safetensors and tokenizer.json only, so the same weights re-saved (a new savedAt, with or
   * without training state) keep it and any change to the weights, config or tokenizer gives a new one.
   */
  modelId: string;
}

function readJson(dir: string, file: string, problems: string[]): unknown {
  const path = join(dir, file);
  if (!existsSync(path)) {
    problems.push(`${file} is missing`);
    return undefined;
  }
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    problems.push(`${file} is not valid JSON (${(error as Error).message})`);
    return undefined;
  }
}

/** Compares a safetensors file's tensors with the expected names/shapes/dtypes; lists every mismatch. */
function checkTensors(
  path: string,
  expected: ReadonlyMap<string, { shape: readonly number[]; dtype: DType }>,
  problems: string[],
): void {
  const file = basename(path);
  let header: ReturnType<typeof readSafetensorsHeader>;
  try {
    header = readSafetensorsHeader(path);
  } catch (error) {
    problems.push(error instanceof SafetensorsError ? error.message : `${file}: ${(error as Error).message}`);
    return;
  }
  for (const [name, want] of expected) {
    const got = header.tensors[name];
    if (got === undefined) {
      problems.push(`${file}: tensor '${name}' is missing (expected [${want.shape}] ${want.dtype})`);
      continue;
    }
    if (got.shape.join() !== want.shape.join())
      problems.push(`${file}: tensor '${name}' has shape [${got.shape}], expected [${want.shape}]`);
    if (got.dtype !== want.dtype)
      problems.push(`${file}: tensor '${name}' has dtype ${got.dtype}, expected ${want.dtype}`);
  }
  for (const name of Object.keys(header.tensors))
    if (!expected.has(name)) problems.push(`${file}: unexpected tensor '${name}'`);
}

/**
 * Loads a checkpoint directory: verifies the manifest checksums, the config, the tokenizer and every
 * tensor's name, shape and dtype, and throws one CheckpointError listing every problem found.
 */
export function loadCheckpoint<RunConfig = unknown>(
  dir: string,
  options: { device?: Device } = {},
): LoadedCheckpoint<RunConfig> {
  if (!existsSync(dir)) throw new CheckpointError(dir, ['the directory does not exist']);
  const problems: string[] = [];
  const manifest = readJson(dir, 'manifest.json', problems) as
    | { format?: string; version?: number; sha256?: Record<string, string> }
    | undefined;
  if (manifest !== undefined) {
    if (manifest.format !== CHECKPOINT_FORMAT || manifest.version !== CHECKPOINT_VERSION)
      problems.push(
        `manifest.json: format ${String(manifest.format)} version ${String(manifest.version)}, expected ${CHECKPOINT_FORMAT} version ${CHECKPOINT_VERSION}`,
      );
    for (const [file, hash] of Object.entries(manifest.sha256 ?? {})) {
      const path = join(dir, file);
      if (!existsSync(path)) problems.push(`${file} is listed in manifest.json but missing`);
      else if (sha256(readFileSync(path)) !== hash)
        problems.push(
          `${file}: SHA-256 does not match manifest.json (the file is corrupted or was modified)`,
        );
    }
  }
  if (problems.length > 0) throw new CheckpointError(dir, problems);

  let config: ModelConfig | undefined;
  const rawConfig = readJson(dir, 'config.json', problems);
  if (rawConfig !== undefined) {
    try {
      config = validateConfig(rawConfig as ModelConfig);
    } catch (error) {
      problems.push(`config.json: ${(error as Error).message}`);
    }
  }
  let tokenizer: Tokenizer | undefined;
  const rawTokenizer = readJson(dir, 'tokenizer.json', problems);
  if (rawTokenizer !== undefined) {
    try {
      tokenizer = new Tokenizer(rawTokenizer as TokenizerJson);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  if (config && tokenizer && tokenizer.vocabSize !== config.vocabSize)
    problems.push(
      `tokenizer.json has ${tokenizer.vocabSize} tokens but config.json says vocabSize ${config.vocabSize}`,
    );
  if (problems.length > 0 || !config || !tokenizer) throw new CheckpointError(dir, problems);

  const model = new VisionLanguageModel(config, {
    imageTokenId: config.vision ? tokenizer.id('image') : null,
    ...(options.device ? { device: options.device } : {}),
  });
  const named = model.namedParameters();
  const modelPath = join(dir, 'model.safetensors');
  checkTensors(modelPath, new Map(named.map(([n, t]) => [n, { shape: t.shape, dtype: t.dtype }])), problems);
  const training = existsSync(join(dir, 'trainer.json'))
    ? (readJson(dir, 'trainer.json', problems) as SavedTrainingState<RunConfig>)
    : null;
  if (training?.optimizer) {
    const expected = new Map<string, { shape: readonly number[]; dtype: DType }>();
    for (const [n, t] of named) {
      expected.set(`expAvg.${n}`, { shape: t.shape, dtype: t.dtype });
      expected.set(`expAvgSq.${n}`, { shape: t.shape, dtype: t.dtype });
    }
    checkTensors(join(dir, 'optimizer.safetensors'), expected, problems);
  }
  if (problems.length > 0) {
    model.dispose();
    throw new CheckpointError(dir, problems);
  }
  scope(() => model.loadWeights(loadSafetensors(modelPath).tensors));
  const modelId = modelIdOf(dir, manifest?.sha256 ?? {});
  return { model, tokenizer, config, training, dir, modelId };
}

/**
 * Restores AdamW moments and step count saved with the checkpoint into `optimizer`, which must be
 * built over `model`'s parameters (any order, any subset).
 */
export function loadOptimizerState(dir: string, model: VisionLanguageModel, optimizer: AdamW): void {
  const state = JSON.parse(readFileSync(join(dir, 'trainer.json'), 'utf8')) as SavedTrainingState;
  if (!state.optimizer) throw new CheckpointError(dir, ['trainer.json holds no optimizer state']);
  const byParam = new Map(model.namedParameters().map(([name, t]) => [t, name]));
  scope(() => {
    const { tensors } = loadSafetensors(join(dir, 'optimizer.safetensors'));
    noGrad(() =>
      optimizer.params.forEach((p, i) => {
        const name = byParam.get(p);
        const m = tensors[`expAvg.${name}`];
        const v = tensors[`expAvgSq.${name}`];
        if (name === undefined || !m || !v)
          throw new CheckpointError(dir, [`optimizer.safetensors has no moments for parameter ${name ?? i}`]);
        optimizer.expAvg[i]!.copy_(m);
        optimizer.expAvgSq[i]!.copy_(v);
      }),
    );
  });
  optimizer.stepCount = state.optimizer.stepCount;
  optimizer.lr = state.optimizer.lr;
}
