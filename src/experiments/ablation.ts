// The ablation: does StableReinforce do what the paper says, and when? One SFT cold start,
// then RL from it with every arm × setting × seed, each in its own folder:
//
//   OUT/sft/                                   the shared cold start (resumed if interrupted)
//   OUT/runs/<setting>/<arm>/seed-<n>/         one RL run; done.json once finished
//   OUT/ablation.md, OUT/ablation.json         the Table-6-like table, rebuilt from whatever finished
//   OUT/ablation.html                          the table and per-arm curves per setting (ablation-report.ts)
//
// Re-running skips finished runs and resumes unfinished ones, so the experiment can span several invocations.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mean } from '../algo/stats.js';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic-write.js';
import type { DataSource } from '../train/judge-items.js';
import { type MetricRow, readMetrics } from '../train/report.js';
import type { RlStepMetrics } from '../train/rl.js';
import { type RlConfig, trainRl } from '../train/rl.js';
import { type SftConfig, trainSft } from '../train/sft.js';
import { renderAblationPage, type SettingRuns } from './ablation-report.js';
import { checkShard, inShard, type Shard } from './shard.js';

/**
 * The ablation's arms as RL config overrides: StableReinforce, Reinforce++, GRPO, and StableReinforce without
 * Pre-CLIP (or with one bound only), without the Advantage Filter or without the consistency reward.
 */
export const ARMS = {
  'stable-reinforce': { algorithm: 'stable-reinforce' },
  'reinforce++': { algorithm: 'reinforce++' },
  'w/o pre-clip': { algorithm: 'stable-reinforce', preClip: 'none' },
  'pre-clip upper only': { algorithm: 'stable-reinforce', preClip: 'upper' },
  'pre-clip lower only': { algorithm: 'stable-reinforce', preClip: 'lower' },
  'w/o advantage filter': { algorithm: 'stable-reinforce', filter: 'none' },
  'w/o consistency': { algorithm: 'stable-reinforce', consistency: false },
  grpo: { algorithm: 'grpo', samplesPerPrompt: 4 },
} as const satisfies Record<string, Partial<RlConfig>>;
/** An arm of {@link ARMS}. */
export type ArmName = keyof typeof ARMS;

/**
 * Settings, relative to the base RL config:
 * - base: the base config itself (one PPO epoch, one optimiser step per rollout — on-policy, as the
 *   paper trains): does an arm improve a judge that already judges?
 * - mild: 4 PPO epochs over each rollout (4 optimiser steps, epochs 2–4 off-policy — where Pre-CLIP
 *   and the clip act) and a 3× learning rate: strained but not broken;
 * - stress: several PPO epochs per rollout (4 optimiser steps each) and a 10× learning rate;
 * - mismatch: stress + the rollout/trainer mismatch (sampler 2 updates stale, its log-probs used as
 *   the old log-probs, plus N(0, 0.5²) noise on them);
 * - positive-control: a learning rate meant to break every arm (100×, 8 epochs).
 */
export const SETTINGS = ['base', 'mild', 'stress', 'mismatch', 'positive-control'] as const;
/** A setting of {@link SETTINGS}. */
export type SettingName = (typeof SETTINGS)[number];

export function settingOverrides(
  setting: SettingName,
  base: { lr: number; rolloutSize: number },
): Partial<RlConfig> {
  if (setting === 'base') return {};
  if (setting === 'mild') return { ppoEpochs: 4, lr: base.lr * 3 };
  const stress = { ppoEpochs: 4, lr: base.lr * 10, trainBatch: Math.max(1, base.rolloutSize / 4) };
  if (setting === 'stress') return stress;
  if (setting === 'mismatch')
    return { ...stress, mismatch: { staleUpdates: 2, oldLogProbs: 'rollout', oldLogProbNoise: 0.5 } };
  return { ppoEpochs: 8, lr: base.lr * 100, trainBatch: Math.max(1, base.rolloutSize / 4) };
}

/**
 * The ablation experiment: data, output folder, which arms, settings and seeds, and the SFT / RL overrides.
 */
export interface AblationConfig {
  outDir: string;
  /** The synthetic world's files (or any R1-Reward SFT/RL data and a held-out split). */
  sftData: string;
  rlData: string;
  heldOut: { file: string; format?: DataSource['format'] };
  arms?: ArmName[];
  settings?: SettingName[];
  seeds?: number[];
  /** SFT cold start overrides (default: tiny preset). */
  sft?: Partial<SftConfig>;
  /** RL overrides shared by every run. */
  rl?: Partial<RlConfig>;
  /**
   * Run only every `count`-th planned run, starting at `index` (0-based), so that `count` processes
   * (or machines sharing OUT) split one experiment; the shared SFT must be finished first.
   */
  shard?: Shard;
}

const slug = (s: string) => s.replace(/[^a-z0-9+]+/gi, '-').replace(/^-|-$/g, '');

export const DEFAULT_RL: Partial<RlConfig> = {
  steps: 100,
  rolloutBatch: 8,
  microBatch: 8,
  lr: 1e-4,
  maxNewTokens: 64,
  evalEvery: 25,
  evalSize: 100,
  checkpointEvery: 10,
};

/** One run of the ablation: setting, arm, seed, its folder and its full RL config. */
export interface RunPlan {
  setting: SettingName;
  arm: ArmName;
  seed: number;
  dir: string;
  config: RlConfig;
}

/** Every run of the experiment with its folder and full config (the unit of resumption). */
export function planRuns(config: AblationConfig): RunPlan[] {
  const rl = { ...DEFAULT_RL, ...config.rl };
  const plans: RunPlan[] = [];
  for (const setting of config.settings ?? SETTINGS)
    for (const arm of config.arms ?? (Object.keys(ARMS) as ArmName[]))
      for (const seed of config.seeds ?? [1, 2, 3, 4, 5]) {
        const armConfig: Partial<RlConfig> = ARMS[arm];
        const samples = armConfig.samplesPerPrompt ?? 1;
        // GRPO sees the same number of sequences per rollout: fewer prompts, n samples each.
        const rolloutBatch = Math.max(1, Math.floor((rl.rolloutBatch ?? 16) / samples));
        const dir = join(config.outDir, 'runs', setting, slug(arm), `seed-${seed}`);
        plans.push({
          setting,
          arm,
          seed,
          dir,
          config: {
            ...rl,
            ...armConfig,
            rolloutBatch,
            ...settingOverrides(setting, { lr: rl.lr ?? 1e-4, rolloutSize: rolloutBatch * samples }),
            seed,
            runDir: dir,
            init: join(config.outDir, 'sft'),
            data: { file: config.rlData },
            heldOut: { format: 'synthetic', ...config.heldOut },
          } as RlConfig,
        });
      }
  return plans;
}

/** Callbacks of {@link runAblation} around each run. */
export interface AblationProgress {
  onRunStart?: (plan: RunPlan, index: number, total: number) => void;
  onRunDone?: (plan: RunPlan, index: number, total: number) => void;
}

/** Runs (or continues) the experiment and rebuilds the table after every finished run. */
export async function runAblation(
  config: AblationConfig,
  progress: AblationProgress = {},
): Promise<AblationTable> {
  const sftDir = join(config.outDir, 'sft');
  const shard = checkShard(config.shard);
  if (shard.count > 1 && !existsSync(join(sftDir, 'done.json')))
    throw new Error(
      `ablation shard ${shard.index}/${shard.count}: the shared SFT in ${sftDir} is not finished; ` +
        'run the experiment once without a shard (it trains the SFT first), then start the shards',
    );
  if (!existsSync(join(sftDir, 'done.json'))) {
    const result = await trainSft({
      preset: 'tiny',
      steps: 400,
      batchSize: 16,
      microBatchSize: 16,
      lr: 3e-3,
      evalEvery: 0,
      ...config.sft,
      runDir: sftDir,
      data: { file: config.sftData },
      heldOut: { format: 'synthetic', ...config.heldOut },
      resume: existsSync(sftDir),
    });
    writeJsonAtomic(join(sftDir, 'done.json'), result);
  }
  const plans = planRuns(config);
  let table = buildTable(config);
  for (const [i, plan] of plans.entries()) {
    if (!inShard(i, shard) || existsSync(join(plan.dir, 'done.json'))) continue;
    progress.onRunStart?.(plan, i, plans.length);
    const result = await trainRl({ ...plan.config, resume: existsSync(plan.dir) });
    writeJsonAtomic(join(plan.dir, 'done.json'), result);
    table = buildTable(config);
    progress.onRunDone?.(plan, i, plans.length);
  }
  return table;
}

// ------------------------------------------------------------------------------------------------
// The table
// ------------------------------------------------------------------------------------------------

export interface RunSummary {
  accuracy: number | null;
  /** The last held-out strict-format rate: a collapsed judge can score ~50 % with no well-formed answer. */
  formatRate: number | null;
  /** First step of collapse, or null: a non-finite loss, or responses at the maximum with reward falling. */
  collapseStep: number | null;
  frozenBatches: number;
  finalLength: number;
  inconsistencyRate: number;
  ratioAbove: number;
  ratioBelow: number;
}

/**
 * Collapse (documented in docs/training.md): the first step with a non-finite loss (or a skipped
 * non-finite update), or the first step from which ≥ half the rollout hits the length limit while
 * the mean reward of the last 5 steps is ≥ 0.25 below that of the first 5.
 */
export function summarizeRun(rows: readonly (RlStepMetrics & Record<string, unknown>)[]): RunSummary {
  let collapseStep: number | null = null;
  const early = finiteMean(rows.slice(0, 5).map((r) => r.reward_mean));
  for (const [i, r] of rows.entries()) {
    const recent = finiteMean(rows.slice(Math.max(0, i - 4), i + 1).map((x) => x.reward_mean));
    if (
      !Number.isFinite(r.loss) ||
      r.non_finite_losses > 0 ||
      (r.length_capped_fraction >= 0.5 && recent <= early - 0.25)
    ) {
      collapseStep = r.step;
      break;
    }
  }
  const last = rows[rows.length - 1];
  const heldOut = [...rows].reverse().find((r) => typeof r.held_out_accuracy === 'number');
  const tail = rows.slice(-10);
  return {
    accuracy: heldOut?.held_out_accuracy ?? null,
    formatRate: typeof heldOut?.held_out_format_rate === 'number' ? heldOut.held_out_format_rate : null,
    collapseStep,
    frozenBatches: last?.zero_spread_batches ?? 0,
    finalLength: finiteMean(tail.map((r) => r.response_length)),
    inconsistencyRate: finiteMean(tail.map((r) => r.inconsistency_rate)),
    ratioAbove: finiteMean(rows.map((r) => r.ratio_above_1e3_pos_adv + r.ratio_above_1e3_neg_adv)),
    ratioBelow: finiteMean(rows.map((r) => r['ratio_below_1e-3_pos_adv'] + r['ratio_below_1e-3_neg_adv'])),
  };
}

/** The mean of the finite values (a collapsed run logs NaN); NaN when there are none. */
const finiteMean = (xs: readonly number[]): number => mean(xs.filter(Number.isFinite));
function sd(xs: readonly number[]): number {
  const m = finiteMean(xs);
  return xs.length < 2 ? 0 : Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
}

/**
 * One row of the ablation table: a setting × arm over its finished seeds (accuracy mean ± std, collapses,
 * length, inconsistency, ratio tails).
 */
export interface AblationRow {
  setting: SettingName;
  arm: string;
  seedsDone: number;
  seedsPlanned: number;
  accuracyMean: number | null;
  accuracyStd: number | null;
  /** Mean last held-out strict-format rate over the finished seeds. */
  formatRate: number | null;
  collapsed: number;
  earliestCollapse: number | null;
  frozenBatches: number;
  finalLength: number;
  inconsistencyRate: number;
  ratioAbove: number;
  ratioBelow: number;
}

/** The ablation table: the SFT starting accuracy, the rows, and the same as Markdown. */
export interface AblationTable {
  sftAccuracy: number | null;
  rows: AblationRow[];
  markdown: string;
}

/** Seeds of finished runs anywhere under OUT/runs (from seed-N folders holding done.json). */
function finishedSeeds(outDir: string): number[] {
  const seeds = new Set<number>();
  const root = join(outDir, 'runs');
  for (const setting of safeReaddir(root))
    for (const arm of safeReaddir(join(root, setting)))
      for (const run of safeReaddir(join(root, setting, arm))) {
        const m = /^seed-(\d+)$/.exec(run);
        if (m && existsSync(join(root, setting, arm, run, 'done.json'))) seeds.add(Number(m[1]));
      }
  return [...seeds];
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * Rebuilds the table from every finished run (done.json) in OUT — whatever arms, settings and seeds
 * earlier invocations ran, not only this one's — and writes ablation.md / ablation.json. "seeds"
 * counts this invocation's plan, or the finished runs where they are more.
 */
export function buildTable(config: AblationConfig): AblationTable {
  const sftDone = join(config.outDir, 'sft', 'done.json');
  const sftAccuracy = existsSync(sftDone)
    ? ((JSON.parse(readFileSync(sftDone, 'utf8')) as { heldOut: { accuracy: number } | null }).heldOut
        ?.accuracy ?? null)
    : null;
  const planned = new Set(planRuns(config).map((p) => p.dir));
  const seeds = [...new Set([...(config.seeds ?? [1, 2, 3, 4, 5]), ...finishedSeeds(config.outDir)])].sort(
    (x, y) => x - y,
  );
  const everyRun = planRuns({ ...config, arms: undefined, settings: undefined, seeds });
  const groups = new Map<
    string,
    { plan: RunPlan; summaries: RunSummary[]; metrics: MetricRow[][]; planned: number }
  >();
  for (const plan of everyRun) {
    const key = `${plan.setting}\u0000${plan.arm}`;
    const group = groups.get(key) ?? { plan, summaries: [], metrics: [], planned: 0 };
    if (planned.has(plan.dir)) group.planned++;
    if (existsSync(join(plan.dir, 'done.json'))) {
      const metrics = readMetrics(plan.dir);
      group.metrics.push(metrics);
      group.summaries.push(summarizeRun(metrics as unknown as (RlStepMetrics & Record<string, unknown>)[]));
    }
    groups.set(key, group);
  }
  const shown = [...groups.values()].filter((g) => g.planned > 0 || g.summaries.length > 0);
  const rows: AblationRow[] = shown.map(({ plan, summaries, planned }) => {
    const acc = summaries.map((s) => s.accuracy).filter((a): a is number => a !== null);
    const formats = summaries.map((s) => s.formatRate).filter((f): f is number => f !== null);
    const collapses = summaries.map((s) => s.collapseStep).filter((c): c is number => c !== null);
    return {
      setting: plan.setting,
      arm: plan.arm,
      seedsDone: summaries.length,
      seedsPlanned: Math.max(planned, summaries.length),
      accuracyMean: acc.length ? finiteMean(acc) : null,
      accuracyStd: acc.length ? sd(acc) : null,
      formatRate: formats.length ? finiteMean(formats) : null,
      collapsed: collapses.length,
      earliestCollapse: collapses.length ? Math.min(...collapses) : null,
      frozenBatches: finiteMean(summaries.map((s) => s.frozenBatches)),
      finalLength: finiteMean(summaries.map((s) => s.finalLength)),
      inconsistencyRate: finiteMean(summaries.map((s) => s.inconsistencyRate)),
      ratioAbove: finiteMean(summaries.map((s) => s.ratioAbove)),
      ratioBelow: finiteMean(summaries.map((s) => s.ratioBelow)),
    };
  });
  const markdown = renderMarkdown(sftAccuracy, rows);
  writeFileAtomic(join(config.outDir, 'ablation.md'), markdown);
  writeJsonAtomic(join(config.outDir, 'ablation.json'), { sftAccuracy, rows });
  const curves = new Map<string, SettingRuns>();
  for (const { plan, metrics } of shown)
    if (metrics.length > 0) {
      const arms = curves.get(plan.setting) ?? new Map<string, MetricRow[][]>();
      curves.set(plan.setting, arms.set(plan.arm, metrics));
    }
  writeFileAtomic(join(config.outDir, 'ablation.html'), renderAblationPage(markdown, curves));
  return { sftAccuracy, rows, markdown };
}

const pct = (x: number | null) => (x === null || !Number.isFinite(x) ? '–' : (100 * x).toFixed(1));
const num = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '–');
const sci = (x: number) => (!Number.isFinite(x) ? '–' : x === 0 ? '0' : x.toExponential(1));

function renderMarkdown(sftAccuracy: number | null, rows: readonly AblationRow[]): string {
  const out = ['# StableReinforce ablation (held-out accuracy of greedy judging, %)', ''];
  out.push(`Long-CoT SFT only: **${pct(sftAccuracy)}**`, '');
  for (const setting of SETTINGS) {
    const mine = rows.filter((r) => r.setting === setting);
    if (mine.length === 0) continue;
    out.push(`## ${setting}`, '');
    out.push(
      '| arm | held-out acc. (mean ± std) | seeds | held-out format | collapsed (earliest step) | frozen batches | final length | inconsistency | ratio > 1e3 | ratio < 1e-3 |',
      '|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const r of mine) {
      const acc = r.accuracyMean === null ? '–' : `${pct(r.accuracyMean)} ± ${pct(r.accuracyStd)}`;
      const collapse =
        r.seedsDone === 0
          ? '–'
          : r.collapsed === 0
            ? 'no'
            : `${r.collapsed}/${r.seedsDone} (step ${r.earliestCollapse})`;
      out.push(
        `| ${r.arm} | ${acc} | ${r.seedsDone}/${r.seedsPlanned} | ${pct(r.formatRate)} | ${collapse} | ${num(r.frozenBatches)} | ${num(r.finalLength)} | ${pct(r.inconsistencyRate)} | ${sci(r.ratioAbove)} | ${sci(r.ratioBelow)} |`,
      );
    }
    out.push('');
  }
  return `${out.join('\n')}\n`;
}
