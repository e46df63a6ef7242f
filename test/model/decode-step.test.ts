// The fused decode step (one native call per token) against the op-by-op step it replaces.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../../src/algo/random.js';
import { getNumThreads, nn, setNumThreads, tensor } from '../../src/engine/index.js';
import { generate } from '../../src/model/generate.js';
import type { KVCache, VisionLanguageModel } from '../../src/model/model.js';
import { maxAbsDiff, noiseImage, promptIds, tinyModel, tokenizer, withRandomMixing } from './tiny-model.js';

const learned = tinyModel(4);
const rope = tinyModel(4, 'rope');
const mixed = withRandomMixing(tinyModel(4, 'learned', { localMix: 3 }), 6);
const mixedRope = withRandomMixing(tinyModel(4, 'rope', { localMix: 4 }), 7);
const models = { learned, rope, mixed, mixedRope };
let model = learned;
const rows = [promptIds('Question: which response is better?', 1), promptIds('Response 2', 0)];
const width = Math.max(...rows.map((r) => r.length));
const leftPadding = rows.map((r) => width - r.length);
const input = {
  tokens: rows.map((r, i) => [...new Array<number>(leftPadding[i]!).fill(tokenizer.id('pad')), ...r]),
  leftPadding,
  images: [[noiseImage(21)], []],
};

function prefilled(): KVCache {
  const cache = model.createCache(rows.length, width + 12);
  model.prefill(cache, input).dispose();
  return cache;
}
interface DecodeStepCall {
  cache: KVCache;
  weights: nn.DecodeWeights;
  /** nn.decodeStep on the next column of `cache`, with `patch` over its input and `w` as the weights. */
  step: (patch: Partial<nn.DecodeStepInput>, w?: nn.DecodeWeights) => ReturnType<typeof nn.decodeStep>;
}

/** Runs `body` with `m`'s decode weights and a step on a prefilled cache, then frees them. */
function withDecodeStep(m: VisionLanguageModel, body: (call: DecodeStepCall) => void): void {
  model = m;
  const cache = prefilled();
  const ids = tensor(BigInt64Array.from([1n, 2n]));
  try {
    const weights = (model as unknown as { decodeWeights(c: KVCache): nn.DecodeWeights }).decodeWeights(
      cache,
    );
    const step = (patch: Partial<nn.DecodeStepInput>, w: nn.DecodeWeights = weights) =>
      nn.decodeStep(w, {
        ids,
        positions: ids,
        keys: cache.keys,
        values: cache.values,
        column: cache.length,
        ...(model.config.localMix ? { mixHistory: cache.mixHistory } : {}),
        ...patch,
      });
    body({ cache, weights, step });
  } finally {
    ids.dispose();
    model.disposeCache(cache);
    model = learned;
  }
}

const read = (t: { toTypedArray(): unknown; dispose(): void }) => {
  const data = t.toTypedArray() as Float32Array;
  t.dispose();
  return data;
};

describe('fused decode step', () => {
  for (const [threads, variant] of [
    [1, 'learned'],
    [0, 'learned'],
    [1, 'rope'],
    [0, 'rope'],
    [1, 'mixed'],
    [0, 'mixed'],
    [1, 'mixedRope'],
  ] as const) {
    it(`gives the unfused step's logits and cache contents (left padding, images; threads ${threads}, ${variant})`, () => {
      model = models[variant];
      const fused = prefilled();
      const unfused = prefilled();
      model.decodeThreads = threads;
      try {
        let tokens = [tokenizer.id('eos'), 65];
        for (let s = 0; s < 10; s++) {
          const a = read(model.step(fused, tokens));
          const b = read(model.stepUnfused(unfused, tokens));
          assert.ok(maxAbsDiff(a, b) < 1e-5, `step ${s}: max |Δ logit| = ${maxAbsDiff(a, b)}`);
          assert.equal(fused.length, unfused.length);
          // Next tokens from the logits, so the two paths keep decoding the same sequence.
          const V = a.length / tokens.length;
          tokens = tokens.map((_, r) => {
            const row = a.subarray(r * V, (r + 1) * V);
            return row.indexOf(Math.max(...row));
          });
        }
        fused.keys.forEach((k, l) => {
          const diff = maxAbsDiff(
            read(k.narrow(2, 0, fused.length)),
            read(unfused.keys[l]!.narrow(2, 0, fused.length)),
          );
          assert.ok(diff < 1e-5, `layer ${l} keys differ by ${diff}`);
          const vDiff = maxAbsDiff(
            read(fused.values[l]!.narrow(2, 0, fused.length)),
            read(unfused.values[l]!.narrow(2, 0, fused.length)),
          );
          assert.ok(vDiff < 1e-5, `layer ${l} values differ by ${vDiff}`);
        });
        assert.equal(fused.mixHistory.length, variant.startsWith('mixed') ? 2 : 0);
        fused.mixHistory.forEach((h, l) => {
          const diff = maxAbsDiff(read(h.clone()), read(unfused.mixHistory[l]!.clone()));
          assert.ok(diff < 1e-5, `layer ${l} mixing history differs by ${diff}`);
        });
      } finally {
        model.decodeThreads = 1;
        model.disposeCache(fused);
        model.disposeCache(unfused);
        model = learned;
      }
    });
  }

  it('with local mixing, seeded sampling draws the same tokens as the op-by-op step (n > 1, left padding, images)', () => {
    const prompts = rows.map((tokens, i) => ({ tokens, images: input.images[i]! }));
    const params = { maxNewTokens: 24, temperature: 1, n: 3, stopAtEos: false };
    const unfused = Object.assign(Object.create(Object.getPrototypeOf(mixed)) as VisionLanguageModel, mixed, {
      step: mixed.stepUnfused,
    });
    const a = generate(mixed, tokenizer, prompts, params, new Rng(11));
    const b = generate(unfused, tokenizer, prompts, params, new Rng(11));
    assert.deepEqual(
      a.map((p) => p.map((g) => g.tokenIds)),
      b.map((p) => p.map((g) => g.tokenIds)),
    );
    const logProbs = (out: typeof a) => out.flat().flatMap((g) => g.logProbs);
    assert.ok(maxAbsDiff(logProbs(a), logProbs(b)) < 1e-5);
  });

  it('restores the engine thread setting and rejects malformed arguments with a clear error', () => {
    withDecodeStep(learned, ({ step, weights, cache }) => {
      const before = getNumThreads();
      setNumThreads(2);
      step({ threads: 1 }).dispose();
      assert.equal(getNumThreads(), 2, 'decodeStep must restore the intra-op thread count');
      setNumThreads(before);
      assert.throws(() => step({}, { ...weights, layers: weights.layers.slice(1) }), /12 per layer expected/);
      assert.throws(() => step({ column: cache.capacity }), /outside the cache capacity/);
      assert.throws(() => step({ keys: cache.keys.map((k) => k.narrow(2, 0, 3)) }), /contiguous/);
      assert.throws(() => step({}, { ...weights, pos: null }), /learned positions \(pos\) or a rotary base/);
    });
  });

  it('rejects local-mixing weights or histories that do not fit, naming the layer', () => {
    withDecodeStep(mixed, ({ step, weights, cache }) => {
      assert.throws(() => step({ mixHistory: [] }), /2 mixing weights and 0 mixing histories for 2 layers/);
      assert.throws(
        () => step({ mixHistory: cache.mixHistory.map((h) => h.narrow(1, 0, 2)) }),
        /layer 0 mixing history has shape \[2, 2, 64\].*expected contiguous float32 \[2, 3, 64\]/,
      );
      assert.throws(
        () => step({}, { ...weights, mix: weights.mix!.map((w) => w.narrow(1, 0, 8)) }),
        /layer 0 mixing weight has shape \[3, 8\]/,
      );
    });
  });
});
