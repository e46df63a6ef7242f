// The demo pipeline, end to end on the synthetic world, calling the existing pieces in order:
//
//   data       writeSyntheticWorld                  → world/ (sft.jsonl, rl.jsonl, benchmark.jsonl, images/)
//   tokenizer  Tokenizer.train on SFT prompts+traces → tokenizer.json
//   pretrain   trainSft on captions.jsonl (perception) → pretrain/ (skipped when pretrain.steps is 0)
//   sft        trainSft (cold start) from pretrain/  → sft/ (metrics.jsonl, checkpoints/, done.json)
//   rl         trainRl (StableReinforce) from sft/   → rl/
//   eval-sft   benchmark runner + scorer, local      → eval/sft/ (judgements.jsonl, metrics.json)
//   eval-rl    the same for the RL checkpoint        → eval/rl/
//   best-of-n  a policy's N answers, picked by the RL judge, checked → best-of-n/ (docs/downstream.md)
//   report     report.html + summary.json
//
// Resumable: a phase whose output exists is skipped; SFT, RL and the benchmark runs resume from
// their own checkpoints / judgement logs. Seconds per phase accumulate in phases.json.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  DEFAULT_WORLD,
  onlyKinds,
  type SyntheticWorldConfig,
  writeSyntheticWorld,
} from '../../data/index.js';
import { engineInfo } from '../../engine/index.js';
import { writeJsonAtomic } from '../../io/atomic-write.js';
import { openRunRecord } from '../../io/run-record.js';
import { Tokenizer } from '../../model/tokenizer.js';
import { type DataSource, readJudgeItems, tokenizerCorpus } from '../../train/judge-items.js';
import { type RlResult, trainRl } from '../../train/rl.js';
import { type SftResult, trainSft } from '../../train/sft.js';
import {
  DEFAULT_POLICY_EXPERIMENT,
  type PolicyExperimentConfig,
  policyExperimentPaths,
  runPolicyExperiment,
} from '../policy/experiment.js';
import { writePolicyExperimentReport } from '../policy/report.js';
import type { DemoConfig } from './config.js';
import { evaluateCheckpoint } from './evaluate.js';
import { type DemoSummary, summarize, writeDemoReport } from './report.js';

/** The demo's phases, in order; each is skipped when its output exists. */
export const PHASES = [
  'data',
  'tokenizer',
  'pretrain',
  'sft',
  'rl',
  'eval-sft',
  'eval-rl',
  'best-of-n',
  'report',
] as const;
/** A phase of {@link PHASES}. */
export type PhaseName = (typeof PHASES)[number];

export interface PhaseTime {
  /** Seconds spent in the phase, summed over every invocation that worked on it. */
  seconds: number;
  done: boolean;
}

/** Progress callbacks of {@link runDemo} (the CLI prints them). */
export interface DemoHooks {
  /** A phase starts (skipped: its output already exists). */
  onPhase?: (phase: PhaseName, skipped: boolean) => void;
  /** A step inside the best-of-n phase (policy, samples, picks). */
  onBestOfN?: (step: string) => void;
  /** Progress inside SFT / RL: step, total steps, a short text. */
  /** Training progress; 'select-hard' counts RL prompts judged before RL's first step. */
  onStep?: (
    phase: 'pretrain' | 'sft' | 'select-hard' | 'rl',
    step: number,
    total: number,
    text: string,
  ) => void;
}

/** Where each phase writes (relative to the run folder). */
export function demoPaths(outDir: string) {
  const dir = resolve(outDir);
  return {
    dir,
    world: join(dir, 'world'),
    tokenizer: join(dir, 'tokenizer.json'),
    pretrain: join(dir, 'pretrain'),
    sft: join(dir, 'sft'),
    rl: join(dir, 'rl'),
    evalSft: join(dir, 'eval', 'sft'),
    evalRl: join(dir, 'eval', 'rl'),
    bestOfN: join(dir, 'best-of-n'),
    phases: join(dir, 'phases.json'),
    summary: join(dir, 'summary.json'),
    report: join(dir, 'report.html'),
  };
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

function libtorchVersion(): string | undefined {
  try {
    return engineInfo().libtorch;
  } catch {
    return undefined;
  }
}

/** Writes run.json on the first invocation; a rerun must use the same config (it continues that run). */
function recordRun(config: DemoConfig, dir: string): void {
  openRunRecord(dir, 'demo', config, {
    seed: config.seed,
    versions: { libtorch: libtorchVersion() },
    mayDiffer: ['outDir'],
    sameAs: 'the same --preset and --seed',
  });
}

/** The demo's synthetic world: the default world with the config's sizes, kinds and teacher lines. */
export function demoWorld(config: DemoConfig): SyntheticWorldConfig {
  const { kinds, lookAtCell, attributePairs, teacherError, ...sizes } = config.world;
  return {
    ...DEFAULT_WORLD,
    seed: config.seed,
    ...sizes,
    ...(kinds ? { kindWeights: onlyKinds(kinds) } : {}),
    teacher: {
      ...DEFAULT_WORLD.teacher,
      ...(lookAtCell ? { lookAtCell } : {}),
      ...(attributePairs ? { attributePairs } : {}),
      ...(teacherError ? { errorByHardness: teacherError } : {}),
    },
  };
}

/**
 * The best-of-n phase as a policy experiment: the demo's world, seed and image size, the RL judge.
 * The policy starts from the demo's caption-pretrained model (perception first, as the judge did):
 * trained from scratch on answers alone it learns their form but not what the image shows.
 */
export function demoBestOfN(config: DemoConfig, paths: ReturnType<typeof demoPaths>): PolicyExperimentConfig {
  const { questions, ns, schemes, policy } = config.bestOfN;
  const d = DEFAULT_POLICY_EXPERIMENT;
  return {
    ...d,
    outDir: paths.bestOfN,
    task: { ...d.task, seed: config.seed, kinds: config.world.kinds ?? d.task.kinds },
    imageSize: config.world.imageSize,
    data: { trainSize: policy.trainSize, flawedShare: policy.flawedShare },
    policy: {
      ...d.policy,
      ...(config.pretrain.steps > 0 ? { init: paths.pretrain } : {}),
      steps: policy.steps,
      seed: config.seed,
    },
    questions,
    ns,
    sampling: { ...d.sampling, seed: config.seed },
    judges: [{ name: 'rl', checkpoint: paths.rl }],
    schemes,
    judging: { ...d.judging, order: 'both', concurrency: config.evaluation.concurrency },
    ...(config.threads === undefined ? {} : { threads: config.threads }),
  };
}

/**
 * Runs the whole demo (data → tokenizer → caption pretraining → SFT → RL → evaluation →
 * report.html) into `config.outDir`, resuming what a previous run left; returns the summary.
 */
export async function runDemo(config: DemoConfig, hooks: DemoHooks = {}): Promise<DemoSummary> {
  const paths = demoPaths(config.outDir);
  await mkdir(paths.dir, { recursive: true });
  recordRun(config, paths.dir);
  const times: Record<string, PhaseTime> = existsSync(paths.phases) ? readJson(paths.phases) : {};
  const threads = config.threads === undefined ? {} : { threads: config.threads };
  const heldOut: DataSource = { file: join(paths.world, 'benchmark.jsonl'), format: 'synthetic' };
  // What both trainers get: the held-out split, seed, four checkpoints a run, always resume.
  const runFields = (steps: number) => ({
    seed: config.seed,
    checkpointEvery: Math.max(1, Math.ceil(steps / 4)),
    resume: true,
    ...threads,
  });
  const shared = (steps: number) => ({
    ...runFields(steps),
    heldOut,
    evalSize: config.heldOut.size,
    evalMaxNewTokens: config.heldOut.maxNewTokens,
  });

  async function phase(name: PhaseName, output: string, work: () => Promise<void>): Promise<void> {
    // Every output below is written last and atomically, so its presence means the phase finished
    // (even when a kill came before phases.json was updated).
    const skipped = existsSync(output);
    hooks.onPhase?.(name, skipped);
    if (skipped) return;
    const t0 = performance.now();
    try {
      await work();
    } finally {
      const seconds = (times[name]?.seconds ?? 0) + (performance.now() - t0) / 1000;
      times[name] = { seconds, done: false };
      writeJsonAtomic(paths.phases, times);
    }
    times[name] = { seconds: times[name].seconds, done: true };
    writeJsonAtomic(paths.phases, times);
  }

  await phase('data', join(paths.world, 'manifest.json'), async () => {
    // The generator writes atomically; a half-written world from a killed run is never there.
    await writeSyntheticWorld(paths.world, demoWorld(config));
  });

  await phase('tokenizer', paths.tokenizer, async () => {
    const items = await readJudgeItems({ file: join(paths.world, 'sft.jsonl') }, config.seed);
    const tokenizer = Tokenizer.train(tokenizerCorpus(items), { vocabSize: config.vocabSize });
    writeJsonAtomic(paths.tokenizer, tokenizer.toJSON());
  });

  // Perception first (describe the image), as LLaVA-style models are aligned on captions before
  // instruction tuning: short sequences whose every token is about the image.
  const pretrained = config.pretrain.steps > 0;
  if (pretrained)
    await phase('pretrain', join(paths.pretrain, 'done.json'), async () => {
      const { steps, batchSize, lr } = config.pretrain;
      const result = await trainSft(
        {
          runDir: paths.pretrain,
          data: { file: join(paths.world, 'captions.jsonl'), format: 'captions' },
          preset: config.model,
          tokenizer: paths.tokenizer,
          steps,
          batchSize,
          microBatchSize: batchSize,
          lr,
          evalEvery: 0,
          ...runFields(steps),
        },
        {
          onStep: (m, total) => hooks.onStep?.('pretrain', m.step, total, `loss ${m.loss.toFixed(4)}`),
        },
      );
      writeJsonAtomic(join(paths.pretrain, 'done.json'), result satisfies SftResult);
    });

  await phase('sft', join(paths.sft, 'done.json'), async () => {
    const result = await trainSft(
      {
        runDir: paths.sft,
        data: { file: join(paths.world, 'sft.jsonl') },
        ...(pretrained ? { init: paths.pretrain } : { preset: config.model, tokenizer: paths.tokenizer }),
        ...config.sft,
        ...shared(config.sft.steps),
      },
      {
        onStep: (m, total) => hooks.onStep?.('sft', m.step, total, `loss ${m.loss.toFixed(4)}`),
      },
    );
    writeJsonAtomic(join(paths.sft, 'done.json'), result satisfies SftResult);
  });

  await phase('rl', join(paths.rl, 'done.json'), async () => {
    const result = await trainRl(
      {
        runDir: paths.rl,
        init: paths.sft,
        data: { file: join(paths.world, 'rl.jsonl') },
        algorithm: 'stable-reinforce',
        ...config.rl,
        ...shared(config.rl.steps),
      },
      {
        onStep: (m, total) => hooks.onStep?.('rl', m.step, total, `reward ${m.reward_mean.toFixed(3)}`),
        onSelectHard: (judged, total) =>
          hooks.onStep?.('select-hard', judged - 1, total, 'RL prompts judged by the SFT model'),
      },
    );
    writeJsonAtomic(join(paths.rl, 'done.json'), result satisfies RlResult);
  });

  const checkpointOf = (dir: string) => readJson<{ checkpoint: string }>(join(dir, 'done.json')).checkpoint;
  await phase('eval-sft', join(paths.evalSft, 'metrics.json'), async () => {
    await evaluateCheckpoint(checkpointOf(paths.sft), heldOut.file, paths.evalSft, config);
  });
  await phase('eval-rl', join(paths.evalRl, 'metrics.json'), async () => {
    await evaluateCheckpoint(checkpointOf(paths.rl), heldOut.file, paths.evalRl, config);
  });

  if (config.bestOfN.questions > 0)
    await phase('best-of-n', policyExperimentPaths(paths.bestOfN).report, async () => {
      const experiment = demoBestOfN(config, paths);
      writePolicyExperimentReport(
        experiment,
        await runPolicyExperiment(experiment, { onPhase: (step) => hooks.onBestOfN?.(step) }),
      );
    });

  // The report is always rebuilt (cheap), so its phase time is the last build's.
  times['report'] = { seconds: 0, done: false };
  const t0 = performance.now();
  const summary = await summarize(config, paths, times);
  writeJsonAtomic(paths.summary, summary);
  await writeDemoReport(summary, paths);
  times['report'] = { seconds: (performance.now() - t0) / 1000, done: true };
  writeJsonAtomic(paths.phases, times);
  return summary;
}
