// The run report: one self-contained HTML page; related quantities grouped into charts, constant ones
// listed as values, the held-out accuracy from before training, and long runs drawn in bounded size.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  constantValue,
  formatDuration,
  loggedQuantities,
  type MetricRow,
  readMetrics,
  runView,
  writeChartFiles,
  writeReport,
} from '../../src/train/report.js';

const writeRun = (dir: string, rows: readonly object[], tail = '') =>
  writeFileSync(join(dir, 'metrics.jsonl'), `${rows.map((r) => JSON.stringify(r)).join('\n')}\n${tail}`);

describe('run report', () => {
  it('groups related quantities, lists constant ones, skips a torn line, keeps the run record', () => {
    const dir = mkdtempSync(join(tmpdir(), 'r1-report-'));
    try {
      const rows = [
        { step: 0, time: '2026-01-01T00:00:00.000Z', reward_mean: 0.5, loss: 1, frozen: false, lr: 0.001 },
        {
          step: 1,
          time: '2026-01-01T00:00:02.000Z',
          reward_mean: 0.75,
          loss: null,
          frozen: false,
          lr: 0.001,
        },
        {
          step: 2,
          time: '2026-01-01T00:00:04.000Z',
          reward_mean: 1.25,
          loss: 0.5,
          frozen: false,
          lr: 0.001,
          held_out_accuracy: 0.6,
          held_out_format_rate: 0.8,
        },
        {
          step: 3,
          time: '2026-01-01T00:00:06.000Z',
          reward_mean: 1,
          loss: 0.4,
          frozen: false,
          lr: 0.001,
          held_out_accuracy: 0.7,
          held_out_format_rate: 0.9,
        },
      ];
      writeRun(dir, rows, '{"step": 4, "rew');
      writeFileSync(join(dir, 'run.json'), JSON.stringify({ command: 'train rl', seed: 1 }));
      writeFileSync(join(dir, 'initial-held-out.json'), JSON.stringify({ accuracy: 0.25 }));
      assert.equal(readMetrics(dir).length, 4);
      // `time` is the wall clock, not a quantity.
      assert.deepEqual(loggedQuantities(readMetrics(dir)), [
        'reward_mean',
        'loss',
        'frozen',
        'lr',
        'held_out_accuracy',
        'held_out_format_rate',
      ]);
      const view = runView(readMetrics(dir), 0.25);
      assert.deepEqual(
        view.charts.map((c) => [c.id, c.spec.title, c.spec.series.map((s) => s.name)]),
        [
          ['held-out', 'held-out (greedy)', ['held_out_accuracy', 'held_out_format_rate']],
          ['reward', 'reward: reward_mean', ['reward_mean']],
          ['loss', 'loss', ['loss']],
        ],
      );
      assert.deepEqual(view.charts[0]!.spec.markers, [{ name: 'accuracy before training', x: -1, y: 0.25 }]);
      assert.deepEqual(view.constants, [
        { name: 'frozen', value: 0 },
        { name: 'lr', value: 0.001 },
      ]);

      const html = readFileSync(writeReport(dir), 'utf8');
      assert.equal(html.match(/<svg /g)?.length, 3);
      assert.match(html, /<span>lr<\/span><b>0\.001<\/b>/);
      assert.match(html, /6\.0 s<\/b><span>wall clock/);
      assert.match(html, /25\.0 → 70\.0 %/);
      assert.match(html, /&quot;command&quot;:&quot;train rl&quot;/);
      assert.match(html, /1 non-finite point left out/);
      assert.ok(
        !/<script|https?:\/\/(?!www\.w3\.org)/.test(html),
        'self-contained: no scripts or external links',
      );

      // --svg: the same charts, one standalone SVG document each.
      const files = writeChartFiles(dir, join(dir, 'charts'));
      assert.deepEqual(readdirSync(join(dir, 'charts')).sort(), ['held-out.svg', 'loss.svg', 'reward.svg']);
      for (const f of files) assert.match(readFileSync(f, 'utf8'), /^<svg role="img" [\s\S]*<\/svg>\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a million-step log renders without a stack overflow, in bounded size', () => {
    const dir = mkdtempSync(join(tmpdir(), 'r1-report-long-'));
    try {
      const n = 1_000_000;
      const lines: string[] = [];
      for (let step = 0; step < n; step++)
        lines.push(
          `{"step":${step},"time":${1_700_000_000_000 + step * 50},"loss":${(1 + Math.sin(step)).toFixed(4)}}`,
        );
      writeFileSync(join(dir, 'metrics.jsonl'), `${lines.join('\n')}\n`);
      const html = readFileSync(writeReport(dir), 'utf8');
      assert.equal(html.match(/<svg /g)?.length, 1);
      assert.match(html, /1000000<\/b><span>logged steps \(0 … 999999\)/);
      assert.ok(html.length < 200_000, `${html.length} bytes`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a constant series is a value, a boolean that flips is charted', () => {
    const rows: MetricRow[] = [
      { step: 0, skipped_updates: 0, frozen: false },
      { step: 1, skipped_updates: 0, frozen: true },
    ];
    assert.equal(
      constantValue([
        [0, 2],
        [1, 2],
      ]),
      2,
    );
    assert.equal(
      constantValue([
        [0, 2],
        [1, Number.NaN],
      ]),
      undefined,
    );
    const view = runView(rows);
    assert.deepEqual(view.constants, [{ name: 'skipped_updates', value: 0 }]);
    assert.deepEqual(
      view.charts.map((c) => c.spec.series.map((s) => s.points)),
      [
        [
          [
            [0, 0],
            [1, 1],
          ],
        ],
      ],
    );
  });

  it('durations read as people say them', () => {
    assert.equal(formatDuration(12_400), '12.4 s');
    assert.equal(formatDuration(185_000), '3 min 05 s');
    assert.equal(formatDuration(3_720_000), '1 h 02 min');
  });

  it('says clearly when the folder is not a run', () => {
    assert.throws(() => readMetrics(tmpdir()), /has no metrics\.jsonl/);
  });
});
