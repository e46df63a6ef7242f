// The ablation page's curves: the per-arm mean over seeds, and a multi-line chart with its legend.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { meanCurve, renderAblationPage } from '../../src/experiments/ablation-report.js';
import { type MetricRow, seriesChart } from '../../src/train/report.js';

describe('ablation curves', () => {
  it('averages the seeds at the steps they all logged; ratio_below_1e-3 sums both advantage signs', () => {
    const a: MetricRow[] = [
      { step: 0, reward_mean: 1, held_out_accuracy: 0.5 },
      { step: 1, reward_mean: 2 },
      { step: 2, reward_mean: 3, held_out_accuracy: 0.7 },
    ];
    const b: MetricRow[] = [
      { step: 0, reward_mean: 3, held_out_accuracy: 0.9 },
      { step: 1, reward_mean: 4 },
    ];
    assert.deepEqual(meanCurve([a, b], 'reward_mean'), [
      [0, 2],
      [1, 3],
    ]);
    assert.deepEqual(meanCurve([a, b], 'held_out_accuracy'), [[0, 0.7]]);
    assert.deepEqual(meanCurve([], 'reward_mean'), []);
    const tails: MetricRow[] = [
      { step: 3, 'ratio_below_1e-3_pos_adv': 0.25, 'ratio_below_1e-3_neg_adv': 0.5 },
    ];
    assert.deepEqual(meanCurve([tails], 'ratio_below_1e-3'), [[3, 0.75]]);
  });

  it('draws one line and one legend entry per series, all inside the frame', () => {
    const svg = seriesChart('reward', [
      {
        name: 'stable-reinforce',
        points: [
          [0, 1],
          [1, 2],
        ],
      },
      {
        name: 'w/o pre-clip <x>',
        points: [
          [0, 0],
          [1, 4],
        ],
      },
      {
        name: 'grpo',
        points: [
          [0, 3],
          [1, Number.NaN],
        ],
      },
    ]);
    assert.equal((svg.match(/<polyline/g) ?? []).length, 2);
    assert.equal((svg.match(/<circle/g) ?? []).length, 1); // one finite point left: a dot
    assert.match(svg, /reward \(1 non-finite\)/);
    assert.ok(svg.includes('w/o pre-clip &lt;x&gt;'));
    const height = Number(/height="(\d+)"/.exec(svg)![1]);
    for (const m of svg.matchAll(/points="([^"]+)"/g))
      for (const [x, y] of m[1]!.split(' ').map((p) => p.split(',').map(Number)))
        assert.ok(x! >= 56 && x! <= 408 && y! >= 26 && y! <= height - 30, `${x},${y}`);
  });

  it('the page holds the table and a section per setting; a quantity nobody logged is left out', () => {
    const runs = new Map([
      [
        'stable-reinforce',
        [
          [
            { step: 0, reward_mean: 1 },
            { step: 1, reward_mean: 2 },
          ],
        ],
      ],
    ]);
    const page = renderAblationPage('| arm | acc |', new Map([['stress', runs]]));
    assert.match(page, /<pre>\| arm \| acc \|<\/pre>/);
    assert.match(page, /<h2>stress<\/h2>/);
    assert.match(page, /aria-label="reward_mean"/);
    assert.doesNotMatch(page, /aria-label="policy_kl"/);
  });
});
