// The run report: one self-contained HTML page, an SVG curve per logged quantity.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  lineChart,
  loggedQuantities,
  readMetrics,
  writeChartFiles,
  writeReport,
} from '../../src/train/report.js';

describe('run report', () => {
  it('draws every logged quantity, skips a torn line and non-finite points', () => {
    const dir = mkdtempSync(join(tmpdir(), 'r1-report-'));
    try {
      const rows = [
        { step: 0, reward_mean: 0.5, loss: 1, frozen: false },
        { step: 1, reward_mean: 0.75, loss: null, frozen: true, held_out_accuracy: 0.6 },
        { step: 2, reward_mean: 1.25, loss: 0.5, frozen: false },
      ];
      writeFileSync(
        join(dir, 'metrics.jsonl'),
        `${rows.map((r) => JSON.stringify(r)).join('\n')}\n{"step": 3, "rew`,
      );
      writeFileSync(join(dir, 'run.json'), JSON.stringify({ command: 'train rl', seed: 1 }));
      assert.equal(readMetrics(dir).length, 3);
      assert.deepEqual(loggedQuantities(readMetrics(dir)), [
        'reward_mean',
        'loss',
        'frozen',
        'held_out_accuracy',
      ]);
      const html = readFileSync(writeReport(dir), 'utf8');
      assert.equal(html.match(/<svg /g)?.length, 4);
      // --svg: the same charts, one file each, each a standalone SVG document.
      const files = writeChartFiles(dir, join(dir, 'charts'));
      assert.deepEqual(readdirSync(join(dir, 'charts')).sort(), [
        'frozen.svg',
        'held_out_accuracy.svg',
        'loss.svg',
        'reward_mean.svg',
      ]);
      for (const f of files)
        assert.match(
          readFileSync(f, 'utf8'),
          /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[\s\S]*<\/svg>\n$/,
        );
      assert.match(html, /reward_mean/);
      assert.match(
        html,
        /&quot;command&quot;: ?&quot;train rl&quot;|&quot;command&quot;:&quot;train rl&quot;/,
      );
      assert.ok(
        !/<script|https?:\/\/(?!www\.w3\.org)/.test(html),
        'self-contained: no scripts or external links',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a chart marks dropped non-finite points and places the polyline inside its frame', () => {
    const svg = lineChart('loss', [
      [0, 1],
      [1, Number.NaN],
      [2, 3],
    ]);
    assert.match(svg, /loss \(1 non-finite\)/);
    const points = /points="([^"]+)"/
      .exec(svg)![1]!
      .split(' ')
      .map((p) => p.split(',').map(Number));
    assert.equal(points.length, 2);
    for (const [x, y] of points) assert.ok(x! >= 56 && x! <= 408 && y! >= 26 && y! <= 190);
  });

  it('says clearly when the folder is not a run', () => {
    assert.throws(() => readMetrics(tmpdir()), /has no metrics\.jsonl/);
  });
});
