// The fused decode step (one native call per token) against the op-by-op step it replaces.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getNumThreads, nn, setNumThreads, tensor } from '../../src/engine/index.js';
import type { KVCache } from '../../src/model/model.js';
import { maxAbsDiff, noiseImage, promptIds, tinyModel, tokenizer } from './tiny-model.js';

const learned = tinyModel(4);
const rope = tinyModel(4, 'rope');
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
const read = (t: { toTypedArray(): unknown; dispose(): void }) => {
  const data = t.toTypedArray() as Float32Array;
  t.dispose();
  return data;
};

describe('fused decode step', () => {
  for (const [threads, positions] of [
    [1, 'learned'],
    [0, 'learned'],
    [1, 'rope'],
    [0, 'rope'],
  ] as const) {
    it(`gives the unfused step's logits and cache contents (left padding, images; threads ${threads}, ${positions} positions)`, () => {
      model = positions === 'rope' ? rope : learned;
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
      } finally {
        model.decodeThreads = 1;
        model.disposeCache(fused);
        model.disposeCache(unfused);
        model = learned;
      }
    });
  }

  it('restores the engine thread setting and rejects malformed arguments with a clear error', () => {
    const cache = prefilled();
    try {
      const weights = (model as unknown as { decodeWeights(c: KVCache): nn.DecodeWeights }).decodeWeights(
        cache,
      );
      const ids = tensor(BigInt64Array.from([1n, 2n]));
      const step = (patch: Partial<nn.DecodeStepInput>, w: nn.DecodeWeights = weights) =>
        nn.decodeStep(w, {
          ids,
          positions: ids,
          keys: cache.keys,
          values: cache.values,
          column: cache.length,
          ...patch,
        });
      const before = getNumThreads();
      setNumThreads(2);
      step({ threads: 1 }).dispose();
      assert.equal(getNumThreads(), 2, 'decodeStep must restore the intra-op thread count');
      setNumThreads(before);
      assert.throws(() => step({}, { ...weights, layers: weights.layers.slice(1) }), /12 per layer expected/);
      assert.throws(() => step({ column: cache.capacity }), /outside the cache capacity/);
      assert.throws(() => step({ keys: cache.keys.map((k) => k.narrow(2, 0, 3)) }), /contiguous/);
      assert.throws(() => step({}, { ...weights, pos: null }), /learned positions \(pos\) or a rotary base/);
      ids.dispose();
    } finally {
      model.disposeCache(cache);
    }
  });
});
