// report.md and a self-contained report.html (no scripts, no external files; the Voting@K curve is
// inline SVG drawn by src/io/charts.ts) from a run's metrics, with the paper's numbers beside ours.

import { renderChart } from '../io/charts.js';
import { escapeHtml, REPORT_CSS } from '../io/html.js';
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

/** Voting@K and Any@K against K as an inline SVG chart, with the paper's numbers as dashed lines. */
export function votingCurveSvg(metrics: Metrics): string {
  const ks = Object.keys(metrics.votingAtK)
    .map(Number)
    .sort((a, b) => a - b);
  const paper = PAPER_RESULTS[metrics.benchmark];
  const curve = (values: Record<string, number | null | undefined>) =>
    ks.flatMap((K) => {
      const v = values[K];
      return v == null ? [] : [[K, 100 * v] as const];
    });
  const all = [
    ...Object.values(metrics.votingAtK),
    ...Object.values(metrics.anyAtK),
    ...(paper ? [paper.overall / 100, paper.votingAt15 / 100] : []),
  ].filter((v): v is number => typeof v === 'number');
  // From 5 points below the lowest value, in steps of 10, up to 100 %.
  const low = Math.max(0, Math.floor((all.reduce((m, v) => Math.min(m, v), 1) - 0.05) * 10) * 10);
  return renderChart({
    title: 'Voting@K curve',
    series: [
      { name: 'Voting@K', points: curve(metrics.votingAtK) },
      { name: 'Any@K', points: curve(metrics.anyAtK) },
    ],
    smooth: false,
    categoryX: true,
    xName: 'K (samples)',
    yRange: [low, 100],
    references: paper
      ? [
          { name: 'paper, 1 sample', value: paper.overall },
          { name: 'paper, Voting@15', value: paper.votingAt15 },
        ]
      : [],
    width: 640,
    height: 340,
  });
}

/** The headline numbers as cards above the sections: each a value and what it is. */
function headlineCards(metrics: Metrics): string {
  const cards: [string, string][] = [[`${pct(metrics.overall)} %`, 'Overall accuracy']];
  const votes = metrics.votingAtK[metrics.k];
  if (metrics.k > 1 && votes != null) cards.push([`${pct(votes)} %`, `Voting@${metrics.k}`]);
  if (metrics.macro !== null) cards.push([`${pct(metrics.macro)} %`, 'Macro (mean of the categories)']);
  if (metrics.accPlus !== null)
    cards.push([`${pct(metrics.accPlus)} %`, 'Acc+ (every pair of a question right)']);
  if (metrics.positionConsistency)
    cards.push([`${pct(metrics.positionConsistency.rate)} %`, 'position consistency']);
  cards.push([`${pct(metrics.unparseable.rate)} %`, 'unparseable samples']);
  cards.push([String(metrics.items), 'items judged']);
  return `<div class="cards">${cards
    .map(
      ([value, label]) =>
        `<div class="card"><b>${escapeHtml(value)}</b><span>${escapeHtml(label)}</span></div>`,
    )
    .join('')}</div>`;
}

function htmlTable(table: Table): string {
  const head = `<tr>${table.head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  const rows = table.rows.map((row) => `<tr>${row.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`);
  return `<table>${head}${rows.join('')}</table>`;
}

/**
 * The same report as {@link renderMarkdown}, as a self-contained HTML page: the headline numbers as
 * cards, then the sections side by side as the page's width allows, the Voting@K curve beside its table.
 */
export function renderHtml(metrics: Metrics, details: ScoreDetails, context: ReportContext): string {
  const cards = sections(metrics, details).map((s) => {
    const voting = s.title === 'Voting@K and Any@K';
    const content = [s.text ? `<p>${escapeHtml(s.text)}</p>` : '', s.table ? htmlTable(s.table) : ''].join(
      '',
    );
    return voting
      ? `<section class="wide"><h2>${escapeHtml(s.title)}</h2><div class="side">${content}<figure>${votingCurveSvg(metrics)}</figure></div></section>`
      : `<section><h2>${escapeHtml(s.title)}</h2>${content}</section>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title(metrics))}</title>
<style>${REPORT_CSS}
.sections{display:grid;grid-template-columns:repeat(auto-fill,minmax(460px,1fr));gap:16px;align-items:start}
section{border:1px solid #d8dee4;border-radius:6px;padding:4px 16px 12px}section h2{border:none;margin:10px 0 6px}
section.wide{grid-column:1/-1}.side{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
figure{margin:0;flex:1 1 480px;max-width:720px}figure svg{width:100%;height:auto;border:1px solid #d8dee4;border-radius:6px}
section p{color:#57606a;margin:4px 0 8px}</style></head>
<body>
<h1>${escapeHtml(title(metrics))}</h1>
<p class="meta">Run directory: <code>${escapeHtml(context.runDir)}</code></p>
${headlineCards(metrics)}
<div class="sections">
${cards.join('\n')}
</div>
<details><summary>Run settings</summary><pre>${escapeHtml(JSON.stringify(context.description, null, 2))}</pre></details>
</body></html>
`;
}
