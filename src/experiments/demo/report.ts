// What the demo shows: summary.json (every number, read from the phases' own logs), report.html
// (training curves, accuracy table, Voting@K, position bias, example judgements with their images)
// and the summary table printed at the end.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { JudgedItemRecord } from '../../eval/record.js';
import { readRun } from '../../eval/runner.js';
import { type PositionBias, positionBias, scoreRecords } from '../../eval/score.js';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { SMOOTHING_NOTE } from '../../io/charts.js';
import { escapeHtml, REPORT_CSS } from '../../io/html.js';
import { readJsonLines } from '../../judge/append-log.js';
import type { OrderedJudgement } from '../../judge/judge.js';
import {
  chartGrid,
  constantsTable,
  type MetricRow,
  readInitialHeldOut,
  readMetrics,
  runView,
} from '../../train/report.js';
import { policyExperimentPaths } from '../policy/experiment.js';
import { bestOfNChart, bestOfNTable, type PolicyExperimentSummary } from '../policy/report.js';
import type { DemoConfig } from './config.js';
import type { demoPaths, PhaseTime } from './pipeline.js';

export const VOTING_KS = [1, 3, 5] as const;

/** One checkpoint's evaluation in the demo summary: accuracies, Voting@K, consistency and position bias. */
export interface ModelResult {
  checkpoint: string;
  /** Held-out pairs judged (those whose prompt fits the model's context). */
  judged: number;
  /** Greedy held-out accuracy at the end of training (the trainer's last held_out_accuracy). */
  greedy: number | null;
  /** Benchmark run, both orders, temperature T: Voting@K (K samples per order). */
  votingAtK: Record<string, number | null>;
  positionConsistency: number | null;
  unparseableRate: number | null;
  positionBias: PositionBias;
  /**
   * Per-sample accuracy (parsed samples, both orders) by the synthetic pair's hardness (0 = obvious,
   * 2 = the subtlest error): where RL gains or loses.
   */
  byHardness: Record<string, { parsed: number; accuracy: number | null }>;
}

/** summary.json: every number of the demo's report (SFT-only and RL results, phase times, config). */
export interface DemoSummary {
  preset: string;
  seed: number;
  outDir: string;
  /** Held-out pairs judged (of config.evaluation.items; longer prompts do not fit the context). */
  items: number;
  phases: { name: string; seconds: number }[];
  sft: ModelResult;
  rl: ModelResult;
  /** RL minus SFT-only, in accuracy points (fractions): Voting@1 and greedy. */
  margin: { voting1: number | null; greedy: number | null };
  /** The best-of-n phase's numbers (judge `rl`), when the preset has that phase. */
  bestOfN: PolicyExperimentSummary | null;
}

type Paths = ReturnType<typeof demoPaths>;

const lastWith = (rows: readonly MetricRow[], key: string): number | null => {
  for (let i = rows.length - 1; i >= 0; i--) {
    const v = rows[i]![key];
    if (typeof v === 'number') return v;
  }
  return null;
};

/**
 * Per-sample accuracy of parsed samples, grouped by each record's `meta.hardness`: the overall
 * per-sample number ({@link sampleAccuracy} of {@link positionBias}) computed on each group.
 */
export function accuracyByHardness(records: readonly JudgedItemRecord[]): ModelResult['byHardness'] {
  const groups = new Map<string, OrderedJudgement[]>();
  for (const record of records) {
    const hardness = record.meta?.['hardness'];
    if (hardness === undefined) continue;
    const group = groups.get(String(hardness)) ?? [];
    group.push(...record.judgements);
    groups.set(String(hardness), group);
  }
  return Object.fromEntries(
    [...groups.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([h, judgements]) => {
        const bias = positionBias(judgements);
        return [h, { parsed: bias.parsed, accuracy: sampleAccuracy(bias) }];
      }),
  );
}

async function modelResult(trainDir: string, evalDir: string): Promise<ModelResult> {
  const { run, records } = await readRun(evalDir);
  const { benchmark, order, k, seed } = run.settings;
  const { metrics, details } = scoreRecords(records, { benchmark, protocol: 'official', order, k, seed });
  const done = JSON.parse(readFileSync(join(trainDir, 'done.json'), 'utf8')) as { checkpoint: string };
  return {
    checkpoint: done.checkpoint,
    judged: records.length,
    greedy: lastWith(readMetrics(trainDir), 'held_out_accuracy'),
    votingAtK: Object.fromEntries(VOTING_KS.map((K) => [K, metrics.votingAtK[K] ?? null])),
    positionConsistency: metrics.positionConsistency?.rate ?? null,
    unparseableRate: metrics.unparseable.rate,
    positionBias: details.positionBias,
    byHardness: accuracyByHardness(records),
  };
}

const minus = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);

export async function summarize(
  config: DemoConfig,
  paths: Paths,
  times: Record<string, PhaseTime>,
): Promise<DemoSummary> {
  const sft = await modelResult(paths.sft, paths.evalSft);
  const rl = await modelResult(paths.rl, paths.evalRl);
  const bestOfNFile = policyExperimentPaths(paths.bestOfN).summary;
  const bestOfN = existsSync(bestOfNFile)
    ? (JSON.parse(readFileSync(bestOfNFile, 'utf8')) as PolicyExperimentSummary)
    : null;
  return {
    preset: config.preset,
    seed: config.seed,
    outDir: paths.dir,
    items: sft.judged,
    phases: Object.entries(times)
      .filter(([name]) => name !== 'report')
      .map(([name, t]) => ({ name, seconds: t.seconds })),
    sft,
    rl,
    margin: {
      voting1: minus(rl.votingAtK['1'] ?? null, sft.votingAtK['1'] ?? null),
      greedy: minus(rl.greedy, sft.greedy),
    },
    bestOfN,
  };
}

/** The best-of-N selectors in table order: chance, majority, oracle, then the RL judge's schemes. */
const bestOfNRows = (b: NonNullable<DemoSummary['bestOfN']>) => [
  ...b.baselines,
  ...(b.judges['rl']?.rows ?? []),
];

/** The printed best-of-N table (empty without that phase). */
function formatBestOfN(s: DemoSummary): string[] {
  const b = s.bestOfN;
  if (!b) return [];
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(i === 0 ? 26 : 9)).join(' | ')} |`;
  return [
    '',
    `best-of-N, ${b.questions} held-out questions: true accuracy of the answer picked (policy alone ${pct(b.policy.accuracy)})`,
    row(['', ...b.ns.map((n) => `N=${n}`)]),
    ...bestOfNRows(b).map((r) =>
      row([r.selector.replace('judge:', 'RL judge:'), ...b.ns.map((n) => pct(r.accuracy[n]))]),
    ),
  ];
}

/** A fraction as the report and the table print it. */
export const pct = (x: number | null | undefined) =>
  x === null || x === undefined ? '–' : `${(100 * x).toFixed(1)} %`;
const points = (x: number | null) => (x === null ? '–' : `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)} pts`);
const rate = (n: number, d: number) => (d > 0 ? n / d : null);
/** Accuracy of single samples (parsed ones), both orders pooled: the least noisy number here. */
export const sampleAccuracy = (b: PositionBias) =>
  rate(b.shownFirst.correct + b.shownSecond.correct, b.shownFirst.parsed + b.shownSecond.parsed);

/** The hardness levels either evaluation saw, in order. */
const hardnessLevels = (s: DemoSummary) =>
  [...new Set([...Object.keys(s.sft.byHardness), ...Object.keys(s.rl.byHardness)])].sort();

/** The printed summary table. */
export function formatSummary(s: DemoSummary): string {
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(i === 0 ? 26 : 12)).join(' | ')} |`;
  const lines = [
    `r1-reward demo (preset ${s.preset}, seed ${s.seed}, ${s.items} held-out pairs, both orders) → ${s.outDir}`,
    '',
    row(['', 'SFT-only', 'RL', 'RL − SFT']),
    row(['greedy held-out accuracy', pct(s.sft.greedy), pct(s.rl.greedy), points(s.margin.greedy)]),
    ...VOTING_KS.map((K) =>
      row([
        `Voting@${K}`,
        pct(s.sft.votingAtK[K]),
        pct(s.rl.votingAtK[K]),
        points(minus(s.rl.votingAtK[K] ?? null, s.sft.votingAtK[K] ?? null)),
      ]),
    ),
    row([
      'per-sample accuracy',
      pct(sampleAccuracy(s.sft.positionBias)),
      pct(sampleAccuracy(s.rl.positionBias)),
      points(minus(sampleAccuracy(s.rl.positionBias), sampleAccuracy(s.sft.positionBias))),
    ]),
    ...hardnessLevels(s).map((h) =>
      row([
        `  per sample, hardness ${h}`,
        pct(s.sft.byHardness[h]?.accuracy),
        pct(s.rl.byHardness[h]?.accuracy),
        points(minus(s.rl.byHardness[h]?.accuracy ?? null, s.sft.byHardness[h]?.accuracy ?? null)),
      ]),
    ),
    row(['consistency (both orders)', pct(s.sft.positionConsistency), pct(s.rl.positionConsistency), '']),
    row(['unparseable samples', pct(s.sft.unparseableRate), pct(s.rl.unparseableRate), '']),
    ...formatBestOfN(s),
    '',
    `time per phase: ${s.phases.map((p) => `${p.name} ${p.seconds.toFixed(1)} s`).join(', ')}; total ${s.phases
      .reduce((t, p) => t + p.seconds, 0)
      .toFixed(1)} s`,
    `report: ${join(s.outDir, 'report.html')}`,
  ];
  return lines.join('\n');
}

/** A table cell carrying its number's key, so a test can find each value. */
const cell = (key: string, text: string) => `<td data-key="${key}">${escapeHtml(text)}</td>`;

function accuracyTable(s: DemoSummary): string {
  const rows: [string, string, string, string][] = [
    ['greedy held-out accuracy', 'greedy', pct(s.sft.greedy), pct(s.rl.greedy)],
    ...VOTING_KS.map(
      (K) =>
        [`Voting@${K}`, `voting@${K}`, pct(s.sft.votingAtK[K]), pct(s.rl.votingAtK[K])] as [
          string,
          string,
          string,
          string,
        ],
    ),
    [
      'per-sample accuracy (parsed samples)',
      'per-sample',
      pct(sampleAccuracy(s.sft.positionBias)),
      pct(sampleAccuracy(s.rl.positionBias)),
    ],
    ...hardnessLevels(s).map(
      (h) =>
        [
          `per-sample accuracy, hardness ${h}`,
          `per-sample-h${h}`,
          pct(s.sft.byHardness[h]?.accuracy),
          pct(s.rl.byHardness[h]?.accuracy),
        ] as [string, string, string, string],
    ),
    ['position consistency', 'consistency', pct(s.sft.positionConsistency), pct(s.rl.positionConsistency)],
    ['unparseable samples', 'unparseable', pct(s.sft.unparseableRate), pct(s.rl.unparseableRate)],
  ];
  return `<table><tr><th></th><th>SFT-only</th><th>RL (StableReinforce)</th></tr>${rows
    .map(([label, key, a, b]) => `<tr><th>${label}</th>${cell(`sft.${key}`, a)}${cell(`rl.${key}`, b)}</tr>`)
    .join('')}</table>
<p>Margin RL − SFT: Voting@1 ${escapeHtml(points(s.margin.voting1))}, greedy ${escapeHtml(points(s.margin.greedy))}.</p>`;
}

function biasTable(s: DemoSummary): string {
  const line = (name: 'sft' | 'rl', b: PositionBias) =>
    `<tr><th>${name === 'sft' ? 'SFT-only' : 'RL'}</th>${cell(`${name}.answered-1`, pct(rate(b.answeredOne, b.parsed)))}${cell(
      `${name}.acc-first`,
      pct(rate(b.shownFirst.correct, b.shownFirst.parsed)),
    )}${cell(`${name}.acc-second`, pct(rate(b.shownSecond.correct, b.shownSecond.parsed)))}</tr>`;
  return `<table><tr><th></th><th>answered "1"</th><th>accuracy, preferred shown first</th><th>accuracy, preferred shown second</th></tr>${line('sft', s.sft.positionBias)}${line('rl', s.rl.positionBias)}</table>`;
}

const SFT_CURVES = ['loss', 'held_out_accuracy', 'held_out_format_rate', 'grad_norm', 'lr'];
const RL_CURVES = [
  'reward_mean',
  'reward_std',
  'result_rate',
  'consistency_rate',
  'format_rate',
  'held_out_accuracy',
  'held_out_format_rate',
  'response_length',
  'loss',
  'ratio_max',
  'clip_fraction',
  'policy_kl',
  'filtered_fraction',
  'grad_norm',
];

/** A run's curves of the named quantities (grouped as in the run report), then those that never changed. */
function curves(runDir: string, names: readonly string[]): string {
  const rows = readMetrics(runDir).map((row) => {
    const kept: MetricRow = { step: row.step };
    for (const name of names) if (name in row) kept[name] = row[name];
    return kept;
  });
  const view = runView(rows, readInitialHeldOut(runDir));
  return `${chartGrid(view)}\n${constantsTable(view.constants)}`;
}

interface BenchmarkLine {
  id: string;
  prompt: string;
  chosen: string;
  rejected: string;
  image: string;
}

async function examples(paths: Paths, count: number): Promise<string> {
  const pairs = new Map<string, BenchmarkLine>();
  for (const line of readFileSync(join(paths.world, 'benchmark.jsonl'), 'utf8').split('\n'))
    if (line.trim()) {
      const pair = JSON.parse(line) as BenchmarkLine;
      pairs.set(pair.id, pair);
    }
  const records: JudgedItemRecord[] = [];
  await readJsonLines<JudgedItemRecord>(join(paths.evalRl, 'judgements.jsonl'), (r) => {
    if (records.length < count) records.push(r);
  });
  return records
    .map((record) => {
      const pair = pairs.get(record.id);
      if (!pair) return '';
      const imagePath = resolve(paths.world, pair.image);
      const image = existsSync(imagePath)
        ? `<img alt="${escapeHtml(pair.id)}" width="96" height="96" style="image-rendering:pixelated" src="data:image/png;base64,${readFileSync(imagePath).toString('base64')}">`
        : '';
      const judgements = record.judgements
        .map((j) => {
          const sample = j.samples[0];
          if (!sample) return '';
          const preferred = j.firstAt;
          const verdict =
            sample.choice === null ? 'unparseable' : sample.choice === preferred ? 'correct' : 'wrong';
          return `<li>preferred response shown as Response ${preferred}: picked ${sample.choice ?? '–'} (${verdict})<pre>${escapeHtml(sample.text)}</pre></li>`;
        })
        .join('');
      return `<div class="example">${image}<div><p><b>${escapeHtml(pair.id)}</b> — ${escapeHtml(pair.prompt)}</p>
<p>preferred: ${escapeHtml(pair.chosen)}<br>rejected: ${escapeHtml(pair.rejected)}</p><ul>${judgements}</ul></div></div>`;
    })
    .join('\n');
}

/** The best-of-N section: what was done, the table and the chart. */
function bestOfNSection(s: DemoSummary): string {
  const b = s.bestOfN;
  if (!b) return '';
  return `<h2>Best-of-N with the RL judge, against the truth</h2>
<p>A policy (the caption-pretrained model, fine-tuned by SFT on answers of which some are wrong) samples
${b.samplesPerQuestion} answers to each of ${b.questions} held-out questions at temperature ${b.policy.temperature}:
${pct(b.policy.accuracy)} of its samples are true, ${pct(b.policy.unparseable)} unparseable. From the first N, each
selector picks one and the truth checker says whether it is true. Chance is a uniform pick, majority the most frequent
answer, the oracle any true answer among the N; the RL judge ranks the distinct answers in both orders. docs/downstream.md.</p>
<div class="side">${bestOfNChart(b.ns, 'true accuracy of the pick vs N', bestOfNRows(b))}<div>${bestOfNTable(b.ns, bestOfNRows(b))}</div></div>`;
}

export function renderDemoReport(s: DemoSummary, paths: Paths, exampleHtml: string): string {
  const runJson = readFileSync(join(paths.dir, 'run.json'), 'utf8');
  const phases = s.phases
    .map(
      (p) => `<tr><th>${escapeHtml(p.name)}</th>${cell(`phase.${p.name}`, `${p.seconds.toFixed(1)} s`)}</tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>r1-reward demo ${escapeHtml(s.preset)}</title>
<style>${REPORT_CSS}
.example{display:flex;gap:16px;border-top:1px solid #eee;padding:8px 0}</style></head><body>
<h1>r1-reward demo — preset ${escapeHtml(s.preset)}, seed ${s.seed}</h1>
<p>Synthetic world → tokenizer → SFT cold start → StableReinforce RL → held-out benchmark (${s.items} pairs,
both response orders, Voting@K with K samples per order, temperature from the config). Folder: ${escapeHtml(s.outDir)}.</p>
<h2>Held-out accuracy: SFT-only vs RL</h2>${accuracyTable(s)}
<h2>Position bias</h2>${biasTable(s)}
${bestOfNSection(s)}
<h2>Time per phase</h2><table>${phases}</table>
<h2>Training curves: SFT cold start</h2><p class="meta">${SMOOTHING_NOTE}</p>${curves(paths.sft, SFT_CURVES)}
<h2>Training curves: StableReinforce RL</h2>${curves(paths.rl, RL_CURVES)}
<h2>Example judgements (RL checkpoint, first sample of each order)</h2>${exampleHtml}
<h2>Run record</h2><pre>${escapeHtml(runJson)}</pre>
</body></html>
`;
}

export async function writeDemoReport(s: DemoSummary, paths: Paths): Promise<string> {
  writeFileAtomic(paths.report, renderDemoReport(s, paths, await examples(paths, 4)));
  return paths.report;
}
