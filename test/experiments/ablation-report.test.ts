// The ablation page's curves: the per-arm mean over seeds, and a multi-line chart with its legend.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { meanCurve, renderAblationPage } from '../../src/experiments/ablation-report.js';
import type { MetricRow } from '../../src/train/report.js';

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

  it('draws a line and a legend entry per arm; a non-finite mean is left out and counted', () => {
    const run = (values: number[]): MetricRow[] => values.map((reward_mean, step) => ({ step, reward_mean }));
    const arms = new Map([
      ['stable-reinforce', [run([1, 2])]],
      ['w/o pre-clip <x>', [run([0, 4])]],
      ['grpo', [run([3, Number.NaN])]],
    ]);
    const page = renderAblationPage('', new Map([['stress', arms]]));
    const chart = /<svg[^>]*aria-label="reward_mean"[\s\S]*?<\/svg>/.exec(page)?.[0] ?? '';
    for (const name of ['stable-reinforce (1)', 'w/o pre-clip &lt;x&gt; (1)', 'grpo (1)'])
      assert.ok(chart.includes(`>${name}</text>`), name);
    assert.match(chart, /1 non-finite point left out/);
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
