// Training checkpoints round-trip weights, AdamW state, every RNG stream, counters and the stale
// policies of the mismatch knob; corruption of any file is detected and named.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { scope } from '../../src/engine/index.js';
import { presetConfig } from '../../src/model/config.js';
import { Tokenizer } from '../../src/model/tokenizer.js';
import {
  CheckpointError,
  latestCheckpoint,
  listCheckpoints,
  openNewestIntactCheckpoint,
  openTrainingCheckpoint,
  saveTrainingCheckpoint,
} from '../../src/train/checkpoint.js';
import { createPolicy, makeOptimizer } from '../../src/train/run.js';
import { engineSkipReason } from '../engine/fixtures.js';

const skip = engineSkipReason();

function setup() {
  const tokenizer = Tokenizer.train(['<think>a</think><answer>1</answer> Response 1: a cat'], {
    vocabSize: 280,
  });
  const { model } = createPolicy(presetConfig('tiny', tokenizer.vocabSize), tokenizer, 3);
  const optimizer = makeOptimizer(model.parameters(), 0);
  scope(() => {
    const loss = model
      .parameters()
      .reduce((s, p) => s.add(p.square().sum()), model.parameters()[0]!.sum().mul(0));
    loss.backward();
  });
  optimizer.lr = 0.01;
  optimizer.step();
  optimizer.zeroGrad();
  return { model, tokenizer, optimizer };
}

const extras = {
  kind: 'rl' as const,
  config: { lr: 1 },
  rng: {
    sample: [1, 2, 3, 4] as [number, number, number, number],
    update: [5, 6, 7, 8] as [number, number, number, number],
  },
  counters: { zero_spread_batches: 2 },
};

describe('training checkpoints', { skip }, () => {
  it('round-trip weights, optimizer, RNG streams, counters and stale policies; keep the newest two', () => {
    const root = mkdtempSync(join(tmpdir(), 'r1-ckpt-'));
    try {
      const { model, tokenizer, optimizer } = setup();
      const [name, first] = model.namedParameters()[0]!;
      for (const step of [1, 2, 3]) {
        saveTrainingCheckpoint(root, {
          model,
          tokenizer,
          optimizer,
          step,
          extras,
          stalePolicy: { [`0.${name}`]: first },
        });
      }
      assert.deepEqual(listCheckpoints(root), ['step-000002', 'step-000003']);
      const opened = openTrainingCheckpoint(latestCheckpoint(root)!);
      assert.equal(opened.step, 3);
      assert.deepEqual(opened.extras.rng, extras.rng);
      assert.deepEqual(opened.extras.counters, extras.counters);
      assert.deepEqual(opened.loaded.model.parameters()[5]!.toArray(), model.parameters()[5]!.toArray());
      const fresh = makeOptimizer(opened.loaded.model.parameters(), 0);
      opened.restoreOptimizer(fresh);
      assert.equal(fresh.stepCount, 1);
      assert.deepEqual(fresh.expAvgSq[2]!.toArray(), optimizer.expAvgSq[2]!.toArray());
      assert.deepEqual(opened.stalePolicy()![`0.${name}`]!.toArray(), first.toArray());
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('detects a corrupted weight file or stale-policy file and says which', () => {
    const root = mkdtempSync(join(tmpdir(), 'r1-ckpt-'));
    try {
      const { model, tokenizer, optimizer } = setup();
      const [name, first] = model.namedParameters()[0]!;
      const dir = saveTrainingCheckpoint(root, {
        model,
        tokenizer,
        optimizer,
        step: 5,
        extras,
        stalePolicy: { [`0.${name}`]: first },
      });
      const flipLastByte = (file: string) => {
        const bytes = readFileSync(join(dir, file));
        bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
        writeFileSync(join(dir, file), bytes);
      };
      flipLastByte('stale-policy.safetensors');
      assert.throws(
        () => openTrainingCheckpoint(dir).stalePolicy(),
        (e: unknown) =>
          e instanceof CheckpointError && /stale-policy\.safetensors: SHA-256 does not match/.test(e.message),
      );
      flipLastByte('model.safetensors');
      assert.throws(
        () => openTrainingCheckpoint(dir),
        (e: unknown) =>
          e instanceof CheckpointError && /model\.safetensors: SHA-256 does not match/.test(e.message),
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('resume passes over a corrupted newest checkpoint to the newest intact one, and says why', () => {
    const root = mkdtempSync(join(tmpdir(), 'r1-ckpt-'));
    try {
      const { model, tokenizer, optimizer } = setup();
      for (const step of [1, 2, 3])
        saveTrainingCheckpoint(root, { model, tokenizer, optimizer, step, extras }, 3);
      const corrupt = (step: number) => {
        const file = join(root, `step-00000${step}`, 'model.safetensors');
        const bytes = readFileSync(file);
        bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
        writeFileSync(file, bytes);
      };
      corrupt(3);
      const found = openNewestIntactCheckpoint(root)!;
      assert.equal(found.opened.step, 2);
      assert.equal(found.skipped.length, 1);
      assert.equal(found.skipped[0]!.dir, join(root, 'step-000003'));
      assert.match(found.skipped[0]!.reason, /model\.safetensors: SHA-256 does not match/);
      found.opened.loaded.model.dispose();
      corrupt(2);
      corrupt(1);
      assert.throws(
        () => openNewestIntactCheckpoint(root),
        (e: unknown) =>
          e instanceof CheckpointError &&
          /no intact checkpoint to resume from/.test(e.message) &&
          /step-000001: model\.safetensors/.test(e.message),
      );
      assert.equal(openNewestIntactCheckpoint(join(root, 'absent')), null);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
