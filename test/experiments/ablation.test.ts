// A smoke version of the ablation: every arm for a few steps of the tiny preset under the stress
// setting, and the other two settings for one arm; a second call skips finished runs; the table is
// rebuilt from whatever finished; the collapse rule on hand-made logs.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type AblationConfig,
  ARMS,
  type ArmName,
  buildTable,
  planRuns,
  runAblation,
  summarizeRun,
} from '../../src/experiments/ablation.js';
import { checkShard, inShard } from '../../src/experiments/shard.js';
import { escapeHtml } from '../../src/io/html.js';
import type { RlStepMetrics } from '../../src/train/rl.js';
import { engineSkipReason } from '../engine/fixtures.js';
import { writeTinyWorld } from '../train/tiny-world.js';

const skip = engineSkipReason();

describe('ablation experiment (smoke)', { skip }, () => {
  let dir: string;
  let config: AblationConfig;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'r1-ablation-'));
    writeTinyWorld(join(dir, 'world'), { sft: 32, rl: 16, heldOut: 8 });
    config = {
      outDir: join(dir, 'out'),
      sftData: join(dir, 'world/sft.jsonl'),
      rlData: join(dir, 'world/rl.jsonl'),
      heldOut: { file: join(dir, 'world/heldout.jsonl'), format: 'r1-reward' },
      seeds: [1],
      settings: ['stress'],
      sft: { steps: 10, vocabSize: 320, evalMaxNewTokens: 8 },
      rl: {
        steps: 2,
        rolloutBatch: 4,
        microBatch: 4,
        maxNewTokens: 8,
        evalEvery: 0,
        evalSize: 8,
        checkpointEvery: 1,
      },
    };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs every arm, then skips finished runs on a second call', async () => {
    const started: string[] = [];
    const table = await runAblation(config, { onRunStart: (p) => started.push(p.arm) });
    assert.deepEqual(started, Object.keys(ARMS));
    assert.equal(table.rows.length, Object.keys(ARMS).length);
    for (const row of table.rows) {
      assert.equal(row.seedsDone, 1, row.arm);
      assert.equal(typeof row.accuracyMean, 'number', row.arm);
    }
    assert.match(readFileSync(join(config.outDir, 'ablation.md'), 'utf8'), /\| pre-clip lower only \|/);
    // The curves: per setting a chart per quantity with a line (and a legend entry) per arm.
    const page = readFileSync(join(config.outDir, 'ablation.html'), 'utf8');
    assert.match(page, /<h2>stress<\/h2>/);
    const reward = /<svg[^>]*aria-label="reward_mean"[\s\S]*?<\/svg>/.exec(page)?.[0] ?? '';
    const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    for (const arm of Object.keys(ARMS))
      assert.match(reward, new RegExp(`>${escapeRegExp(arm)} \\(\\d+\\)</text>`), arm);
    for (const arm of Object.keys(ARMS)) assert.ok(reward.includes(`${escapeHtml(arm)} (1)`), arm);
    const again: string[] = [];
    await runAblation(config, { onRunStart: (p) => again.push(p.arm) });
    assert.deepEqual(again, []);
  });

  it('the mismatch and positive-control settings run too, with their knobs in the run config', async () => {
    const arms: ArmName[] = ['stable-reinforce'];
    const more = {
      ...config,
      arms,
      settings: ['mismatch', 'positive-control'] as AblationConfig['settings'],
    };
    await runAblation(more);
    const plan = planRuns(more)[0]!;
    const record = JSON.parse(readFileSync(join(plan.dir, 'run.json'), 'utf8')) as {
      config: { mismatch: { staleUpdates: number } };
    };
    assert.equal(record.config.mismatch.staleUpdates, 2);
    assert.ok(existsSync(join(planRuns(more)[1]!.dir, 'done.json')));
  });

  it('base is the base RL config itself; mild: 3x lr, 4 epochs; stress: 10x lr, 4 epochs of 4 minibatches', () => {
    const [base, mild, stress] = planRuns({
      ...config,
      arms: ['stable-reinforce'],
      settings: ['base', 'mild', 'stress'],
    });
    assert.ok(Math.abs(mild!.config.lr! - 3e-4) < 1e-12);
    assert.equal(mild!.config.ppoEpochs, 4);
    assert.equal(mild!.config.trainBatch, undefined); // the whole rollout: 4 optimiser steps
    assert.equal(base!.config.lr, 1e-4);
    assert.equal(base!.config.ppoEpochs, undefined);
    assert.equal(base!.config.trainBatch, undefined);
    assert.match(base!.dir, /runs\/base\/stable-reinforce\/seed-1$/);
    assert.equal(stress!.config.lr, 1e-3);
    assert.equal(stress!.config.ppoEpochs, 4);
  });

  it('rebuilds the table from whatever finished', () => {
    rmSync(join(planRuns(config)[0]!.dir, 'done.json'));
    const table = buildTable(config);
    assert.equal(table.rows[0]!.seedsDone, 0);
    assert.equal(table.rows[1]!.seedsDone, 1);
    assert.match(table.markdown, /\| stable-reinforce \| – \| 0\/1 \|/);
    // Runs an earlier invocation finished (other settings) stay in the table though not planned here.
    const mismatch = table.rows.find((r) => r.setting === 'mismatch' && r.arm === 'stable-reinforce');
    assert.equal(mismatch?.seedsDone, 1);
    assert.match(table.markdown, /## positive-control/);
    assert.ok(
      !table.rows.some((r) => r.setting === 'mismatch' && r.arm === 'grpo'),
      'never run, never planned',
    );
  });

  it('a shard runs only its share of the plan, and only once the shared SFT has finished', async () => {
    await assert.rejects(
      runAblation({ ...config, outDir: join(dir, 'no-sft'), shard: { index: 1, count: 2 } }),
      /shared SFT .* is not finished; run the experiment once without a shard/,
    );
    const two = {
      ...config,
      settings: ['base'] as AblationConfig['settings'],
      arms: ['stable-reinforce', 'grpo'] as ArmName[],
    };
    const started: string[] = [];
    await runAblation({ ...two, shard: { index: 1, count: 2 } }, { onRunStart: (p) => started.push(p.arm) });
    assert.deepEqual(started, ['grpo']);
  });
});

describe('ablation shards', () => {
  it('the shards of one count partition the plan', () => {
    const shards = [0, 1, 2].map((index) => ({ index, count: 3 }));
    for (let i = 0; i < 10; i++) assert.equal(shards.filter((s) => inShard(i, s)).length, 1);
  });
  it('rejects a shard outside 0 ≤ index < count', () => {
    assert.throws(() => checkShard({ index: 3, count: 3 }), /need integers with 0 ≤ index < count/);
    assert.throws(() => checkShard({ index: 0, count: 0 }), /ablation shard 0\/0/);
    assert.deepEqual(checkShard({ index: 2, count: 3 }), { index: 2, count: 3 });
  });
});

describe('collapse rule', () => {
  const row = (step: number, reward: number, capped: number, loss = 0.1): RlStepMetrics =>
    ({
      step,
      reward_mean: reward,
      length_capped_fraction: capped,
      loss,
      non_finite_losses: 0,
    }) as unknown as RlStepMetrics;
  it('a non-finite loss is a collapse at that step', () => {
    const rows = [row(0, 1, 0), row(1, 1, 0), row(2, 1, 0, Number.NaN)];
    assert.equal(summarizeRun(rows as never).collapseStep, 2);
  });
  it('responses at the length limit with the reward falling are a collapse; frozen is not', () => {
    const rows = [0, 1, 2, 3, 4]
      .map((s) => row(s, 1.5, 0))
      .concat([5, 6, 7, 8, 9].map((s) => row(s, 0.5, 0.9)));
    assert.equal(summarizeRun(rows as never).collapseStep, 6); // mean reward of steps 2–6 is 1.1 ≤ 1.5 − 0.25
    const frozen = [0, 1, 2, 3, 4, 5].map((s) => row(s, 0, 0));
    assert.equal(summarizeRun(frozen as never).collapseStep, null);
  });
  it('reports the last held-out accuracy with its strict-format rate (a constant answer scores ~50 %)', () => {
    const rows = [
      { ...row(0, 1, 0), held_out_accuracy: 0.9, held_out_format_rate: 1 },
      row(1, 1, 0),
      { ...row(2, 0.2, 1), held_out_accuracy: 0.5, held_out_format_rate: 0 },
      row(3, 0.2, 1),
    ];
    const s = summarizeRun(rows as never);
    assert.equal(s.accuracy, 0.5);
    assert.equal(s.formatRate, 0);
    assert.equal(summarizeRun([row(0, 1, 0)] as never).formatRate, null);
  });
});
