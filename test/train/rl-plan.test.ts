// planOf decides what every ablation arm and algorithm actually runs: each arm of the ablation (as
// planRuns writes its config) and each algorithm → its exact switches, and the refusals.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PRE_CLIP } from '../../src/algo/index.js';
import { type ArmName, planRuns } from '../../src/experiments/ablation.js';
import { parseConfig } from '../../src/train/config-fields.js';
import { planOf, type RlConfig, RlConfigSchema, type RlPlan } from '../../src/train/rl-config.js';

const resolve = (config: Partial<RlConfig>) =>
  parseConfig(
    RlConfigSchema,
    { runDir: 'run', init: 'sft', data: { file: 'rl.jsonl' }, ...config },
    'test config',
  );

const upperOnly = { min: Number.NEGATIVE_INFINITY, max: PRE_CLIP.max };
const lowerOnly = { min: PRE_CLIP.min, max: Number.POSITIVE_INFINITY };

describe('planOf: every ablation arm → its exact plan', () => {
  // The ablation's base setting with 8 sequences per rollout (GRPO: 2 prompts × 4 samples).
  const table: [ArmName, RlPlan, { consistency: boolean }][] = [
    [
      'stable-reinforce',
      { advantage: 'returns', preClip: PRE_CLIP, filter: 'paper', samplesPerPrompt: 1, trainBatch: 8 },
      { consistency: true },
    ],
    [
      'reinforce++',
      { advantage: 'returns', preClip: false, filter: 'none', samplesPerPrompt: 1, trainBatch: 8 },
      { consistency: true },
    ],
    [
      'w/o pre-clip',
      { advantage: 'returns', preClip: false, filter: 'paper', samplesPerPrompt: 1, trainBatch: 8 },
      { consistency: true },
    ],
    [
      'pre-clip upper only',
      { advantage: 'returns', preClip: upperOnly, filter: 'paper', samplesPerPrompt: 1, trainBatch: 8 },
      { consistency: true },
    ],
    [
      'pre-clip lower only',
      { advantage: 'returns', preClip: lowerOnly, filter: 'paper', samplesPerPrompt: 1, trainBatch: 8 },
      { consistency: true },
    ],
    [
      'w/o advantage filter',
      { advantage: 'returns', preClip: PRE_CLIP, filter: 'none', samplesPerPrompt: 1, trainBatch: 8 },
      { consistency: true },
    ],
    [
      'w/o consistency',
      { advantage: 'returns', preClip: PRE_CLIP, filter: 'paper', samplesPerPrompt: 1, trainBatch: 8 },
      { consistency: false },
    ],
    [
      'grpo',
      { advantage: 'grpo', preClip: false, filter: 'none', samplesPerPrompt: 4, trainBatch: 8 },
      { consistency: true },
    ],
  ];
  const plans = planRuns({
    outDir: 'out',
    sftData: 'sft.jsonl',
    rlData: 'rl.jsonl',
    heldOut: { file: 'heldout.jsonl' },
    settings: ['base'],
    seeds: [1],
    rl: { rolloutBatch: 8 },
  });

  it('the table names every arm', () => {
    assert.deepEqual(
      table.map(([arm]) => arm),
      plans.map((p) => p.arm),
    );
  });
  for (const [arm, plan, reward] of table)
    it(arm, () => {
      const config = resolve(plans.find((p) => p.arm === arm)!.config);
      assert.deepEqual(planOf(config), plan);
      assert.equal(config.consistency, reward.consistency);
    });

  it('the stress and mismatch settings split each rollout into 4 optimiser steps', () => {
    const [stress, mismatch] = planRuns({
      outDir: 'out',
      sftData: 'sft.jsonl',
      rlData: 'rl.jsonl',
      heldOut: { file: 'heldout.jsonl' },
      settings: ['stress', 'mismatch'],
      arms: ['stable-reinforce'],
      seeds: [1],
      rl: { rolloutBatch: 8 },
    });
    for (const p of [stress!, mismatch!]) assert.equal(planOf(resolve(p.config)).trainBatch, 2, p.setting);
  });
});

describe('planOf: every algorithm → its defaults, and the refusals', () => {
  const cases: [Partial<RlConfig>, RlPlan][] = [
    [
      { algorithm: 'ppo-clip' },
      { advantage: 'returns', preClip: false, filter: 'paper', samplesPerPrompt: 1, trainBatch: 32 },
    ],
    [
      { algorithm: 'rloo' },
      { advantage: 'rloo', preClip: false, filter: 'none', samplesPerPrompt: 4, trainBatch: 128 },
    ],
    [
      {
        algorithm: 'rloo',
        samplesPerPrompt: 2,
        rolloutBatch: 3,
        trainBatch: 3,
        filter: 'released',
        preClip: 'both',
      },
      { advantage: 'rloo', preClip: PRE_CLIP, filter: 'released', samplesPerPrompt: 2, trainBatch: 3 },
    ],
  ];
  for (const [config, plan] of cases)
    it(JSON.stringify(config), () => assert.deepEqual(planOf(resolve(config)), plan));

  it('refuses what cannot run, saying why', () => {
    assert.throws(
      () => planOf(resolve({ algorithm: 'grpo', samplesPerPrompt: 1 })),
      /grpo needs samplesPerPrompt ≥ 2/,
    );
    assert.throws(() => planOf(resolve({ algorithm: 'rloo', klCoef: 0.1 })), /klCoef > 0 is supported for/);
    assert.throws(
      () => planOf(resolve({ bothOrders: true, rolloutBatch: 3 })),
      /rolloutBatch must be even, got 3/,
    );
    assert.throws(
      () => planOf(resolve({ rolloutBatch: 6, trainBatch: 4 })),
      /trainBatch 4 must divide the rollout size 6/,
    );
  });
});
