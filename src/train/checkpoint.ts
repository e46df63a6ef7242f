// Training checkpoints: everything `--resume` needs to continue exactly (weights, AdamW moments and
// step, every RNG state, counters, the run config), in one folder written atomically:
//
//   checkpoints/step-000040/
//     config.json            the model config        model.safetensors   the policy's weights
//     tokenizer.json         the tokenizer           optimizer.safetensors  AdamW exp_avg / exp_avg_sq
//     <group>.safetensors    extra weights (e.g. the stale sampling policies of the mismatch knob)
//     trainer-state.json     step, RNG states, counters, run config, and the sha256 of every file
//
// The folder is built under a temporary name and renamed into place, so a crash never leaves half a
// checkpoint; loading verifies every file's sha256, so a corrupted one is named, not silently used.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type AdamW, loadSafetensors, noGrad, saveSafetensors, type Tensor } from '../engine/index.js';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic-write.js';

export class CheckpointError extends Error {
  constructor(dir: string, detail: string) {
    super(`checkpoint ${dir}: ${detail}`);
    this.name = 'CheckpointError';
  }
}

export interface TrainerState {
  kind: 'sft' | 'rl';
  /** Training steps completed (the next step to run). */
  step: number;
  rng: Record<string, [number, number, number, number]>;
  counters: Record<string, number>;
  runConfig: unknown;
}

interface StateFile extends TrainerState {
  format: 'r1-reward-checkpoint';
  version: 1;
  savedAt: string;
  optimizerSteps: number;
  /** sha256 (hex) of every other file in the folder. */
  files: Record<string, string>;
}

export interface CheckpointContents {
  modelConfig: unknown;
  tokenizerJson: unknown;
  weights: readonly (readonly [string, Tensor])[];
  optimizer?: AdamW;
  extraWeights?: Record<string, Record<string, Tensor>>;
  state: TrainerState;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const stepDir = (step: number) => `step-${String(step).padStart(6, '0')}`;

/** Writes a checkpoint for `state.step` under `root` and keeps the newest `keep` of them. */
export function saveCheckpoint(root: string, contents: CheckpointContents, keep = 2): string {
  const final = join(root, stepDir(contents.state.step));
  const temp = `${final}.partial-${process.pid}`;
  rmSync(temp, { recursive: true, force: true });
  mkdirSync(temp, { recursive: true });
  const files: Record<string, string> = {};
  const writeJson = (name: string, value: unknown) => {
    const bytes = Buffer.from(`${JSON.stringify(value, null, 2)}\n`, 'utf8');
    writeFileAtomic(join(temp, name), bytes);
    files[name] = sha256(bytes);
  };
  const writeTensors = (name: string, tensors: Record<string, Tensor>) => {
    saveSafetensors(join(temp, name), tensors);
    files[name] = sha256(readFileSync(join(temp, name)));
  };
  writeJson('config.json', contents.modelConfig);
  writeJson('tokenizer.json', contents.tokenizerJson);
  writeTensors('model.safetensors', Object.fromEntries(contents.weights));
  const opt = contents.optimizer;
  if (opt) {
    const moments: Record<string, Tensor> = {};
    opt.expAvg.forEach((t, i) => {
      moments[`exp_avg.${i}`] = t;
    });
    opt.expAvgSq.forEach((t, i) => {
      moments[`exp_avg_sq.${i}`] = t;
    });
    writeTensors('optimizer.safetensors', moments);
  }
  for (const [group, tensors] of Object.entries(contents.extraWeights ?? {})) {
    writeTensors(`${group}.safetensors`, tensors);
  }
  const state: StateFile = {
    format: 'r1-reward-checkpoint',
    version: 1,
    savedAt: new Date().toISOString(),
    ...contents.state,
    optimizerSteps: opt?.stepCount ?? 0,
    files,
  };
  writeJsonAtomic(join(temp, 'trainer-state.json'), state);
  rmSync(final, { recursive: true, force: true });
  renameSync(temp, final);
  for (const old of listCheckpoints(root).slice(0, -keep))
    rmSync(join(root, old), { recursive: true, force: true });
  return final;
}

/** Checkpoint folder names under `root`, oldest first (partial folders are ignored). */
export function listCheckpoints(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((name) => /^step-\d{6}$/.test(name) && existsSync(join(root, name, 'trainer-state.json')))
    .sort();
}

/** The newest checkpoint folder under `root`, or null. */
export function latestCheckpoint(root: string): string | null {
  const all = listCheckpoints(root);
  return all.length === 0 ? null : join(root, all[all.length - 1]!);
}

export interface LoadedCheckpoint {
  dir: string;
  modelConfig: unknown;
  tokenizerJson: unknown;
  state: TrainerState & { optimizerSteps: number };
  /** Reads a verified safetensors file of the folder (model, optimizer or an extra group). */
  tensors(name: string): Record<string, Tensor>;
  has(name: string): boolean;
}

/** Opens a checkpoint and verifies every file against the sha256 recorded when it was written. */
export function openCheckpoint(dir: string): LoadedCheckpoint {
  const statePath = join(dir, 'trainer-state.json');
  if (!existsSync(statePath))
    throw new CheckpointError(dir, 'has no trainer-state.json (not a checkpoint folder)');
  let state: StateFile;
  try {
    state = JSON.parse(readFileSync(statePath, 'utf8')) as StateFile;
  } catch (error) {
    throw new CheckpointError(dir, `trainer-state.json is not valid JSON (${(error as Error).message})`);
  }
  if (state.format !== 'r1-reward-checkpoint' || typeof state.files !== 'object')
    throw new CheckpointError(dir, 'trainer-state.json is not an r1-reward checkpoint state');
  for (const [name, expected] of Object.entries(state.files)) {
    const path = join(dir, name);
    if (!existsSync(path))
      throw new CheckpointError(dir, `${name} is missing; resume from an earlier checkpoint`);
    const found = sha256(readFileSync(path));
    if (found !== expected) {
      throw new CheckpointError(
        dir,
        `${name} is corrupted (sha256 ${found.slice(0, 12)}… but ${expected.slice(0, 12)}… was written); delete this folder to resume from an earlier checkpoint`,
      );
    }
  }
  const json = (name: string) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as unknown;
  return {
    dir,
    modelConfig: json('config.json'),
    tokenizerJson: json('tokenizer.json'),
    state,
    has: (name) => name in state.files,
    tensors(name) {
      if (!(name in state.files)) throw new CheckpointError(dir, `has no ${name}`);
      return loadSafetensors(join(dir, name)).tensors;
    },
  };
}

/** Copies checkpoint tensors into live parameters, checking names, shapes and dtypes. */
export function copyIntoParameters(
  dir: string,
  params: readonly (readonly [string, Tensor])[],
  loaded: Record<string, Tensor>,
): void {
  const problems: string[] = [];
  for (const [name, p] of params) {
    const t = loaded[name];
    if (!t) problems.push(`${name}: missing`);
    else if (t.dtype !== p.dtype || t.shape.join('×') !== p.shape.join('×'))
      problems.push(`${name}: ${t.dtype} [${t.shape}] but the model has ${p.dtype} [${p.shape}]`);
  }
  const known = new Set(params.map(([n]) => n));
  for (const name of Object.keys(loaded)) if (!known.has(name)) problems.push(`${name}: not in the model`);
  if (problems.length > 0)
    throw new CheckpointError(dir, `weights do not match the model: ${problems.join('; ')}`);
  noGrad(() => {
    for (const [name, p] of params) p.copy_(loaded[name]!);
  });
  for (const t of Object.values(loaded)) t.dispose();
}

/** Restores AdamW's moments and step count from a checkpoint. */
export function restoreOptimizer(checkpoint: LoadedCheckpoint, optimizer: AdamW): void {
  const moments = checkpoint.tensors('optimizer.safetensors');
  const named = (prefix: string, list: readonly Tensor[]) =>
    list.map((t, i) => [`${prefix}.${i}`, t] as const);
  copyIntoParameters(
    checkpoint.dir,
    [...named('exp_avg', optimizer.expAvg), ...named('exp_avg_sq', optimizer.expAvgSq)],
    moments,
  );
  optimizer.stepCount = checkpoint.state.optimizerSteps;
}
