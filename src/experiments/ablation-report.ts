// OUT/ablation.html: the ablation's table (laid out like the paper's Table 6) and its curves. Per
// setting, one chart per quantity with a line per arm: the mean over that arm's finished seeds at
// each step the seeds share. Rebuilt with ablation.md after every finished run.
import { type ChartSeries, renderChart, SMOOTHING_NOTE } from '../io/charts.js';
import { escapeHtml, REPORT_CSS } from '../io/html.js';
import type { MetricRow } from '../train/report.js';

/** The quantities charted per setting, in order; a quantity no run logged is left out. */
export const ABLATION_CURVES = [
  'held_out_accuracy',
  'reward_mean',
  'result_rate',
  'response_length',
  'length_capped_fraction',
  'policy_kl',
  'clip_fraction',
  'ratio_max',
  'ratio_below_1e-3',
  'zero_spread_batches',
] as const;

/** The curves that are shares or accuracies, drawn on a fixed 0–1 axis. */
const RATES = new Set(['held_out_accuracy', 'result_rate', 'length_capped_fraction', 'clip_fraction']);

/** A quantity of a logged step; `ratio_below_1e-3` is the sum of its two advantage-sign halves. */
function value(row: MetricRow, name: string): number | undefined {
  if (name === 'ratio_below_1e-3') {
    const pos = row['ratio_below_1e-3_pos_adv'];
    const neg = row['ratio_below_1e-3_neg_adv'];
    return typeof pos === 'number' && typeof neg === 'number' ? pos + neg : undefined;
  }
  const v = row[name];
  return typeof v === 'number' ? v : undefined;
}

/** The mean over runs at every step that all runs logged (held-out accuracy exists only at eval steps). */
export function meanCurve(runs: readonly (readonly MetricRow[])[], name: string): [number, number][] {
  const perRun = runs.map((rows) => {
    const byStep = new Map<number, number>();
    for (const row of rows) {
      const v = value(row, name);
      if (v !== undefined) byStep.set(row.step, v);
    }
    return byStep;
  });
  if (perRun.length === 0) return [];
  const steps = [...perRun[0]!.keys()].filter((step) => perRun.every((m) => m.has(step)));
  return steps
    .sort((a, b) => a - b)
    .map((step) => [step, perRun.reduce((s, m) => s + m.get(step)!, 0) / perRun.length]);
}

/** One setting's finished runs per arm (arm name → each seed's logged steps). */
export type SettingRuns = Map<string, MetricRow[][]>;

/** The HTML page: the Markdown table in a <pre>, then per setting a grid of per-arm curves. */
export function renderAblationPage(markdown: string, settings: ReadonlyMap<string, SettingRuns>): string {
  const sections = [...settings].map(([setting, arms]) => {
    const charts = ABLATION_CURVES.map((name) => {
      const series: ChartSeries[] = [...arms].map(([arm, runs]) => ({
        name: `${arm} (${runs.length})`,
        points: meanCurve(runs, name),
      }));
      if (!series.some((s) => s.points.length > 0)) return '';
      return renderChart({
        title: name,
        series,
        height: 320,
        ...(RATES.has(name) ? { yRange: [0, 1] as const } : {}),
        // Held-out accuracy is measured every few steps: its points are drawn as they are.
        ...(name === 'held_out_accuracy' ? { smooth: false } : {}),
      });
    }).filter((svg) => svg !== '');
    return `<h2>${escapeHtml(setting)}</h2>
<p class="meta">Mean over each arm's finished seeds (their number in brackets), at the steps all of them logged.</p>
<div class="grid">${charts.join('\n')}</div>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>r1-reward ablation</title>
<style>${REPORT_CSS}</style></head><body>
<h1>StableReinforce ablation</h1>
<pre>${escapeHtml(markdown)}</pre>
<p class="meta">${SMOOTHING_NOTE}</p>
${sections.join('\n')}
</body></html>
`;
}
