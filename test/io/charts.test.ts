// The report charts: EMA smoothing, min/max downsampling, what a chart draws, and the rendered SVG.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  chartOption,
  downsampleMinMax,
  ema,
  MAX_DRAWN_POINTS,
  type Point,
  renderChart,
  smoothingSpan,
  thinIndices,
} from '../../src/io/charts.js';

type DrawnSeries = { name: string; data: Point[]; lineStyle?: { opacity: number } };
const drawn = (option: Record<string, unknown>) => option['series'] as DrawnSeries[];

describe('report charts', () => {
  it('EMA: bias-corrected (starts at the first value, a constant stays constant), span α = 2/(s+1)', () => {
    for (const v of ema([3, 3, 3, 3], 5)) assert.ok(Math.abs(v - 3) < 1e-12, `${v}`);
    const step = ema([0, 0, 0, 1, 1, 1, 1, 1, 1, 1], 3); // α = 0.5
    assert.equal(step[0], 0);
    assert.ok(step[3]! > 0.4 && step[3]! < 0.6, `${step[3]}`);
    assert.ok(step[9]! > 0.98 && step[9]! < 1);
    assert.deepEqual([...ema([1, 5, 2], 1)], [1, 5, 2]); // span 1: no smoothing
    assert.equal(smoothingSpan(10), 1);
    assert.equal(smoothingSpan(1_000_000), 100_000);
  });

  it('downsampling keeps every bucket’s extremes in x order and bounds the point count', () => {
    const points: Point[] = Array.from({ length: 100_000 }, (_, i) => [i, i === 54_321 ? 99 : Math.sin(i)]);
    const out = downsampleMinMax(points, 500);
    assert.ok(out.length <= 1000 && out.length >= 500, `${out.length}`);
    assert.ok(
      out.some(([x, y]) => x === 54_321 && y === 99),
      'the spike survives',
    );
    for (let i = 1; i < out.length; i++) assert.ok(out[i]![0] > out[i - 1]![0]);
    assert.deepEqual(downsampleMinMax(points.slice(0, 10)), points.slice(0, 10));
    assert.deepEqual(thinIndices(5, 1000), [0, 1, 2, 3, 4]);
    const thinned = thinIndices(10_001, 1000);
    assert.ok(thinned.length <= 1001 && thinned.at(-1) === 10_000);
  });

  it('a long series is drawn raw and faint behind its EMA; the legend names only the smoothed line', () => {
    const points: Point[] = Array.from({ length: 50_000 }, (_, i) => [i, i % 2]);
    const option = chartOption({
      title: 'reward',
      series: [
        { name: 'reward_mean', points },
        { name: 'other', points },
      ],
    });
    const series = drawn(option);
    assert.deepEqual(
      series.map((s) => s.name),
      ['reward_mean (raw)', 'reward_mean', 'other (raw)', 'other'],
    );
    assert.ok(series[0]!.lineStyle!.opacity < 0.5 && series[1]!.lineStyle!.opacity === 1);
    for (const s of series) assert.ok(s.data.length <= MAX_DRAWN_POINTS + 1, `${s.name}: ${s.data.length}`);
    // The EMA of an alternating 0/1 series sits near 0.5 once it has seen a span's worth of points.
    assert.ok(Math.abs(series[1]!.data.at(-1)![1] - 0.5) < 0.01);
    assert.deepEqual((option['legend'] as { data: string[] }).data, ['reward_mean', 'other']);
  });

  it('short or sparse series are drawn as they are; non-finite points are left out and counted', () => {
    const option = chartOption({
      title: 'held-out',
      series: [
        {
          name: 'acc',
          points: [
            [0, 0.5],
            [5, Number.NaN],
            [10, 0.75],
          ],
        },
      ],
      smooth: false,
      markers: [{ name: 'before training', x: -1, y: 0.25 }],
      references: [{ name: 'paper', value: 0.7 }],
      yRange: [0, 1],
    });
    const series = drawn(option);
    assert.deepEqual(series[0]!.data, [
      [0, 0.5],
      [10, 0.75],
    ]);
    assert.deepEqual(series[1]!.data, [[-1, 0.25]]);
    assert.match(JSON.stringify(option['title']), /1 non-finite point left out/);
    assert.match(JSON.stringify(series[2]), /"yAxis":0.7/);
    assert.deepEqual(
      [(option['yAxis'] as { min: number }).min, (option['yAxis'] as { max: number }).max],
      [0, 1],
    );
  });

  it('renders a standalone SVG with its title, tick labels and gridlines, and no script', () => {
    const points: Point[] = Array.from({ length: 200 }, (_, i) => [i, Math.cos(i / 20)]);
    const svg = renderChart({ title: 'loss <total>', series: [{ name: 'loss', points }] });
    assert.match(
      svg,
      /^<svg role="img" aria-label="loss &lt;total&gt;" [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/,
    );
    assert.match(svg, />loss &lt;total&gt;</);
    for (const tick of ['0', '60', '120', '180', '0.6', '-0.6'])
      assert.match(svg, new RegExp(`>${tick}</text>`));
    assert.ok((svg.match(/<path d="M[\d.]+ [\d.]+L[\d.]+ [\d.]+"/g) ?? []).length >= 8, 'gridlines and axes');
    assert.doesNotMatch(svg, /<script|<foreignObject/);
  });
});
