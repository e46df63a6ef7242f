// `r1-reward report RUN_DIR`: one self-contained HTML page with an inline SVG line chart per logged
// quantity of metrics.jsonl (and the run's config from run.json). Hand-written SVG: a polyline per
// series with axis labels is ~40 lines, smaller than any charting dependency that renders in Node.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write.js';

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

const escapeHtml = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

const fmt = (x: number) =>
  x === 0
    ? '0'
    : Math.abs(x) >= 1e4 || Math.abs(x) < 1e-3
      ? x.toExponential(2)
      : Number(x.toPrecision(4)).toString();

/** One line chart as an SVG string; points whose value is not finite are dropped (and counted in the title). */
export function lineChart(
  title: string,
  points: readonly [number, number][],
  width = 420,
  height = 220,
): string {
  const finite = points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const dropped = points.length - finite.length;
  const pad = { left: 56, right: 12, top: 26, bottom: 30 };
  const w = width - pad.left - pad.right;
  const h = height - pad.top - pad.bottom;
  const xs = finite.map(([x]) => x);
  const ys = finite.map(([, y]) => y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  const sx = (x: number) => pad.left + (x1 === x0 ? w / 2 : ((x - x0) / (x1 - x0)) * w);
  const sy = (y: number) => pad.top + h - ((y - y0) / (y1 - y0)) * h;
  const path = finite.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
  const label = `${escapeHtml(title)}${dropped > 0 ? ` (${dropped} non-finite)` : ''}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${label}">`,
    `<text x="${pad.left}" y="16" font-size="13" font-family="sans-serif">${label}</text>`,
    `<rect x="${pad.left}" y="${pad.top}" width="${w}" height="${h}" fill="none" stroke="#ccc"/>`,
    `<text x="${pad.left - 4}" y="${pad.top + 10}" font-size="10" text-anchor="end" font-family="sans-serif">${fmt(y1)}</text>`,
    `<text x="${pad.left - 4}" y="${pad.top + h}" font-size="10" text-anchor="end" font-family="sans-serif">${fmt(y0)}</text>`,
    `<text x="${pad.left}" y="${height - 10}" font-size="10" font-family="sans-serif">${finite.length ? fmt(x0) : ''}</text>`,
    `<text x="${pad.left + w}" y="${height - 10}" font-size="10" text-anchor="end" font-family="sans-serif">${finite.length ? `step ${fmt(x1)}` : 'no data'}</text>`,
    finite.length > 1
      ? `<polyline fill="none" stroke="#1f6feb" stroke-width="1.5" points="${path}"/>`
      : finite.map(([x, y]) => `<circle cx="${sx(x)}" cy="${sy(y)}" r="2.5" fill="#1f6feb"/>`).join(''),
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

/** The HTML page for a run folder. */
export function renderReport(runDir: string): string {
  const rows = readMetrics(runDir);
  const runJson = existsSync(join(runDir, 'run.json'))
    ? readFileSync(join(runDir, 'run.json'), 'utf8')
    : '{}';
  const charts = loggedQuantities(rows).map((name) =>
    lineChart(
      name,
      rows.filter((r) => name in r).map((r) => [r.step, Number(r[name])] as [number, number]),
    ),
  );
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
