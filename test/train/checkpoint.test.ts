// Training checkpoints round-trip weights, AdamW state and trainer state; corruption is detected.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AdamW, engineAvailable, manualSeed, randn, type Tensor } from '../../src/engine/index.js';
import {
  CheckpointError,
  copyIntoParameters,
  latestCheckpoint,
  listCheckpoints,
  openCheckpoint,
  restoreOptimizer,
  saveCheckpoint,
} from '../../src/train/checkpoint.js';

const skip = engineAvailable()
  ? false
  : 'the tensor engine (native addon) is not built: run npm run build:native';

function setup() {
  manualSeed(1);
  const params: [string, Tensor][] = [
    ['w', randn([3, 4], { requiresGrad: true }).keep()],
    ['b', randn([4], { requiresGrad: true }).keep()],
  ];
  const opt = new AdamW(
    params.map(([, p]) => p),
    { lr: 0.1 },
  );
  params[0]![1].sum().backward();
  params[1]![1].square().sum().backward();
  opt.step();
  return { params, opt };
}

describe('training checkpoints', { skip }, () => {
  it('round-trips weights, optimizer moments and state; keeps the newest two', () => {
    const root = mkdtempSync(join(tmpdir(), 'r1-ckpt-'));
    try {
      const { params, opt } = setup();
      const state = {
        kind: 'rl' as const,
        step: 0,
        rng: { sample: [1, 2, 3, 4] as [number, number, number, number] },
        counters: { frozen: 2 },
        runConfig: { lr: 1 },
      };
      for (const step of [1, 2, 3]) {
        saveCheckpoint(root, {
          modelConfig: { d: 1 },
          tokenizerJson: { t: 1 },
          weights: params,
          optimizer: opt,
          state: { ...state, step },
        });
      }
      assert.deepEqual(listCheckpoints(root), ['step-000002', 'step-000003']);
      const ckpt = openCheckpoint(latestCheckpoint(root)!);
      assert.equal(ckpt.state.step, 3);
      assert.deepEqual(ckpt.state.counters, { frozen: 2 });
      const fresh = setup();
      fresh.opt.stepCount = 0;
      for (const [, p] of fresh.params) p.detach().mul_(0);
      copyIntoParameters(ckpt.dir, fresh.params, ckpt.tensors('model.safetensors'));
      restoreOptimizer(ckpt, fresh.opt);
      assert.deepEqual(fresh.params[0]![1].toArray(), params[0]![1].toArray());
      assert.deepEqual(fresh.opt.expAvgSq[1]!.toArray(), opt.expAvgSq[1]!.toArray());
      assert.equal(fresh.opt.stepCount, 1);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('detects a corrupted or mismatched checkpoint and says which file', () => {
    const root = mkdtempSync(join(tmpdir(), 'r1-ckpt-'));
    try {
      const { params, opt } = setup();
      const dir = saveCheckpoint(root, {
        modelConfig: {},
        tokenizerJson: {},
        weights: params,
        optimizer: opt,
        state: { kind: 'sft', step: 5, rng: {}, counters: {}, runConfig: {} },
      });
      const model = join(dir, 'model.safetensors');
      const bytes = readFileSync(model);
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
      writeFileSync(model, bytes);
      assert.throws(
        () => openCheckpoint(dir),
        (e: unknown) => e instanceof CheckpointError && /model\.safetensors is corrupted/.test(e.message),
      );
      assert.throws(
        () => copyIntoParameters(dir, [['w', randn([2, 2])]], { w: randn([3, 4]) }),
        /w: float32 \[3,4\] but the model has float32 \[2,2\]/,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
