// generateSteps: the incremental form of generate yields the same tokens and log-probs step by step,
// drops rows on request without touching the others' draws order, and frees the KV cache when the
// consumer stops early.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../../src/algo/random.js';
import { type Generation, generate, generateSteps, type Prompt } from '../../src/model/generate.js';
import type { KVCache } from '../../src/model/model.js';
import { noiseImage, promptIds, tinyModel, tokenizer } from './tiny-model.js';

const model = tinyModel(3);
const prompts: Prompt[] = [
  { tokens: promptIds('Question: which response is better?', 1), images: [noiseImage(11)] },
  { tokens: promptIds('Response 1: a blue circle', 0) },
];

/** Every cache the model hands out during `fn`, to check that each one's tensors were freed. */
function watchCaches(fn: () => void): KVCache[] {
  const caches: KVCache[] = [];
  const create = model.createCache.bind(model);
  const repeat = model.repeatCache.bind(model);
  model.createCache = (batch, capacity) => {
    const c = create(batch, capacity);
    caches.push(c);
    return c;
  };
  model.repeatCache = (cache, n) => {
    const c = repeat(cache, n);
    caches.push(c);
    return c;
  };
  try {
    fn();
  } finally {
    model.createCache = create;
    model.repeatCache = repeat;
  }
  return caches;
}

const freed = (c: KVCache) => [...c.keys, ...c.values, ...c.packed].every((t) => t.disposed);

describe('generateSteps', () => {
  it('yields the tokens and log-probs of generate, step by step, for the same seed', () => {
    for (const params of [
      { maxNewTokens: 12, temperature: 1, n: 3, stopAtEos: false },
      { maxNewTokens: 20, temperature: 0.8, topP: 0.9, n: 2 },
    ]) {
      const whole = generate(model, tokenizer, prompts, params, new Rng(21));
      const steps = generateSteps(model, tokenizer, prompts, params, new Rng(21));
      const seen = whole.map((samples) => samples.map(() => ({ ids: [] as number[], lps: [] as number[] })));
      let result: Generation[][] | undefined;
      let count = 0;
      for (;;) {
        const next = steps.next();
        if (next.done) {
          result = next.value;
          break;
        }
        assert.equal(next.value.step, count++);
        for (const t of next.value.tokens) {
          const s = seen[t.prompt]![t.sample]!;
          s.ids.push(t.token);
          s.lps.push(t.logProb);
          const want = whole[t.prompt]![t.sample]!;
          // A row's finishing token says why it finished; no token follows it.
          if (t.finishReason !== null) assert.equal(t.finishReason, want.finishReason);
          assert.equal(t.finishReason !== null, s.ids.length === want.tokenIds.length);
        }
      }
      assert.deepEqual(result, whole);
      for (const [i, samples] of seen.entries())
        for (const [j, s] of samples.entries()) {
          assert.deepEqual(s.ids, whole[i]![j]!.tokenIds);
          assert.deepEqual(s.lps, whole[i]![j]!.logProbs);
        }
    }
  });

  it('frees the KV cache when the consumer stops early, and when it runs to the end', () => {
    const params = { maxNewTokens: 16, temperature: 1, n: 2, stopAtEos: false };
    const early = watchCaches(() => {
      const steps = generateSteps(model, tokenizer, prompts, params, new Rng(3));
      steps.next();
      steps.next();
      assert.equal(steps.return([]).done, true);
    });
    assert.equal(early.length, 2, 'the prompt cache and its n-fold copy');
    assert.ok(early.every(freed), 'every cache tensor is disposed after return()');
    const broken = watchCaches(() => {
      for (const step of generateSteps(model, tokenizer, prompts, params, new Rng(3)))
        if (step.step === 4) break;
    });
    assert.ok(broken.length > 0 && broken.every(freed), 'break in for-of frees the cache');
    const full = watchCaches(() => generate(model, tokenizer, prompts, params, new Rng(3)));
    assert.ok(full.length > 0 && full.every(freed));
  });

  it('drops the rows it is told to; the others go on', () => {
    const params = { maxNewTokens: 10, temperature: 1, n: 2, stopAtEos: false };
    const steps = generateSteps(model, tokenizer, prompts, params, new Rng(8));
    let next = steps.next();
    let rowsAfterDrop: number[] = [];
    let dropped = false;
    const caches = watchCaches(() => {
      while (!next.done) {
        if (dropped) rowsAfterDrop = [...new Set([...rowsAfterDrop, ...next.value.tokens.map((t) => t.row)])];
        next = steps.next(dropped ? [] : [1, 2]);
        dropped = true;
      }
    });
    assert.ok(caches.every(freed));
    assert.deepEqual(rowsAfterDrop.sort(), [0, 3]);
    const out = next.value as Generation[][];
    assert.equal(out[0]![1]!.tokenIds.length, 1);
    assert.equal(out[0]![1]!.finishReason, 'length');
    assert.equal(out[0]![0]!.tokenIds.length, 10);
    assert.throws(() => {
      const s = generateSteps(model, tokenizer, prompts, params, new Rng(8));
      s.next();
      s.next([7]);
    }, /row 7 is not in \[0, 4\)/);
  });
});
