import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Rng } from '../../src/algo/random.js';
import { AdamW, loadSafetensors, noGrad, saveSafetensors, scope } from '../../src/engine/index.js';
import {
  CheckpointError,
  loadCheckpoint,
  loadOptimizerState,
  saveCheckpoint,
} from '../../src/model/checkpoint.js';
import { generate } from '../../src/model/generate.js';
import type { VisionLanguageModel } from '../../src/model/model.js';
import { sequenceLogProbs } from '../../src/model/scoring.js';
import { noiseImage, promptIds, tinyModel, tokenizer } from './tiny-model.js';

const root = mkdtempSync(join(tmpdir(), 'r1-checkpoint-'));
after(() => rmSync(root, { recursive: true, force: true }));

const prompt = { tokens: promptIds('Question: which response is better?', 1), images: [noiseImage(21)] };
const logits = (model: VisionLanguageModel) =>
  noGrad(() =>
    scope(() => model.forward({ tokens: [prompt.tokens], images: [prompt.images] }).toTypedArray()),
  );

/** One AdamW step so that the weights and moments are not at their initial values. */
function trainedModel(): { model: VisionLanguageModel; optimizer: AdamW } {
  const model = tinyModel(5);
  const optimizer = new AdamW(model.parameters(), { lr: 1e-2 });
  scope(() => {
    const { logProbs } = sequenceLogProbs(model, {
      prompts: [prompt.tokens],
      responses: [tokenizer.encode('<answer>1</answer>')],
      images: [prompt.images],
    });
    logProbs.sum().neg().backward();
  });
  optimizer.step();
  return { model, optimizer };
}

function rehash(dir: string, file: string): void {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  manifest.sha256[file] = createHash('sha256')
    .update(readFileSync(join(dir, file)))
    .digest('hex');
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
}

describe('checkpoints', () => {
  it('round trip reproduces outputs bit for bit, with training state', () => {
    const { model, optimizer } = trainedModel();
    const dir = join(root, 'ckpt');
    saveCheckpoint(dir, model, tokenizer, {
      step: 7,
      rngState: new Rng(3).state,
      runConfig: { lr: 1e-2 },
      optimizer,
    });
    // Saving again replaces the directory atomically and leaves no temp folders behind.
    saveCheckpoint(dir, model, tokenizer, {
      step: 7,
      rngState: new Rng(3).state,
      runConfig: { lr: 1e-2 },
      optimizer,
    });
    assert.deepEqual(readdirSync(root), ['ckpt']);
    assert.deepEqual(readdirSync(dir).sort(), [
      'config.json',
      'manifest.json',
      'model.safetensors',
      'optimizer.safetensors',
      'tokenizer.json',
      'trainer.json',
    ]);

    const loaded = loadCheckpoint<{ lr: number }>(dir);
    assert.deepEqual(loaded.config, model.config);
    assert.deepEqual(loaded.tokenizer.toJSON(), tokenizer.toJSON());
    assert.deepEqual(logits(loaded.model), logits(model));
    const params = { maxNewTokens: 12, temperature: 1, n: 2 };
    assert.deepEqual(
      generate(loaded.model, loaded.tokenizer, [prompt], params, new Rng(8)),
      generate(model, tokenizer, [prompt], params, new Rng(8)),
    );
    assert.equal(loaded.training?.step, 7);
    assert.deepEqual(loaded.training?.rngState, new Rng(3).state);
    assert.deepEqual(loaded.training?.runConfig, { lr: 1e-2 });

    const resumed = new AdamW(loaded.model.parameters(), { lr: 1e-2 });
    loadOptimizerState(dir, loaded.model, resumed);
    assert.equal(resumed.stepCount, 1);
    optimizer.expAvgSq.forEach((m, i) => {
      assert.deepEqual(resumed.expAvgSq[i]!.toTypedArray(), m.toTypedArray());
    });
    for (const m of [model, loaded.model]) m.dispose();
  });

  it("the model's identity depends only on config, weights and tokenizer, not on when or how it was saved", () => {
    const { model, optimizer } = trainedModel();
    const dir = join(root, 'identity');
    const idAfterSave = (training?: Parameters<typeof saveCheckpoint>[3]) => {
      saveCheckpoint(dir, model, tokenizer, training);
      const loaded = loadCheckpoint(dir);
      loaded.model.dispose();
      return { id: loaded.modelId, manifest: readFileSync(join(dir, 'manifest.json'), 'utf8') };
    };
    const first = idAfterSave({ step: 1, rngState: new Rng(1).state, runConfig: {}, optimizer });
    assert.match(first.id, /^[0-9a-f]{64}$/);
    const start = Date.now();
    while (Date.now() === start); // a new savedAt
    const finished = idAfterSave(); // the finished checkpoint: same weights, no training state
    assert.notEqual(finished.manifest, first.manifest);
    assert.equal(finished.id, first.id);
    assert.equal(idAfterSave().id, first.id);
    // One weight changed by one ulp-scale step: a new identity.
    noGrad(() => model.parameters()[0]!.add_(1e-6));
    assert.notEqual(idAfterSave().id, first.id);
    model.dispose();
    optimizer.dispose();
  });

  it('a corrupted or mismatched checkpoint gives a clear error listing every problem', () => {
    const model = tinyModel(6);
    const dir = join(root, 'bad');
    saveCheckpoint(dir, model, tokenizer);
    // A flipped byte in the weights.
    const weights = readFileSync(join(dir, 'model.safetensors'));
    weights[weights.length - 3]! ^= 0xff;
    writeFileSync(join(dir, 'model.safetensors'), weights);
    assert.throws(
      () => loadCheckpoint(dir),
      (e: Error) =>
        e instanceof CheckpointError && /model\.safetensors: SHA-256 does not match/.test(e.message),
    );
    // A truncated file whose checksum was updated: the safetensors reader names the problem.
    writeFileSync(join(dir, 'model.safetensors'), weights.subarray(0, weights.length - 100));
    rehash(dir, 'model.safetensors');
    assert.throws(() => loadCheckpoint(dir), /truncated/);

    // A config that does not match the weights: every mismatched tensor is listed.
    saveCheckpoint(dir, model, tokenizer);
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, dModel: 32, nLayers: 3 }));
    rehash(dir, 'config.json');
    assert.throws(
      () => loadCheckpoint(dir),
      (e: Error) =>
        /lm\.tok\.weight' has shape \[\d+,64\], expected \[\d+,32\]/.test(e.message) &&
        /tensor 'lm\.blocks\.2\.ln1\.weight' is missing/.test(e.message),
    );
    rmSync(join(dir, 'manifest.json'));
    assert.throws(() => loadCheckpoint(dir), /manifest\.json is missing/);
    assert.throws(() => loadCheckpoint(join(root, 'nowhere')), /does not exist/);
    model.dispose();
  });

  it('refuses to load non-finite weights, naming the tensor, even with valid checksums', () => {
    const model = tinyModel(8);
    const dir = join(root, 'nan-on-disk');
    saveCheckpoint(dir, model, tokenizer);
    model.dispose();
    // Put a NaN into the saved weights and re-sign the manifest, as a foreign writer could.
    const weights = join(dir, 'model.safetensors');
    const { tensors } = loadSafetensors(weights);
    const name = 'lm.blocks.0.ln1.weight';
    noGrad(() => tensors[name]!.fill_(Number.POSITIVE_INFINITY));
    saveSafetensors(weights, tensors);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    manifest.sha256['model.safetensors'] = createHash('sha256').update(readFileSync(weights)).digest('hex');
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    assert.throws(
      () => loadCheckpoint(dir),
      (e: unknown) =>
        e instanceof CheckpointError &&
        /model\.safetensors: tensor 'lm\.blocks\.0\.ln1\.weight' holds NaN or infinite values/.test(
          e.message,
        ),
    );
  });

  it('refuses to save non-finite weights', () => {
    const model = tinyModel(7);
    noGrad(() => model.namedParameters()[0]![1].fill_(Number.NaN));
    assert.throws(() => saveCheckpoint(join(root, 'nan'), model, tokenizer), /lm\.tok\.weight hold NaN/);
    assert.equal(existsSync(join(root, 'nan')), false);
    model.dispose();
  });
});
