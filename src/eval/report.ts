// report.md and a self-contained report.html (no scripts, no external files; the Voting@K curve is
// inline SVG) from a run's metrics, with the paper's numbers beside ours.

import { escapeHtml } from '../io/html.js';
import { PAPER_RESULTS, type PaperRow } from './paper.js';
import type { Metrics, ScoreDetails } from './score.js';

/** Where a report's numbers came from: the run folder and the run's settings, shown at the top. */
export interface ReportContext {
  runDir: string;
  /** run.json's config and settings, shown as the run's description. */
  description: Record<string, unknown>;
}

const pct = (x: number | null | undefined): string => (x == null ? '–' : `${(100 * x).toFixed(2)}`);
const num = (x: number | undefined): string => (x == null ? '–' : x.toFixed(2));

interface Table {
  head: string[];
  rows: string[][];
}

/** The report's content once, rendered to Markdown and to HTML. */
function sections(
  metrics: Metrics,
  details: ScoreDetails,
): { title: string; text?: string; table?: Table }[] {
  const paper: PaperRow | undefined = PAPER_RESULTS[metrics.benchmark];
  // Category numbers made on another split are not shown beside ours.
  const splitMatches =
    paper?.categoriesProtocol === undefined || paper.categoriesProtocol === metrics.protocol;
  const paperCategories = splitMatches ? paper?.categories : undefined;
  const kMax = metrics.k;
  const headline: Table = {
    head: ['metric', 'ours (%)', 'paper, 1 sample (%)', 'paper, Voting@15 (%)'],
    rows: [
      ['Overall', pct(metrics.overall), num(paper?.overall), num(paper?.votingAt15)],
      [`Voting@${kMax}`, pct(metrics.votingAtK[kMax]), '', ''],
    ],
  };
  if (metrics.macro !== null)
    headline.rows.push(['Macro', pct(metrics.macro), num(splitMatches ? paper?.macro : undefined), '']);
  if (metrics.accPlus !== null)
    headline.rows.push(['Acc+', pct(metrics.accPlus), num(paper?.accPlus), num(paper?.accPlusVotingAt15)]);

  const categories: Table = {
    head: ['category', 'items', 'correct', 'accuracy (%)', 'paper (%)'],
    rows: Object.entries(metrics.categories).map(([name, c]) => [
      name,
      String(c.items),
      String(details.categoryCorrect[name] ?? 0),
      pct(c.accuracy),
      num(paperCategories?.[name]),
    ]),
  };
  const curve: Table = {
    head: ['K', 'Voting@K (%)', 'Any@K (%)'],
    rows: Object.keys(metrics.votingAtK).map((K) => [K, pct(metrics.votingAtK[K]), pct(metrics.anyAtK[K])]),
  };
  const b = details.positionBias;
  const bias: Table = {
    head: ['statistic', 'value'],
    rows: [
      [
        'parsed samples answering "1"',
        `${b.answeredOne} / ${b.parsed} (${pct(b.parsed ? b.answeredOne / b.parsed : null)} %)`,
      ],
      [
        'sample accuracy, preferred shown first',
        `${b.shownFirst.correct} / ${b.shownFirst.parsed} (${pct(b.shownFirst.parsed ? b.shownFirst.correct / b.shownFirst.parsed : null)} %)`,
      ],
      [
        'sample accuracy, preferred shown second',
        `${b.shownSecond.correct} / ${b.shownSecond.parsed} (${pct(b.shownSecond.parsed ? b.shownSecond.correct / b.shownSecond.parsed : null)} %)`,
      ],
    ],
  };
  const pc = metrics.positionConsistency;
  if (pc)
    bias.rows.push(
      ['position consistency (order both)', `${pc.consistent} / ${pc.compared} (${pct(pc.rate)} %)`],
      ['disagreements between orders', String(pc.disagreements)],
    );
  const parsing: Table = {
    head: ['samples', 'count', 'rate (%)'],
    rows: [
      ['unparseable', String(metrics.unparseable.count), pct(metrics.unparseable.rate)],
      [
        'parsed by the last-digit fallback',
        String(metrics.fallbackParsed.count),
        pct(metrics.fallbackParsed.rate),
      ],
      ['all samples scored', String(metrics.unparseable.samples), ''],
    ],
  };
  const counted =
    `${metrics.items} items judged; ${details.counted} in the denominator` +
    (details.dropped > 0 ? `, ${details.dropped} left out (no majority of the calls)` : '') +
    (details.accPlusGroups
      ? `; Acc+ over ${details.accPlusGroups.total} question ids, ${details.accPlusGroups.correct} fully correct`
      : '');
  return [
    { title: 'Headline', text: counted, table: headline },
    ...(paper ? [{ title: 'About the paper numbers', text: paper.note }] : []),
    { title: 'Categories', table: categories },
    { title: 'Voting@K and Any@K', table: curve },
    { title: 'Position bias', table: bias },
    { title: 'Parsing', table: parsing },
  ];
}

function title(metrics: Metrics): string {
  return `R1-Reward judge on ${metrics.benchmark} (${metrics.protocol} protocol, order ${metrics.order}, k = ${metrics.k})`;
}

/**
 * The run's report as Markdown: accuracy, categories, Acc+, Voting@K / Any@K, position bias and the paper's
 * numbers beside ours.
 */
export function renderMarkdown(metrics: Metrics, details: ScoreDetails, context: ReportContext): string {
  const out = [`# ${title(metrics)}`, '', `Run directory: \`${context.runDir}\``, ''];
  out.push('```json', JSON.stringify(context.description, null, 2), '```', '');
  for (const s of sections(metrics, details)) {
    out.push(`## ${s.title}`, '');
    if (s.text) out.push(s.text, '');
    if (s.table) {
      out.push(`| ${s.table.head.join(' | ')} |`, `| ${s.table.head.map(() => '---').join(' | ')} |`);
      for (const row of s.table.rows) out.push(`| ${row.join(' | ')} |`);
      out.push('');
    }
  }
  return out.join('\n');
}

/** Voting@K and Any@K against K as an inline SVG line chart, with the paper's numbers as dashed lines. */
export function votingCurveSvg(metrics: Metrics): string {
  const W = 560;
  const H = 280;
  const left = 48;
  const right = 150;
  const top = 16;
  const bottom = 36;
  const ks = Object.keys(metrics.votingAtK).map(Number);
  const paper = PAPER_RESULTS[metrics.benchmark];
  const series = [
    // Any@K first, so Voting@K is drawn on top where they coincide.
    { name: 'Any@K', color: '#999999', values: ks.map((K) => metrics.anyAtK[K] ?? null) },
    { name: 'Voting@K', color: '#1f5fbf', values: ks.map((K) => metrics.votingAtK[K] ?? null) },
  ];
  const refs = paper
    ? [
        { name: 'paper, 1 sample', value: paper.overall / 100 },
        { name: 'paper, Voting@15', value: paper.votingAt15 / 100 },
      ]
    : [];
  const all = [...series.flatMap((s) => s.values), ...refs.map((r) => r.value)].filter(
    (v): v is number => v !== null,
  );
  const lo = Math.max(0, Math.floor((Math.min(...all, 1) - 0.05) * 10) / 10);
  const hi = 1;
  const x = (K: number) =>
    left + (ks.length > 1 ? ((K - 1) / (ks.length - 1)) * (W - left - right) : (W - left - right) / 2);
  const y = (v: number) => top + (1 - (v - lo) / (hi - lo)) * (H - top - bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="Voting@K curve">`,
    `<line x1="${left}" y1="${H - bottom}" x2="${W - right}" y2="${H - bottom}" stroke="#333"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${H - bottom}" stroke="#333"/>`,
  ];
  for (let t = lo; t <= hi + 1e-9; t += 0.1) {
    parts.push(
      `<text x="${left - 6}" y="${y(t) + 4}" font-size="11" text-anchor="end">${Math.round(t * 100)}</text>`,
      `<line x1="${left}" y1="${y(t)}" x2="${W - right}" y2="${y(t)}" stroke="#eee"/>`,
    );
  }
  for (const K of ks)
    parts.push(`<text x="${x(K)}" y="${H - bottom + 16}" font-size="11" text-anchor="middle">${K}</text>`);
  parts.push(
    `<text x="${(left + W - right) / 2}" y="${H - 4}" font-size="12" text-anchor="middle">K (samples)</text>`,
  );
  refs.forEach((r, i) => {
    parts.push(
      `<line x1="${left}" y1="${y(r.value)}" x2="${W - right}" y2="${y(r.value)}" stroke="#c0392b" stroke-dasharray="${i === 0 ? '4 3' : '8 3'}"/>`,
      `<text x="${W - right + 6}" y="${y(r.value) + 4}" font-size="11" fill="#c0392b">${escapeHtml(r.name)} ${(100 * r.value).toFixed(2)}</text>`,
    );
  });
  series.forEach((s, i) => {
    const points = ks.flatMap((K, j) => (s.values[j] == null ? [] : [`${x(K)},${y(s.values[j]!)}`]));
    parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${points.join(' ')}"/>`);
    for (const p of points) {
      const [px, py] = p.split(',');
      parts.push(`<circle cx="${px}" cy="${py}" r="3" fill="${s.color}"/>`);
    }
    parts.push(
      `<text x="${W - right + 6}" y="${top + 14 + 16 * i}" font-size="12" fill="${s.color}">${s.name}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** The same report as {@link renderMarkdown}, as a self-contained HTML page with a Voting@K chart. */
export function renderHtml(metrics: Metrics, details: ScoreDetails, context: ReportContext): string {
  const body: string[] = [
    `<h1>${escapeHtml(title(metrics))}</h1>`,
    `<p>Run directory: <code>${escapeHtml(context.runDir)}</code></p>`,
    `<details><summary>Run settings</summary><pre>${escapeHtml(JSON.stringify(context.description, null, 2))}</pre></details>`,
  ];
  for (const s of sections(metrics, details)) {
    body.push(`<h2>${escapeHtml(s.title)}</h2>`);
    if (s.text) body.push(`<p>${escapeHtml(s.text)}</p>`);
    if (s.table) {
      body.push('<table>', `<tr>${s.table.head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`);
      for (const row of s.table.rows)
        body.push(`<tr>${row.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`);
      body.push('</table>');
    }
    if (s.title === 'Voting@K and Any@K') body.push(`<figure>${votingCurveSvg(metrics)}</figure>`);
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title(metrics))}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
pre { background: #f6f6f6; padding: 0.5rem; overflow-x: auto; }
</style></head>
<body>
${body.join('\n')}
</body></html>
`;
}
