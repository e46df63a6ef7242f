// The downstream experiment's tables (Markdown), summary (JSON) and page (HTML with a chart per
// judge: true accuracy of the picked answer against N, one line per selector).
import { mean } from '../../algo/stats.js';
import { writeFileAtomic, writeJsonAtomic } from '../../io/atomic-write.js';
import { type ChartSeries, renderChart } from '../../io/charts.js';
import { escapeHtml, REPORT_CSS } from '../../io/html.js';
import { baselinePicks } from './best-of-n.js';
import {
  type PolicyExperimentConfig,
  type PolicyExperimentData,
  policyExperimentPaths,
} from './experiment.js';

/** One selector's true accuracy (and judge cost) at each N. */
export interface SelectorRow {
  selector: string;
  /** Per N: share of questions whose picked answer is true. */
  accuracy: Record<number, number>;
  /** Judge selectors: mean judge requests per question at each N. */
  requests?: Record<number, number>;
}

/** The numbers of the experiment. */
export interface PolicyExperimentSummary {
  questions: number;
  /** The N of best-of-N, ascending: the keys of every per-N record below. */
  ns: number[];
  samplesPerQuestion: number;
  /** The policy alone: share of all samples that are true / unparseable, at the sampling temperature. */
  policy: { accuracy: number; unparseable: number; temperature: number };
  /** Mean distinct answers among the first N samples. */
  distinct: Record<number, number>;
  baselines: SelectorRow[];
  /** Per judge: one row per scheme, over the questions that judge has picked for. */
  judges: Record<string, { questions: number; rows: SelectorRow[] }>;
}

/** Aggregates the samples and picks read back from the experiment's files. */
export function summarizePolicyExperiment(
  config: PolicyExperimentConfig,
  data: PolicyExperimentData,
): PolicyExperimentSummary {
  const { samples } = data;
  const all = samples.flatMap((q) => q.answers);
  const perN = (f: (n: number) => number) => Object.fromEntries(config.ns.map((n) => [n, f(n)]));
  const baselines: SelectorRow[] = (['chance', 'majority', 'oracle'] as const).map((selector) => ({
    selector,
    accuracy: perN((n) => mean(samples.map((q) => baselinePicks(q.answers, n)[selector]))),
  }));
  const judges: PolicyExperimentSummary['judges'] = {};
  for (const [name, lines] of data.picks) {
    const rows = config.schemes.map((scheme) => {
      const at = (n: number) => lines.flatMap((l) => l.picks.filter((p) => p.scheme === scheme && p.n === n));
      return {
        selector: `judge: ${scheme}`,
        accuracy: perN((n) => mean(at(n).map((p) => (p.correct ? 1 : 0)))),
        requests: perN((n) => mean(at(n).map((p) => p.requests))),
      };
    });
    judges[name] = { questions: lines.length, rows };
  }
  return {
    questions: samples.length,
    ns: [...config.ns],
    samplesPerQuestion: config.ns.at(-1)!,
    policy: {
      accuracy: mean(all.map((a) => (a.correct ? 1 : 0))),
      unparseable: mean(all.map((a) => (a.parsed ? 0 : 1))),
      temperature: config.sampling.temperature,
    },
    distinct: perN((n) => mean(samples.map((q) => new Set(q.answers.slice(0, n).map((a) => a.text)).size))),
    baselines,
    judges,
  };
}

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : '–');
const num = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '–');

/** The Markdown tables: per judge, true accuracy of the pick at each N and the judge's requests. */
export function policyExperimentMarkdown(config: PolicyExperimentConfig, s: PolicyExperimentSummary): string {
  const head = `| selector | ${config.ns.map((n) => `N=${n}`).join(' | ')} |\n|---|${config.ns.map(() => '---:').join('|')}|`;
  const row = (r: SelectorRow, f: (x: number) => string, values: Record<number, number>) =>
    `| ${r.selector} | ${config.ns.map((n) => f(values[n]!)).join(' | ')} |`;
  const out = [
    '# Best-of-N against the truth',
    '',
    `${s.questions} held-out questions (${config.task.kinds.join(', ')}), ${s.samplesPerQuestion} policy samples each at temperature ${s.policy.temperature}.`,
    `Policy alone: ${pct(s.policy.accuracy)} of samples true, ${pct(s.policy.unparseable)} unparseable.`,
    `Distinct answers among the first N: ${config.ns.map((n) => `N=${n}: ${num(s.distinct[n]!)}`).join(', ')}.`,
    '',
  ];
  for (const [name, judge] of Object.entries(s.judges)) {
    out.push(
      `## Judge \`${name}\` (${judge.questions} questions picked)`,
      '',
      'True accuracy of the picked answer:',
      '',
      head,
    );
    for (const r of [...s.baselines, ...judge.rows]) out.push(row(r, pct, r.accuracy));
    out.push('', 'Judge requests per question (comparisons × orders, over the distinct answers):', '', head);
    for (const r of judge.rows) out.push(row(r, num, r.requests!));
    out.push('');
  }
  if (Object.keys(s.judges).length === 0) {
    out.push('True accuracy of the picked answer (no judge given):', '', head);
    for (const r of s.baselines) out.push(row(r, pct, r.accuracy));
    out.push('');
  }
  return out.join('\n');
}

/** One chart: the true accuracy of each selector's pick against N. */
export function bestOfNChart(ns: readonly number[], title: string, rows: readonly SelectorRow[]): string {
  const line = (r: SelectorRow): ChartSeries => ({
    name: r.selector,
    points: ns.map((n) => [n, r.accuracy[n]!] as [number, number]),
  });
  return renderChart({
    title,
    series: rows.map(line),
    xName: 'N',
    categoryX: true,
    smooth: false,
    yRange: [0, 1],
  });
}

/**
 * HTML tables of the selectors' true accuracy at each N and, for the judge rows, their requests per
 * question; each cell carries `data-key="<selector>@<N>"` (`requests: …` for the second table).
 */
export function bestOfNTable(ns: readonly number[], rows: readonly SelectorRow[]): string {
  const table = (
    title: string,
    body: readonly SelectorRow[],
    key: string,
    value: (r: SelectorRow, n: number) => string,
  ) =>
    `<table class="nums"><tr><th>${title}</th>${ns.map((n) => `<th>N = ${n}</th>`).join('')}</tr>${body
      .map(
        (r) =>
          `<tr><th>${escapeHtml(r.selector)}</th>${ns
            .map((n) => `<td data-key="${escapeHtml(`${key}${r.selector}@${n}`)}">${value(r, n)}</td>`)
            .join('')}</tr>`,
      )
      .join('')}</table>`;
  const judged = rows.filter((r) => r.requests);
  return `${table('true accuracy of the pick', rows, '', (r, n) => pct(r.accuracy[n]!))}
${judged.length ? table('judge requests per question', judged, 'requests: ', (r, n) => num(r.requests![n]!)) : ''}`;
}

/** The HTML page: per judge, its chart beside its tables; the Markdown at the end. */
export function policyExperimentPage(
  config: PolicyExperimentConfig,
  s: PolicyExperimentSummary,
  markdown: string,
): string {
  const section = (title: string, rows: readonly SelectorRow[]) => `<h2>${escapeHtml(title)}</h2>
<div class="side">${bestOfNChart(config.ns, 'true accuracy of the pick vs N', rows)}<div>${bestOfNTable(config.ns, rows)}</div></div>`;
  const judges = Object.entries(s.judges).map(([name, judge]) =>
    section(`Judge ${name} (${judge.questions} questions picked)`, [...s.baselines, ...judge.rows]),
  );
  if (judges.length === 0) judges.push(section('Without a judge', s.baselines));
  const distinct = config.ns.map((n) => `${num(s.distinct[n]!)} (N = ${n})`).join(', ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>r1-reward downstream: best-of-N</title>
<style>${REPORT_CSS}</style></head><body>
<h1>Best-of-N against the truth</h1>
<p class="meta">${s.questions} held-out questions (${escapeHtml(config.task.kinds.join(', '))}), ${s.samplesPerQuestion} policy samples
each at temperature ${s.policy.temperature}. The policy alone: ${pct(s.policy.accuracy)} of its samples true,
${pct(s.policy.unparseable)} unparseable; distinct answers among the first N: ${distinct}. Chance is a uniform pick,
majority the most frequent answer, the oracle any true answer among the N; each judge scheme ranks the distinct
answers in ${escapeHtml(config.judging.order === 'both' ? 'both orders' : 'one random order')}.</p>
${judges.join('\n')}
<details><summary>The same as Markdown (best-of-n.md)</summary><pre>${escapeHtml(markdown)}</pre></details>
</body></html>
`;
}

/** Writes best-of-n.md, summary.json and report.html; returns the Markdown. */
export function writePolicyExperimentReport(
  config: PolicyExperimentConfig,
  data: PolicyExperimentData,
): string {
  const paths = policyExperimentPaths(config.outDir);
  const summary = summarizePolicyExperiment(config, data);
  const markdown = policyExperimentMarkdown(config, summary);
  writeFileAtomic(paths.markdown, markdown);
  writeJsonAtomic(paths.summary, summary);
  writeFileAtomic(paths.report, policyExperimentPage(config, summary, markdown));
  return markdown;
}
