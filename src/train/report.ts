// `r1-reward report RUN_DIR`: one self-contained HTML page (no script, no network) with the run's
// curves from metrics.jsonl, grouped by what they measure, drawn by src/io/charts.ts (ECharts' SVG
// renderer): each series raw and faint behind its smoothed line; a quantity that never changed is
// listed as a value instead of drawn; the held-out accuracy starts from the point before training.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write.js';
import { type ChartSeries, type ChartSpec, type Point, renderChart, SMOOTHING_NOTE } from '../io/charts.js';
import { escapeHtml, REPORT_CSS } from '../io/html.js';

export type MetricRow = Record<string, unknown> & { step: number };

/** Reads metrics.jsonl, skipping a torn last line (a run that crashed mid-write). */
export function readMetrics(runDir: string): MetricRow[] {
  const path = join(runDir, 'metrics.jsonl');
  if (!existsSync(path))
    throw new Error(`${runDir} has no metrics.jsonl: is it a run folder of r1-reward train?`);
  const rows: MetricRow[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      const row = JSON.parse(line) as MetricRow;
      if (typeof row.step === 'number') rows.push(row);
    } catch {
      // a torn line
    }
  }
  return rows;
}

/** Row fields that are not logged quantities: the step and the wall-clock time. */
const NOT_QUANTITIES = new Set(['step', 'time']);

/** Every numeric (or boolean) quantity that appears in the log, in first-seen order. */
export function loggedQuantities(rows: readonly MetricRow[]): string[] {
  const names = new Set<string>();
  for (const row of rows)
    for (const [key, value] of Object.entries(row))
      if (!NOT_QUANTITIES.has(key) && (typeof value === 'number' || typeof value === 'boolean'))
        names.add(key);
  return [...names];
}

/** One quantity against the step, over the rows that logged it (booleans as 0 / 1; null as NaN). */
export function quantityPoints(rows: readonly MetricRow[], name: string): Point[] {
  const points: Point[] = [];
  for (const row of rows) if (name in row) points.push([row.step, toNumber(row[name])]);
  return points;
}

const toNumber = (v: unknown): number =>
  typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : Number.NaN;

/** The value a series held at every logged step, or undefined when it changed (or has no finite value). */
export function constantValue(points: readonly Point[]): number | undefined {
  const first = points[0]?.[1];
  if (first === undefined || !Number.isFinite(first)) return undefined;
  for (const [, y] of points) if (y !== first) return undefined;
  return first;
}

/** A chart of related quantities: its title, its members in order, and a fixed range for rates. */
export interface ChartGroup {
  title: string;
  names: readonly string[];
  yRange?: readonly [number, number];
  smooth?: boolean;
}

/**
 * Related quantities drawn in one chart; a logged quantity in no group gets a chart of its own.
 * Held-out numbers are measured every few steps, so they are drawn unsmoothed.
 */
export const CHART_GROUPS: readonly ChartGroup[] = [
  {
    title: 'held-out (greedy)',
    names: ['held_out_accuracy', 'held_out_format_rate'],
    yRange: [0, 1],
    smooth: false,
  },
  { title: 'reward', names: ['reward_mean', 'reward_std'] },
  {
    title: 'reward parts (share of samples)',
    names: ['format_rate', 'result_rate', 'consistency_rate', 'inconsistency_rate'],
    yRange: [0, 1],
  },
  { title: 'loss', names: ['loss', 'max_token_loss'] },
  { title: 'response length (tokens)', names: ['response_length', 'response_length_max', 'held_out_length'] },
  {
    title: 'shares of the batch',
    names: ['length_capped_fraction', 'clip_fraction', 'filtered_fraction'],
    yRange: [0, 1],
  },
  { title: 'KL', names: ['policy_kl', 'ref_kl'] },
  { title: 'importance ratio', names: ['ratio_mean', 'ratio_max'] },
  {
    title: 'ratio tails (tokens)',
    names: [
      'ratio_above_1e3_pos_adv',
      'ratio_above_1e3_neg_adv',
      'ratio_below_1e-3_pos_adv',
      'ratio_below_1e-3_neg_adv',
    ],
  },
  { title: 'advantage', names: ['advantage_mean', 'advantage_std', 'advantage_min', 'advantage_max'] },
  { title: 'counts per step', names: ['referee_failures', 'fallback_choices', 'unparseable'] },
  {
    title: 'counters since the start',
    names: ['zero_spread_batches', 'non_finite_losses', 'skipped_updates', 'image_token_cuts'],
  },
  { title: 'seconds per phase', names: ['rollout_s', 'reward_s', 'logprob_s', 'update_s'] },
  { title: 'step flags (1 = yes)', names: ['frozen', 'resampled'], yRange: [0, 1] },
];

/** One chart of the run: a file-name-safe id and what it shows. */
export interface RunChart {
  id: string;
  spec: ChartSpec;
}

/** What the run's page shows: charts of the quantities that changed, and the ones that did not. */
export interface RunView {
  charts: RunChart[];
  constants: { name: string; value: number }[];
}

/** The held-out accuracy before the first update, which the RL trainer records next to the log. */
export function readInitialHeldOut(runDir: string): number | undefined {
  const path = join(runDir, 'initial-held-out.json');
  if (!existsSync(path)) return undefined;
  const accuracy = (JSON.parse(readFileSync(path, 'utf8')) as { accuracy?: unknown } | null)?.accuracy;
  return typeof accuracy === 'number' ? accuracy : undefined;
}

/**
 * Groups the logged quantities into charts ({@link CHART_GROUPS}, then one chart per other quantity),
 * with constant quantities set aside as values. `initialHeldOut` is drawn one step before the first.
 */
export function runView(rows: readonly MetricRow[], initialHeldOut?: number): RunView {
  const names = loggedQuantities(rows);
  const changing = new Map<string, Point[]>();
  const constants: RunView['constants'] = [];
  for (const name of names) {
    const points = quantityPoints(rows, name);
    const value = constantValue(points);
    if (value === undefined) changing.set(name, points);
    else constants.push({ name, value });
  }
  const firstStep = rows[0]?.step ?? 0;
  const toChart = (group: ChartGroup, members: string[]): RunChart => {
    const series: ChartSeries[] = members.map((name) => ({ name, points: changing.get(name)! }));
    const heldOut = members.includes('held_out_accuracy') && initialHeldOut !== undefined;
    // A group of which one quantity changed names it in the title (there is no legend then).
    const single = members.length === 1 && group.title !== members[0] && !heldOut;
    return {
      id: group.title === members[0] ? members[0] : slug(group.title),
      spec: {
        title: single ? `${group.title}: ${members[0]}` : group.title,
        series,
        ...(group.yRange ? { yRange: group.yRange } : {}),
        ...(group.smooth === false ? { smooth: false } : {}),
        ...(heldOut
          ? { markers: [{ name: 'accuracy before training', x: firstStep - 1, y: initialHeldOut }] }
          : {}),
      },
    };
  };
  const charts: RunChart[] = [];
  const grouped = new Set<string>();
  for (const group of CHART_GROUPS) {
    for (const name of group.names) grouped.add(name);
    const members = group.names.filter((name) => changing.has(name));
    if (members.length > 0) charts.push(toChart(group, members));
  }
  for (const name of changing.keys())
    if (!grouped.has(name)) charts.push(toChart({ title: name, names: [name] }, [name]));
  return { charts, constants };
}

const slug = (title: string) =>
  title
    .replace(/\(.*?\)/g, '')
    .trim()
    .replace(/[^\w.+-]+/g, '_');

const fmt = (x: number) =>
  x === 0
    ? '0'
    : Math.abs(x) >= 1e5 || Math.abs(x) < 1e-3
      ? x.toExponential(3)
      : Number(x.toPrecision(5)).toString();

/** A row's wall-clock time in ms (ISO string or epoch ms), or undefined. */
export function rowTime(row: MetricRow | undefined): number | undefined {
  const t = row?.['time'];
  const ms = typeof t === 'number' ? t : typeof t === 'string' ? Date.parse(t) : Number.NaN;
  return Number.isFinite(ms) ? ms : undefined;
}

/** "1 h 02 min", "3 min 05 s", "12.4 s". */
export function formatDuration(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.round(s - 60 * m)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** The headline numbers of a run as cards: steps, wall-clock time, held-out accuracy before → after. */
function summaryCards(rows: readonly MetricRow[], initialHeldOut: number | undefined): string {
  const cards: [string, string][] = [];
  const first = rows[0];
  const last = rows[rows.length - 1];
  cards.push([`${rows.length}`, `logged steps${last ? ` (${first!.step} … ${last.step})` : ''}`]);
  const [t0, t1] = [rowTime(first), rowTime(last)];
  if (t0 !== undefined && t1 !== undefined && rows.length > 1) {
    const start = new Date(t0).toISOString().slice(0, 16).replace('T', ' ');
    cards.push([formatDuration(t1 - t0), `wall clock from ${start} UTC`]);
    cards.push([`${((t1 - t0) / 1000 / (rows.length - 1)).toFixed(2)} s`, 'per step']);
  }
  let heldOut: number | undefined;
  for (let i = rows.length - 1; i >= 0 && heldOut === undefined; i--) {
    const v = rows[i]!['held_out_accuracy'];
    if (typeof v === 'number') heldOut = v;
  }
  if (heldOut !== undefined)
    cards.push([
      `${initialHeldOut === undefined ? '' : `${(100 * initialHeldOut).toFixed(1)} → `}${(100 * heldOut).toFixed(1)} %`,
      initialHeldOut === undefined ? 'held-out accuracy, last' : 'held-out accuracy, before → last',
    ]);
  return `<div class="cards">${cards
    .map(
      ([value, label]) =>
        `<div class="card"><b>${escapeHtml(value)}</b><span>${escapeHtml(label)}</span></div>`,
    )
    .join('')}</div>`;
}

/** The constant quantities as one table: name and the value it held at every step. */
export function constantsTable(constants: RunView['constants']): string {
  if (constants.length === 0) return '';
  return `<h3>Unchanged over the run (${constants.length})</h3><div class="constants">${constants
    .map(({ name, value }) => `<div><span>${escapeHtml(name)}</span><b>${fmt(value)}</b></div>`)
    .join('')}</div>`;
}

/** The charts of a view as the page's grid. */
export function chartGrid(view: RunView): string {
  return `<div class="grid">${view.charts.map((c) => renderChart(c.spec)).join('\n')}</div>`;
}

/** The HTML page for a run folder. */
export function renderReport(runDir: string): string {
  const rows = readMetrics(runDir);
  const initialHeldOut = readInitialHeldOut(runDir);
  const runJson = existsSync(join(runDir, 'run.json'))
    ? readFileSync(join(runDir, 'run.json'), 'utf8')
    : '{}';
  const view = runView(rows, initialHeldOut);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>r1-reward run ${escapeHtml(runDir)}</title>
<style>${REPORT_CSS}</style></head><body>
<h1>r1-reward run</h1><p class="meta">${escapeHtml(runDir)}</p>
${summaryCards(rows, initialHeldOut)}
<h2>Curves</h2><p class="meta">${SMOOTHING_NOTE}</p>
${chartGrid(view)}
${constantsTable(view.constants)}
<details><summary>Run record (run.json)</summary><pre>${escapeHtml(runJson)}</pre></details>
</body></html>
`;
}

/** Writes report.html into the run folder (atomically) and returns its path. */
export function writeReport(runDir: string, out = join(runDir, 'report.html')): string {
  writeFileAtomic(out, renderReport(runDir));
  return out;
}

/**
 * Writes each chart of the run as its own SVG file, `DIR/<chart>.svg` (for papers and slides), and
 * returns the paths.
 */
export function writeChartFiles(runDir: string, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const view = runView(readMetrics(runDir), readInitialHeldOut(runDir));
  return view.charts.map(({ id, spec }) => {
    const path = join(dir, `${id}.svg`);
    writeFileAtomic(path, `${renderChart(spec)}\n`);
    return path;
  });
}
