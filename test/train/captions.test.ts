// Perception pretraining on captions: the captions file reads back with checked images and clear
// errors, and `trainSft` with format 'captions' learns to describe images.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  DEFAULT_WORLD,
  describeScene,
  generateSample,
  readCaptions,
  writeSyntheticWorld,
} from '../../src/data/index.js';
import { readMetrics } from '../../src/train/report.js';
import { loadPolicy } from '../../src/train/run.js';
import { type SftConfig, trainSft } from '../../src/train/sft.js';
import { engineSkipReason } from '../engine/fixtures.js';

const world = { ...DEFAULT_WORLD, seed: 5, trainSize: 64, benchmarkSize: 0, imageSize: 32 };
let dir: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'r1-captions-'));
  await writeSyntheticWorld(join(dir, 'world'), world);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('captions.jsonl', () => {
  it('holds one description per training scene, the one its SFT traces open with', async () => {
    const read = [];
    for await (const c of readCaptions(join(dir, 'world', 'captions.jsonl'))) read.push(c);
    assert.equal(read.length, world.trainSize);
    for (const c of read.slice(0, 10)) {
      const truth = generateSample(world, 'train', Number(c.id.slice(-6)));
      assert.equal(c.caption, describeScene(truth.scene));
      assert.equal(c.images.length, 1);
    }
  });

  it('names file, line and field of a bad record, and a missing image', async () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"id":"a","image":"x.png","caption":"ok"}\n{"id":"b","image":"x.png"}\n');
    await assert.rejects(async () => {
      for await (const _ of readCaptions(bad, { checkImages: false }));
    }, /bad\.jsonl:2: field 'caption'/);
    writeFileSync(bad, '{"id":"a","caption":"ok"}\n');
    await assert.rejects(async () => {
      for await (const _ of readCaptions(bad));
    }, /exactly one of 'image'/);
    writeFileSync(bad, '{"id":"a","image":"missing.png","caption":"ok"}\n');
    await assert.rejects(async () => {
      for await (const _ of readCaptions(bad));
    }, /missing\.png/);
  });
});

const skip = engineSkipReason();

describe("trainSft with format 'captions'", { skip }, () => {
  /** Caption pretraining of a fresh tiny model on 16 captions. */
  const pretrain = (runDir: string, fields: Partial<SftConfig>) =>
    trainSft({
      runDir,
      data: { file: join(dir, 'world', 'captions.jsonl'), format: 'captions', limit: 16 },
      preset: 'tiny',
      vocabSize: 320,
      steps: 60,
      batchSize: 16,
      microBatchSize: 16,
      lr: 3e-3,
      evalEvery: 0,
      checkpointEvery: 0,
      seed: 1,
      ...fields,
    });

  it('learns to describe the images (loss falls by more than half)', async () => {
    const runDir = join(dir, 'pretrain');
    await pretrain(runDir, {});
    const losses = readMetrics(runDir).map((m) => Number(m['loss']));
    assert.equal(losses.length, 60);
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    assert.ok(
      mean(losses.slice(-5)) < 0.5 * mean(losses.slice(5, 10)),
      `losses ${losses.map((l) => l.toFixed(2))}`,
    );
  });

  it("trains a fresh model with rotary positions when asked (positions: 'rope')", async () => {
    const runDir = join(dir, 'pretrain-rope');
    const result = await pretrain(runDir, { positions: 'rope', steps: 40 });
    const { model } = loadPolicy(result.checkpoint);
    assert.equal(model.config.positions, 'rope');
    assert.ok(!model.namedParameters().some(([name]) => name === 'lm.pos.weight'));
    const losses = readMetrics(runDir).map((m) => Number(m['loss']));
    assert.ok(losses.at(-1)! < 0.5 * losses[5]!, `losses ${losses.map((l) => l.toFixed(2))}`);
    model.dispose();
    await assert.rejects(
      trainSft({ runDir: join(dir, 'bad'), data: { file: 'x' }, positions: 'alibi' as never }),
      /positions/,
    );
  });
});
