// End to end on the tiny world: SFT cold start, then StableReinforce RL from it; held-out accuracy
// (greedy judging) rises above chance and stays there; the run folders hold what the report needs.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RlStepMetrics, trainRl } from '../../src/train/rl.js';
import { type SftResult, trainSft } from '../../src/train/sft.js';
import { engineSkipReason } from '../engine/fixtures.js';
import { writeTinyWorld } from './tiny-world.js';

const skip = engineSkipReason();

describe('SFT → RL end to end on a tiny world', { skip }, () => {
  let dir: string;
  let sft: SftResult;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'r1-pipeline-'));
    writeTinyWorld(join(dir, 'world'));
    sft = await trainSft({
      runDir: join(dir, 'sft'),
      data: { file: join(dir, 'world/sft.jsonl') },
      heldOut: { file: join(dir, 'world/heldout.jsonl'), format: 'r1-reward' },
      preset: 'tiny',
      vocabSize: 400,
      seed: 1,
      steps: 200,
      batchSize: 16,
      microBatchSize: 16,
      lr: 3e-3,
      warmupRatio: 0.05,
      evalEvery: 0,
      evalMaxNewTokens: 32,
      checkpointEvery: 100,
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('SFT: loss falls and held-out accuracy rises well above chance', () => {
    const log = readFileSync(join(dir, 'sft/metrics.jsonl'), 'utf8').trim().split('\n');
    assert.equal(log.length, 200);
    const first = JSON.parse(log[0]!) as { loss: number };
    assert.ok(sft.finalLoss < first.loss / 10, `loss ${first.loss} → ${sft.finalLoss}`);
    assert.ok(sft.heldOut!.accuracy >= 0.8, `held-out accuracy after SFT ${sft.heldOut!.accuracy}`);
    assert.ok(existsSync(join(sft.checkpoint, 'manifest.json')));
  });

  it('RL from the SFT checkpoint keeps held-out accuracy above chance and logs every quantity', async () => {
    const steps: RlStepMetrics[] = [];
    const rl = await trainRl(
      {
        runDir: join(dir, 'rl'),
        init: join(dir, 'sft'),
        data: { file: join(dir, 'world/rl.jsonl') },
        heldOut: { file: join(dir, 'world/heldout.jsonl'), format: 'r1-reward' },
        seed: 1,
        steps: 4,
        rolloutBatch: 16,
        microBatch: 8,
        lr: 1e-4,
        maxNewTokens: 32,
        evalEvery: 2,
      },
      { onStep: (m) => steps.push(m) },
    );
    assert.equal(steps.length, 4);
    assert.ok(rl.initialHeldOut!.accuracy >= 0.8);
    assert.ok(rl.heldOut!.accuracy >= 0.8, `held-out accuracy after RL ${rl.heldOut!.accuracy}`);
    const m = steps[0]!;
    for (const key of [
      'reward_mean',
      'result_rate',
      'ratio_max',
      'clip_fraction',
      'grad_norm',
      'rollout_s',
      'update_s',
    ] as const)
      assert.ok(Number.isFinite(m[key]), `${key} = ${m[key]}`);
    assert.ok(m.result_rate >= 0.7, `rollout result rate ${m.result_rate}`);
    assert.equal(typeof steps[1]!.held_out_accuracy, 'number');
    assert.ok(existsSync(join(dir, 'rl/checkpoints/step-000004/manifest.json')));
  });
});
