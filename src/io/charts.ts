// Line charts for the HTML reports (run, ablation, benchmark, demo), drawn by Apache ECharts'
// server-side SVG renderer: a static <svg> string with axes, ticks and gridlines, embedded in a page
// that needs no script and no network. Long logs are smoothed and downsampled here, so a
// million-step run draws as a few thousand points and the page stays small.
import { LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkLineComponent, TitleComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { escapeHtml } from './html.js';

echarts.use([LineChart, GridComponent, LegendComponent, MarkLineComponent, TitleComponent, SVGRenderer]);

export type Point = readonly [number, number];

/** One named line of a chart: (x, y) points in x order. */
export interface ChartSeries {
  name: string;
  points: readonly Point[];
}

/** What one chart shows. Only `title` and `series` are required. */
export interface ChartSpec {
  title: string;
  series: readonly ChartSeries[];
  /** The x axis' name (default "step"). */
  xName?: string;
  /** Draw each series raw and faint behind its {@link ema} (default true; off for sparse series). */
  smooth?: boolean;
  /** A fixed y range (rates and accuracies: [0, 1]); by default the data's range with nice ticks. */
  yRange?: readonly [number, number];
  /** Horizontal dashed reference lines (the paper's numbers). */
  references?: readonly { name: string; value: number }[];
  /** Single marked points drawn as a distinct symbol with a legend entry (the accuracy before training). */
  markers?: readonly { name: string; x: number; y: number }[];
  /** Treat x values as labels (K = 1, 3, 5 …) rather than a continuous axis. */
  categoryX?: boolean;
  width?: number;
  height?: number;
}

/** What a reader needs to read the curves: smoothing and downsampling, once per page. */
export const SMOOTHING_NOTE =
  'Faint lines are the logged values; the solid line is their exponential moving average with a span of 10 % of the run (bias-corrected, as TensorBoard smooths). Runs longer than 1000 steps are drawn from each stretch’s lowest and highest value, so spikes stay visible.';

/** Lines drawn per series at most: the raw series keeps each bucket's min and max, so spikes survive. */
export const MAX_DRAWN_POINTS = 1000;

/** Series colours in order (8 distinct ones, the ablation's arms). */
export const COLOURS = [
  '#1f6feb',
  '#d1242f',
  '#1a7f37',
  '#8250df',
  '#bf8700',
  '#0a7d8c',
  '#e16f24',
  '#57606a',
];

/** Reference-line colours (the paper's numbers), apart from the series colours. */
const REFERENCE_COLOURS = ['#57606a', '#953800', '#bf8700'];

/**
 * The smoothing span for a series of n points: 10 % of the series (at least 1, no smoothing). A span
 * relative to the length smooths a 40-step run and a million-step run alike.
 */
export const smoothingSpan = (n: number): number => Math.max(1, Math.round(n / 10));

/**
 * Exponential moving average with span s (α = 2 / (s + 1)), bias-corrected as in TensorBoard and Adam:
 * m_t = (1 − α)·m_{t−1} + α·x_t from m = 0, divided by 1 − (1 − α)^t, so the first points are not
 * pulled towards zero and a constant series stays constant.
 */
export function ema(values: ArrayLike<number>, span: number): Float64Array {
  const alpha = 2 / (span + 1);
  const out = new Float64Array(values.length);
  let m = 0;
  let decay = 1;
  for (let i = 0; i < values.length; i++) {
    m = (1 - alpha) * m + alpha * values[i]!;
    decay *= 1 - alpha;
    out[i] = m / (1 - decay);
  }
  return out;
}

/**
 * At most 2·buckets points of a long series: per bucket of consecutive points its lowest and its
 * highest point, in x order, so the drawn envelope keeps every spike. Short series come back whole.
 */
export function downsampleMinMax(points: readonly Point[], buckets = MAX_DRAWN_POINTS / 2): Point[] {
  if (points.length <= 2 * buckets) return [...points];
  const out: Point[] = [];
  const size = points.length / buckets;
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor(b * size);
    const end = Math.floor((b + 1) * size);
    let lo = start;
    let hi = start;
    for (let i = start + 1; i < end; i++) {
      if (points[i]![1] < points[lo]![1]) lo = i;
      if (points[i]![1] > points[hi]![1]) hi = i;
    }
    if (lo === hi) out.push(points[lo]!);
    else out.push(points[Math.min(lo, hi)]!, points[Math.max(lo, hi)]!);
  }
  return out;
}

/** The indices of every k-th of n points and the last one: at most `limit` + 1 of them. */
export function thinIndices(n: number, limit = MAX_DRAWN_POINTS): number[] {
  const stride = Math.max(1, Math.ceil(n / limit));
  const out: number[] = [];
  for (let i = 0; i < n; i += stride) out.push(i);
  if (n > 0 && out[out.length - 1] !== n - 1) out.push(n - 1);
  return out;
}

function finitePoints(points: readonly Point[]): readonly Point[] {
  for (const [x, y] of points)
    if (!Number.isFinite(x) || !Number.isFinite(y)) return points.filter(isFinitePoint);
  return points;
}
const isFinitePoint = ([x, y]: Point) => Number.isFinite(x) && Number.isFinite(y);

const TICK_FORMAT = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 7 });

/** A y tick: plain for ordinary magnitudes, 3e-9 / 1.2e+6 for tiny and huge ones, never 0.000000003. */
export function tickLabel(value: number): string {
  const magnitude = Math.abs(value);
  if (value === 0 || (magnitude >= 1e-3 && magnitude < 1e6)) return TICK_FORMAT.format(value);
  return value.toExponential(1).replace(/\.0e/, 'e');
}

/** Fewest points a series needs before smoothing it says more than the raw line. */
const SMOOTH_FROM = 8;

/**
 * Whether smoothing helps: not for a monotone series (a counter, a cumulative sum) nor for a smooth
 * one (a learning-rate schedule), where the EMA would only lag. Noise is the mean distance of a point
 * from the midpoint of its neighbours, against the series' range.
 */
export function isNoisy(points: readonly Point[]): boolean {
  let rising = true;
  let falling = true;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  let roughness = 0;
  for (let i = 0; i < points.length; i++) {
    const y = points[i]![1];
    lo = Math.min(lo, y);
    hi = Math.max(hi, y);
    if (i > 0) {
      rising &&= y >= points[i - 1]![1];
      falling &&= y <= points[i - 1]![1];
    }
    if (i > 0 && i < points.length - 1)
      roughness += Math.abs(y - (points[i - 1]![1] + points[i + 1]![1]) / 2);
  }
  if (rising || falling || hi === lo) return false;
  return roughness / Math.max(1, points.length - 2) / (hi - lo) > 0.02;
}

const DEFAULT_WIDTH = 460;
const DEFAULT_HEIGHT = 280;

/** Rows the legend wraps into: each entry is its icon, its name at ~6.5 px a character, and the gap. */
function legendRowCount(names: readonly string[], width: number): number {
  let rows = 1;
  let used = 0;
  for (const name of names) {
    const item = 18 + 5 + 6.5 * name.length + 22;
    if (used > 0 && used + item > width) {
      rows++;
      used = 0;
    }
    used += item;
  }
  return rows;
}

/** The ECharts option of a chart: plain data, so tests can check what is drawn without parsing SVG. */
export function chartOption(spec: ChartSpec): Record<string, unknown> {
  const series: Record<string, unknown>[] = [];
  const legend: string[] = [];
  let dropped = 0;
  spec.series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const finite = finitePoints(s.points);
    dropped += s.points.length - finite.length;
    const smooth = (spec.smooth ?? true) && finite.length >= SMOOTH_FROM && isNoisy(finite);
    const line = (name: string, data: readonly Point[], opacity: number, width: number, z: number) => ({
      type: 'line',
      name,
      data: spec.categoryX ? data.map(([x, y]) => [String(x), y]) : data,
      showSymbol: data.length === 1 || (!smooth && data.length <= 40),
      symbolSize: 5,
      color: colour,
      // Each later series dashed with its own period, so identical lines drawn over each other still show.
      lineStyle: { width, opacity, ...(i > 0 && opacity === 1 ? { type: [4 + i, 2 + i] } : {}) },
      itemStyle: { opacity },
      z,
      silent: true,
    });
    legend.push(s.name);
    if (smooth) {
      const smoothed = ema(
        Float64Array.from(finite, ([, y]) => y),
        smoothingSpan(finite.length),
      );
      series.push(line(`${s.name} (raw)`, downsampleMinMax(finite), 0.22, 1, 1));
      const drawn = thinIndices(finite.length).map((j) => [finite[j]![0], smoothed[j]!] as const);
      series.push(line(s.name, drawn, 1, 2, 2));
    } else
      series.push(
        line(
          s.name,
          thinIndices(finite.length).map((j) => finite[j]!),
          1,
          2,
          2,
        ),
      );
  });
  for (const [i, m] of (spec.markers ?? []).entries()) {
    legend.push(m.name);
    series.push({
      type: 'line',
      name: m.name,
      data: [[m.x, m.y]],
      showSymbol: true,
      symbol: 'diamond',
      symbolSize: 11,
      color: COLOURS[(spec.series.length + i) % COLOURS.length],
      z: 3,
      silent: true,
    });
  }
  // Reference lines are named in the legend (with their value): labels on the lines would collide
  // where two references lie close together.
  for (const [i, r] of (spec.references ?? []).entries()) {
    const name = `${r.name} (${tickLabel(r.value)})`;
    const colour = REFERENCE_COLOURS[i % REFERENCE_COLOURS.length];
    legend.push(name);
    series.push({
      type: 'line',
      name,
      data: [],
      color: colour,
      lineStyle: { type: 'dashed' },
      markLine: {
        symbol: 'none',
        silent: true,
        label: { show: false },
        lineStyle: { color: colour, type: i === 0 ? [6, 4] : [2, 3], width: 1.5 },
        data: [{ yAxis: r.value }],
      },
    });
  }
  const showLegend = legend.length > 1;
  const legendRows = showLegend ? legendRowCount(legend, (spec.width ?? DEFAULT_WIDTH) - 16) : 0;
  return {
    animation: false,
    backgroundColor: '#fff',
    textStyle: { fontFamily: 'system-ui, sans-serif' },
    title: {
      text: spec.title,
      subtext: dropped > 0 ? `${dropped} non-finite point${dropped === 1 ? '' : 's'} left out` : '',
      left: 8,
      top: 4,
      textStyle: { fontSize: 14, fontWeight: 600 },
      subtextStyle: { fontSize: 11, color: '#9a6700' },
    },
    legend: showLegend
      ? {
          data: legend,
          bottom: 4,
          left: 8,
          right: 8,
          itemGap: 22,
          itemWidth: 18,
          itemHeight: 8,
          textStyle: { fontSize: 11 },
        }
      : { show: false },
    grid: {
      left: 8,
      right: 40,
      top: dropped > 0 ? 48 : 36,
      bottom: 30 + 24 * legendRows,
      outerBoundsMode: 'same',
      outerBoundsContain: 'axisLabel',
    },
    xAxis: spec.categoryX
      ? {
          type: 'category',
          name: spec.xName ?? '',
          nameLocation: 'middle',
          nameGap: 26,
          boundaryGap: false,
          axisLine: { onZero: false },
        }
      : {
          type: 'value',
          name: spec.xName ?? 'step',
          nameLocation: 'end',
          nameGap: 6,
          nameTextStyle: { fontSize: 11, color: '#57606a', verticalAlign: 'top', padding: [6, 0, 0, 0] },
          scale: true,
          minInterval: 1, // steps and K are whole numbers: no tick at step 0.2
          axisLine: { onZero: false },
          splitLine: { show: true, lineStyle: { color: '#eef0f2' } },
          axisLabel: { hideOverlap: true },
        },
    yAxis: {
      type: 'value',
      scale: spec.yRange === undefined,
      axisLine: { onZero: false },
      ...(spec.yRange ? { min: spec.yRange[0], max: spec.yRange[1] } : {}),
      splitLine: { show: true, lineStyle: { color: '#e4e7ea' } },
      axisLabel: { hideOverlap: true, formatter: tickLabel },
    },
    series,
  };
}

/**
 * One chart as a standalone SVG document (`role="img"`, labelled with its title), e.g.
 * `renderChart({ title: 'loss', series: [{ name: 'loss', points }] })`.
 */
export function renderChart(spec: ChartSpec): string {
  const chart = echarts.init(null, null, {
    renderer: 'svg',
    ssr: true,
    width: spec.width ?? DEFAULT_WIDTH,
    height: spec.height ?? DEFAULT_HEIGHT,
  });
  try {
    chart.setOption(chartOption(spec));
    const svg = chart.renderToSVGString();
    return svg.replace('<svg ', `<svg role="img" aria-label="${escapeHtml(spec.title)}" `);
  } finally {
    chart.dispose();
  }
}
