// `r1-reward report RUN_DIR`: one self-contained HTML page with an inline SVG line chart per logged
// quantity of metrics.jsonl (and the run's config from run.json). Hand-written SVG: a polyline per
// series with axis labels is ~40 lines, smaller than any charting dependency that renders in Node.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write.js';
import { escapeHtml } from '../io/html.js';

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

const fmt = (x: number) =>
  x === 0
    ? '0'
    : Math.abs(x) >= 1e4 || Math.abs(x) < 1e-3
      ? x.toExponential(2)
      : Number(x.toPrecision(4)).toString();

/** One named line of a chart: (x, y) points. */
export interface Series {
  name: string;
  points: readonly [number, number][];
}

/** Line colours, one per series in order (the 8 arms of the ablation get 8 distinct ones). */
const COLOURS = ['#1f6feb', '#d1242f', '#1a7f37', '#8250df', '#bf8700', '#0a7d8c', '#e16f24', '#57606a'];

/** One line chart as an SVG string; points whose value is not finite are dropped (and counted in the title). */
export function lineChart(
  title: string,
  points: readonly [number, number][],
  width = 420,
  height = 220,
): string {
  return seriesChart(title, [{ name: title, points }], width, height);
}

/**
 * A chart of several lines on shared axes, with a legend when there is more than one; non-finite
 * points are dropped and counted in the title.
 */
export function seriesChart(title: string, series: readonly Series[], width = 420, height = 220): string {
  const lines = series.map((s) => ({
    name: s.name,
    finite: s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)),
  }));
  const all = lines.flatMap((l) => l.finite);
  const dropped = series.reduce((n, s) => n + s.points.length, 0) - all.length;
  const legend = series.length > 1 ? 14 * Math.ceil(series.length / 2) + 4 : 0;
  const pad = { left: 56, right: 12, top: 26, bottom: 30 + legend };
  const w = width - pad.left - pad.right;
  const h = height + legend - pad.top - pad.bottom;
  const xs = all.map(([x]) => x);
  const ys = all.map(([, y]) => y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  const sx = (x: number) => pad.left + (x1 === x0 ? w / 2 : ((x - x0) / (x1 - x0)) * w);
  const sy = (y: number) => pad.top + h - ((y - y0) / (y1 - y0)) * h;
  const label = `${escapeHtml(title)}${dropped > 0 ? ` (${dropped} non-finite)` : ''}`;
  const text = (x: number, y: number, body: string, anchor = 'start') =>
    `<text x="${x}" y="${y}" font-size="10" text-anchor="${anchor}" font-family="sans-serif">${body}</text>`;
  const plotted = lines.map(({ finite }, i) => {
    const colour = COLOURS[i % COLOURS.length];
    // Each later line dashed with its own period, so that identical runs drawn over each other still
    // show every colour.
    const dash = i === 0 ? '' : ` stroke-dasharray="${3 + i} ${2 + i}"`;
    return finite.length > 1
      ? `<polyline fill="none" stroke="${colour}" stroke-width="1.5"${dash} points="${finite.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/>`
      : finite.map(([x, y]) => `<circle cx="${sx(x)}" cy="${sy(y)}" r="2.5" fill="${colour}"/>`).join('');
  });
  const legendItems =
    series.length > 1
      ? lines.map(({ name }, i) => {
          const x = pad.left + (i % 2) * (w / 2);
          const y = height + 6 + 14 * Math.floor(i / 2);
          return `<rect x="${x}" y="${y - 8}" width="10" height="3" fill="${COLOURS[i % COLOURS.length]}"/>${text(x + 14, y, escapeHtml(name))}`;
        })
      : [];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + legend}" viewBox="0 0 ${width} ${height + legend}" role="img" aria-label="${label}">`,
    `<text x="${pad.left}" y="16" font-size="13" font-family="sans-serif">${label}</text>`,
    `<rect x="${pad.left}" y="${pad.top}" width="${w}" height="${h}" fill="none" stroke="#ccc"/>`,
    text(pad.left - 4, pad.top + 10, fmt(y1), 'end'),
    text(pad.left - 4, pad.top + h, fmt(y0), 'end'),
    text(pad.left, pad.top + h + 20, all.length ? fmt(x0) : ''),
    text(pad.left + w, pad.top + h + 20, all.length ? `step ${fmt(x1)}` : 'no data', 'end'),
    ...plotted,
    ...legendItems,
    '</svg>',
  ].join('');
}

/** Every numeric (or boolean) quantity that appears in the log, in first-seen order. */
export function loggedQuantities(rows: readonly MetricRow[]): string[] {
  const names: string[] = [];
  for (const row of rows)
    for (const [key, value] of Object.entries(row))
      if (key !== 'step' && (typeof value === 'number' || typeof value === 'boolean') && !names.includes(key))
        names.push(key);
  return names;
}

/** The chart of one logged quantity against the step, over the rows that logged it. */
export function quantityChart(
  rows: readonly MetricRow[],
  name: string,
  width?: number,
  height?: number,
): string {
  const points = rows.filter((r) => name in r).map((r) => [r.step, Number(r[name])] as [number, number]);
  return lineChart(name, points, width, height);
}

/** Every logged quantity's chart: [quantity, SVG], in first-logged order. */
export function runCharts(rows: readonly MetricRow[]): [string, string][] {
  return loggedQuantities(rows).map((name) => [name, quantityChart(rows, name)]);
}

/** The HTML page for a run folder. */
export function renderReport(runDir: string): string {
  const rows = readMetrics(runDir);
  const runJson = existsSync(join(runDir, 'run.json'))
    ? readFileSync(join(runDir, 'run.json'), 'utf8')
    : '{}';
  const charts = runCharts(rows).map(([, svg]) => svg);
  const last = rows[rows.length - 1];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>r1-reward run ${escapeHtml(runDir)}</title>
<style>body{font-family:sans-serif;margin:24px;color:#222}.grid{display:flex;flex-wrap:wrap;gap:12px}
pre{background:#f6f8fa;padding:12px;overflow:auto;max-height:320px}</style></head><body>
<h1>r1-reward run</h1><p>${escapeHtml(runDir)} — ${rows.length} logged steps${last ? `, last step ${last.step}` : ''}.</p>
<div class="grid">${charts.join('\n')}</div>
<h2>Run record</h2><pre>${escapeHtml(runJson)}</pre>
</body></html>
`;
}

/** Writes report.html into the run folder (atomically) and returns its path. */
export function writeReport(runDir: string, out = join(runDir, 'report.html')): string {
  writeFileAtomic(out, renderReport(runDir));
  return out;
}

/**
 * Writes each chart of the run as its own SVG file, `DIR/<quantity>.svg` (for papers and slides), and
 * returns the paths.
 */
export function writeChartFiles(runDir: string, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  return runCharts(readMetrics(runDir)).map(([name, svg]) => {
    const path = join(dir, `${name.replace(/[^\w.+-]+/g, '_')}.svg`);
    writeFileAtomic(path, `${svg}\n`);
    return path;
  });
}
