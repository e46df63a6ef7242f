// The downstream experiment: what the judge is worth when it picks a policy's answers, measured
// against the truth of the synthetic world (docs/downstream.md). Phases, each resumable:
//
//   OUT/data/                    the policy's training questions (writePolicyData; noisy targets)
//   OUT/policy/                  the policy: SFT on question → answer (trainSft, the captions path)
//   OUT/samples/<shard>.jsonl    N answers per held-out question at temperature T, each checked
//   OUT/picks/<judge>/<shard>.jsonl   per question: each scheme's pick for every N, its truth, its cost
//   OUT/picks/<judge>/cache.<shard>.jsonl   the judge's samples (a rerun reuses them)
//   OUT/best-of-n.md, summary.json, report.html
//
// `shard` splits the held-out questions (index mod count) over processes; the policy must be trained
// first (a run without a shard does it). The report reads every shard's lines.
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  DEFAULT_POLICY_TASK,
  imageToDataUrl,
  type PolicyTaskConfig,
  policyProblem,
  renderPng,
  writePolicyData,
} from '../../data/index.js';
import { writeJsonAtomic } from '../../io/atomic-write.js';
import { openRunRecord } from '../../io/run-record.js';
import { AppendLog, readJsonLines } from '../../judge/append-log.js';
import { FileJudgementCache } from '../../judge/cache.js';
import { LocalModelBackend } from '../../judge/local-backend.js';
import type { PresetName } from '../../model/config.js';
import { COMPACT_TEMPLATE } from '../../model/judge-format.js';
import { RANK_SCHEMES, type RankOrder, type RankScheme } from '../../rank/types.js';
import { resolveCheckpoint } from '../../train/checkpoint.js';
import { loadPolicy } from '../../train/run.js';
import { type SftResult, trainSft } from '../../train/sft.js';
import { checkShard, inShard, type Shard } from '../shard.js';
import { type CheckedAnswer, type JudgePick, judgePicks } from './best-of-n.js';
import { type SampledQuestion, sampleAnswers } from './sample.js';

/** A judge checkpoint and the name its rows carry. */
export interface JudgeSpec {
  name: string;
  checkpoint: string;
}

/** Everything the experiment does, one typed object (the CLI fills it from flags). */
export interface PolicyExperimentConfig {
  outDir: string;
  task: PolicyTaskConfig;
  imageSize: number;
  /** The policy's training questions and the share of flawed targets (its imperfection). */
  data: { trainSize: number; flawedShare: number };
  /** The policy's SFT: a fresh `preset`, or `init` (a checkpoint or run folder) trained further. */
  policy: { preset: PresetName; init?: string; steps: number; batchSize: number; lr: number; seed: number };
  /** Held-out questions answered and picked from. */
  questions: number;
  /** The N of best-of-N (ascending; the largest is the number of samples per question). */
  ns: number[];
  sampling: { temperature: number; maxNewTokens: number; seed: number; batch: number };
  judges: JudgeSpec[];
  schemes: RankScheme[];
  judging: {
    k: number;
    order: RankOrder;
    temperature: number;
    maxTokens: number;
    seed: number;
    concurrency: number;
  };
  shard?: Shard;
  threads?: number;
}

/** The defaults (docs/downstream.md): the demo judge's world (cell questions), N up to 16, 200 questions. */
export const DEFAULT_POLICY_EXPERIMENT: Omit<PolicyExperimentConfig, 'outDir' | 'judges'> = {
  task: DEFAULT_POLICY_TASK,
  imageSize: 48,
  data: { trainSize: 20000, flawedShare: 0.3 },
  policy: { preset: 'policy', steps: 800, batchSize: 32, lr: 3e-3, seed: 1 },
  questions: 200,
  ns: [1, 2, 4, 8, 16],
  sampling: { temperature: 1, maxNewTokens: 32, seed: 1, batch: 8 },
  schemes: [...RANK_SCHEMES],
  judging: { k: 1, order: 'both', temperature: 1, maxTokens: 120, seed: 0, concurrency: 16 },
};

/** Where each phase writes. */
export function policyExperimentPaths(outDir: string) {
  const dir = resolve(outDir);
  return {
    dir,
    data: join(dir, 'data'),
    policy: join(dir, 'policy'),
    samples: join(dir, 'samples'),
    picks: (judge: string) => join(dir, 'picks', judge),
    markdown: join(dir, 'best-of-n.md'),
    summary: join(dir, 'summary.json'),
    report: join(dir, 'report.html'),
  };
}

/** One line of a judge's picks file. */
export interface PickLine {
  id: string;
  index: number;
  picks: JudgePick[];
}

/** Checks the config; errors name the field and how to fix it. */
export function validatePolicyExperiment(config: PolicyExperimentConfig): void {
  const fail = (what: string) => {
    throw new RangeError(`policy experiment: ${what}`);
  };
  if (!Number.isInteger(config.questions) || config.questions < 1)
    fail(`questions must be ≥ 1, got ${config.questions}`);
  if (
    config.ns.length === 0 ||
    !config.ns.every((n, i) => Number.isInteger(n) && n >= 1 && (i === 0 || n > config.ns[i - 1]!))
  )
    fail(`ns must be ascending positive integers, got ${JSON.stringify(config.ns)}`);
  const names = new Set<string>();
  for (const j of config.judges) {
    if (!/^[\w.-]+$/.test(j.name))
      fail(`judge name '${j.name}' must be letters, digits, '.', '_' or '-' (use --judge NAME=PATH)`);
    if (names.has(j.name)) fail(`two judges are named '${j.name}'; name them with --judge NAME=PATH`);
    names.add(j.name);
  }
  for (const s of config.schemes)
    if (!RANK_SCHEMES.includes(s)) fail(`unknown scheme '${s}'; use ${RANK_SCHEMES.join(', ')}`);
  if (config.shard) checkShard(config.shard, 'policy experiment');
}

const shardName = (shard?: Shard) => (shard && shard.count > 1 ? `${shard.index}-of-${shard.count}` : 'all');

/** Writes run.json on the first invocation; a rerun must keep what decides the numbers. */
function recordRun(config: PolicyExperimentConfig, dir: string): void {
  // Shards, threads and the judge list may differ between invocations of one experiment.
  const { outDir: _o, shard: _s, threads: _t, judges: _j, ...decisive } = config;
  openRunRecord(dir, 'experiment policy', decisive, { seed: config.policy.seed });
}

/** Every line of every shard's JSON-lines file in `dir` whose name matches, first line per id wins. */
async function readShardLines<T extends { id: string }>(dir: string, prefix = ''): Promise<Map<string, T>> {
  const out = new Map<string, T>();
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort())
    if (name.endsWith('.jsonl') && (prefix === '' ? !name.startsWith('cache.') : name.startsWith(prefix)))
      await readJsonLines<T>(join(dir, name), (line) => {
        if (!out.has(line.id)) out.set(line.id, line);
      });
  return out;
}

/** Trains the policy (phases data and policy) unless done; returns its checkpoint. */
async function trainPolicy(
  config: PolicyExperimentConfig,
  paths: ReturnType<typeof policyExperimentPaths>,
): Promise<string> {
  const done = join(paths.policy, 'done.json');
  if (existsSync(done)) return (JSON.parse(readFileSync(done, 'utf8')) as SftResult).checkpoint;
  if (config.shard && config.shard.count > 1)
    throw new Error(
      `policy experiment shard ${shardName(config.shard)}: the policy in ${paths.policy} is not trained; run once without --shard first`,
    );
  if (!existsSync(join(paths.data, 'manifest.json')))
    await writePolicyData(paths.data, { task: config.task, imageSize: config.imageSize, ...config.data });
  const { preset, init, steps, batchSize, lr, seed } = config.policy;
  const result = await trainSft({
    runDir: paths.policy,
    data: { file: join(paths.data, 'train.jsonl'), format: 'captions' },
    ...(init ? { init } : { preset }),
    steps,
    batchSize,
    microBatchSize: batchSize,
    lr,
    seed,
    evalEvery: 0,
    checkpointEvery: Math.max(1, Math.ceil(steps / 4)),
    resume: existsSync(paths.policy),
    ...(config.threads ? { threads: config.threads } : {}),
  });
  writeJsonAtomic(done, result);
  return result.checkpoint;
}

/** The held-out questions of this shard. */
const shardProblems = (config: PolicyExperimentConfig) =>
  Array.from({ length: config.questions }, (_, i) => i)
    .filter((i) => inShard(i, config.shard))
    .map((i) => policyProblem(config.task, 'test', i));

/** Samples N answers for each question of the shard not sampled yet. */
async function samplePhase(config: PolicyExperimentConfig, checkpoint: string, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const known = await readShardLines<SampledQuestion>(dir);
  const todo = shardProblems(config).filter((p) => !known.has(p.id));
  if (todo.length === 0) return;
  const policy = loadPolicy(checkpoint);
  const log = await AppendLog.open(join(dir, `${shardName(config.shard)}.jsonl`));
  try {
    const n = config.ns.at(-1)!;
    for (let b = 0; b < todo.length; b += config.sampling.batch) {
      const batch = todo.slice(b, b + config.sampling.batch);
      for (const q of await sampleAnswers(policy, batch, { ...config.sampling, n })) log.append(q);
    }
  } finally {
    await log.close();
    policy.model.dispose();
  }
}

/** Each judge picks among each question's answers, for every scheme and N; resumes per question. */
async function pickPhase(
  config: PolicyExperimentConfig,
  samples: Map<string, SampledQuestion>,
  judge: JudgeSpec,
  dir: string,
): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const done = await readShardLines<PickLine>(dir);
  const todo = shardProblems(config).filter((p) => !done.has(p.id));
  if (todo.length === 0) return;
  const { k, order, seed, temperature, maxTokens, concurrency } = config.judging;
  const backend = new LocalModelBackend({
    checkpoint: resolveCheckpoint(judge.checkpoint),
    temperature,
    topP: 1,
    maxTokens,
    seed,
    maxBatchPrompts: concurrency,
  });
  const cache = await FileJudgementCache.open(join(dir, `cache.${shardName(config.shard)}.jsonl`));
  const log = await AppendLog.open(join(dir, `${shardName(config.shard)}.jsonl`));
  try {
    for (const problem of todo) {
      const sampled = samples.get(problem.id);
      if (!sampled) throw new Error(`no samples for ${problem.id}: the sample phase did not finish`);
      const image = await imageToDataUrl(await renderPng(problem.scene, config.imageSize));
      const item = {
        id: problem.id,
        images: [image],
        question: problem.question,
        reference: problem.reference,
      };
      const picks = await judgePicks(item, sampled.answers, backend, config.schemes, config.ns, {
        k,
        order,
        seed,
        template: COMPACT_TEMPLATE,
        cache,
        concurrency,
      });
      log.append({ id: problem.id, index: problem.index, picks } satisfies PickLine);
    }
  } finally {
    await log.close();
    await cache.close();
    await backend.close();
  }
}

/** What the experiment read back for its report. */
export interface PolicyExperimentData {
  samples: SampledQuestion[];
  picks: Map<string, PickLine[]>;
}

/** Reads every shard's samples and picks (questions in index order). */
export async function readPolicyExperiment(config: PolicyExperimentConfig): Promise<PolicyExperimentData> {
  const paths = policyExperimentPaths(config.outDir);
  const byIndex = <T extends { index: number }>(m: Map<string, T>) =>
    [...m.values()].sort((a, b) => a.index - b.index);
  const samples = byIndex(await readShardLines<SampledQuestion>(paths.samples));
  const picks = new Map<string, PickLine[]>();
  for (const judge of config.judges)
    picks.set(judge.name, byIndex(await readShardLines<PickLine>(paths.picks(judge.name))));
  return { samples, picks };
}

/** Progress callbacks (the CLI prints them). */
export interface PolicyExperimentHooks {
  onPhase?: (phase: string) => void;
}

/** Runs (or continues) the experiment's phases for this shard; returns what every shard has written so far. */
export async function runPolicyExperiment(
  config: PolicyExperimentConfig,
  hooks: PolicyExperimentHooks = {},
): Promise<PolicyExperimentData> {
  validatePolicyExperiment(config);
  const paths = policyExperimentPaths(config.outDir);
  mkdirSync(paths.dir, { recursive: true });
  recordRun(config, paths.dir);
  hooks.onPhase?.('policy');
  const checkpoint = await trainPolicy(config, paths);
  hooks.onPhase?.('samples');
  await samplePhase(config, checkpoint, paths.samples);
  const samples = await readShardLines<SampledQuestion>(paths.samples);
  for (const judge of config.judges) {
    hooks.onPhase?.(`picks ${judge.name}`);
    await pickPhase(config, samples, judge, paths.picks(judge.name));
  }
  return readPolicyExperiment(config);
}

export type { CheckedAnswer };
