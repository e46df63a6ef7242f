import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { noGrad, scope } from '../../src/engine/index.js';
import { countParameters, presetConfig } from '../../src/model/config.js';
import { patchify, VisionLanguageModel } from '../../src/model/model.js';
import { sequenceLogProbs, sequenceLogProbsNoGrad } from '../../src/model/scoring.js';
import { config, maxAbsDiff, noiseImage, perImage, promptIds, tinyModel, tokenizer } from './tiny-model.js';

const logitsOf = (model: VisionLanguageModel, input: Parameters<VisionLanguageModel['forward']>[0]) =>
  noGrad(() => scope(() => model.forward(input).toTypedArray() as Float32Array));

describe('VisionLanguageModel', () => {
  it('qkInitStd rescales only the LM query and key weights, from the same draws', () => {
    const weights = (m: VisionLanguageModel) =>
      Object.fromEntries(m.namedParameters().map(([n, t]) => [n, t.toTypedArray() as Float32Array]));
    const base = new VisionLanguageModel(config, { seed: 3, imageTokenId: tokenizer.id('image') });
    const same = new VisionLanguageModel(
      { ...config, qkInitStd: 0.02 },
      { seed: 3, imageTokenId: tokenizer.id('image') },
    );
    const sharp = new VisionLanguageModel(
      { ...config, qkInitStd: 0.08 },
      { seed: 3, imageTokenId: tokenizer.id('image') },
    );
    const [a, b, c] = [weights(base), weights(same), weights(sharp)];
    const d = config.dModel;
    for (const name of Object.keys(a)) {
      assert.deepEqual(b[name], a[name], name);
      if (name.startsWith('lm.blocks.') && name.endsWith('attn.qkv.weight')) {
        const scaled = a[name]!.subarray(0, 2 * d * d).map((x) => x * 4);
        assert.ok(maxAbsDiff(c[name]!.subarray(0, 2 * d * d), scaled) < 1e-6, name);
        assert.deepEqual(c[name]!.subarray(2 * d * d), a[name]!.subarray(2 * d * d), `${name}: values`);
      } else {
        assert.deepEqual(c[name], a[name], name);
      }
    }
    for (const m of [base, same, sharp]) m.dispose();
    assert.throws(
      () => new VisionLanguageModel({ ...config, qkInitStd: 0 }, { imageTokenId: 2 }),
      /config.qkInitStd must be a positive number, got 0/,
    );
  });

  it('localMix adds zero-initialised mixing weights: the same function at init, a checked field', () => {
    const plain = new VisionLanguageModel(config, { seed: 4, imageTokenId: 2 });
    const mixed = new VisionLanguageModel({ ...config, localMix: 3 }, { seed: 4, imageTokenId: 2 });
    const names = mixed.namedParameters().map(([n]) => n);
    assert.deepEqual(
      names.filter((n) => n.endsWith('.mix.weight')),
      ['lm.blocks.0.mix.weight', 'lm.blocks.1.mix.weight'],
    );
    const tokens = [[5, 6, 7, 8, 9]];
    const a = plain.forward({ tokens }).toTypedArray() as Float32Array;
    const b = mixed.forward({ tokens }).toTypedArray() as Float32Array;
    assert.ok(maxAbsDiff(a, b) < 1e-6);
    for (const m of [plain, mixed]) m.dispose();
    assert.throws(
      () => new VisionLanguageModel({ ...config, localMix: 1.5 }, { imageTokenId: 2 }),
      /config.localMix must be an integer ≥ 0, got 1.5/,
    );
  });

  it('has exactly countParameters(config) parameters, with unique names, for every preset', () => {
    for (const [name, vocab] of [
      ['tiny', 300],
      ['cells', 512],
      ['cells-mix', 512],
      ['policy', 512],
      ['small', 1000],
      ['reference-lm', 263],
    ] as const) {
      const cfg = presetConfig(name, vocab);
      const model = new VisionLanguageModel(cfg, { imageTokenId: cfg.vision ? 2 : null });
      const named = model.namedParameters();
      assert.equal(
        named.reduce((s, [, t]) => s + t.numel(), 0),
        countParameters(cfg),
        name,
      );
      assert.equal(new Set(named.map(([n]) => n)).size, named.length);
      if (name === 'cells-mix')
        assert.equal(countParameters(cfg), countParameters(presetConfig('cells', vocab)) + 2 * 4 * 128);
      model.dispose();
    }
  });

  it('initialises deterministically from the seed', () => {
    const a = tinyModel(7);
    const b = tinyModel(7);
    const c = tinyModel(8);
    const w = (m: VisionLanguageModel) => m.namedParameters()[0]![1].toTypedArray();
    assert.deepEqual(w(a), w(b));
    assert.notDeepEqual(w(a), w(c));
    // A clone starts equal and stays independent.
    const d = c.clone();
    assert.deepEqual(w(d), w(c));
    noGrad(() => d.namedParameters()[0]![1].fill_(0));
    assert.notDeepEqual(w(d), w(c));
    d.dispose();
    for (const m of [a, b, c]) m.dispose();
  });

  it('patchify lays each patch out as (channel, y, x), patches row-major', () => {
    const img = Float32Array.from({ length: 3 * 32 * 32 }, (_, i) => i / 4096); // exact in float32
    const p = patchify([img], config.vision!);
    assert.equal(p.length, 16 * 3 * 64);
    // Patch 1 (row 0, column 1), channel 0, y 0, x 0 is pixel (0, 0, 8).
    assert.equal(p[192]! * 4096, 8);
    // Patch 4 (row 1, column 0), channel 2, y 1, x 3 is pixel (2, 9, 3).
    assert.equal(p[4 * 192 + 2 * 64 + 8 + 3]! * 4096, 2 * 1024 + 9 * 32 + 3);
    assert.throws(() => patchify([new Float32Array(10)], config.vision!), /3×32×32 = 3072 pixels/);
    const bright = new Float32Array(3 * 32 * 32).fill(0.5);
    bright[1024 + 33] = 255;
    assert.throws(
      () => patchify([bright], config.vision!),
      /pixel \(channel 1, y 1, x 1\) = 255 is outside \[0, 1\]/,
    );
  });

  it('forward gives [B, T, vocab] logits and checks its inputs clearly', () => {
    const model = tinyModel();
    const a = promptIds('Question: which?', 1);
    const b = promptIds('Question: blue', 1).slice(0, a.length);
    while (b.length < a.length) b.push(5);
    const shape = scope(
      () => model.forward({ tokens: [a, b], images: [[noiseImage(1)], [noiseImage(2)]] }).shape,
    );
    assert.deepEqual(shape, [2, a.length, config.vocabSize]);
    assert.throws(() => model.forward({ tokens: [a] }), /row 0 has 16 image placeholder tokens but 0 image/);
    assert.throws(() => model.forward({ tokens: [a, a.slice(1)] }), /pad rows to one length/);
    assert.throws(() => model.forward({ tokens: [[config.vocabSize]] }), /outside the vocabulary/);
    model.dispose();
  });

  it('is causal: later tokens never change earlier logits', () => {
    const model = tinyModel();
    const V = config.vocabSize;
    const x = tokenizer.encode('Response 1: a red square');
    const y = [...x.slice(0, 5), ...x.slice(5).map((t) => (t + 17) % V)];
    const lx = logitsOf(model, { tokens: [x] });
    const ly = logitsOf(model, { tokens: [y] });
    assert.ok(maxAbsDiff(lx.subarray(0, 5 * V), ly.subarray(0, 5 * V)) < 1e-6);
    assert.ok(maxAbsDiff(lx.subarray(5 * V), ly.subarray(5 * V)) > 1e-3);
    model.dispose();
  });

  it('masks left padding: a padded row scores its real tokens as if unpadded', () => {
    const model = tinyModel();
    const V = config.vocabSize;
    const x = promptIds('Question: which response?', 1);
    const img = [noiseImage(3)];
    const alone = logitsOf(model, { tokens: [x], images: [img] });
    const padded = logitsOf(model, {
      tokens: [[0, 0, 0, ...x]],
      images: [img],
      leftPadding: [3],
    });
    assert.ok(maxAbsDiff(alone, padded.subarray(3 * V)) < 1e-5);
    model.dispose();
  });

  it('images matter: another image changes the text logits; two images per prompt work', () => {
    const model = tinyModel();
    const V = config.vocabSize;
    const x = promptIds('Question: which?', 2);
    const a = logitsOf(model, { tokens: [x], images: [[noiseImage(1, 0.2), noiseImage(2, 0.8)]] });
    const b = logitsOf(model, { tokens: [x], images: [[noiseImage(2, 0.8), noiseImage(1, 0.2)]] });
    const textStart = 2 * perImage * V;
    assert.ok(maxAbsDiff(a.subarray(textStart), b.subarray(textStart)) > 1e-4, 'image order must matter');
    model.dispose();
  });

  it('scores responses batched and masked, equal to one-row scoring; the policy pass has gradients', () => {
    const model = tinyModel();
    const p1 = promptIds('Question: which?', 1);
    const p2 = promptIds('Question: which response is better?', 1);
    const r1 = tokenizer.encode('<think>red</think><answer>1</answer>');
    const r2 = tokenizer.encode('<answer>2</answer>');
    const images = [[noiseImage(4)], [noiseImage(5)]];
    const both = sequenceLogProbsNoGrad(model, { prompts: [p1, p2], responses: [r1, r2], images });
    assert.deepEqual(
      both.map((r) => r.length),
      [r1.length, r2.length],
    );
    const one = sequenceLogProbsNoGrad(model, { prompts: [p2], responses: [r2], images: [images[1]!] });
    assert.ok(maxAbsDiff(both[1]!, one[0]!) < 1e-5);
    assert.ok(both.flat().every((v) => v < 0 && Number.isFinite(v)));

    scope(() => {
      const { logProbs, mask } = sequenceLogProbs(model, { prompts: [p1, p2], responses: [r1, r2], images });
      assert.deepEqual(logProbs.shape, [2, r1.length]);
      assert.equal(mask.sum().item(), r1.length + r2.length);
      // Masked positions are exactly 0 and get no gradient.
      assert.ok((logProbs.toTypedArray() as Float32Array)[r1.length + r2.length] === 0);
      logProbs.mul(mask).sum().neg().backward();
      const grads = model.namedParameters().filter(([n]) => n.startsWith('vision.'));
      assert.ok(
        grads.every(([, t]) => (t.grad?.abs().sum().item() ?? 0) > 0),
        'every vision parameter gets a gradient',
      );
    });
    model.dispose();
  });
});
