import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../../src/algo/random.js';
import { logSoftmaxAt, orderByLogit, sampleToken } from '../../src/model/sampling.js';

const logits = Float32Array.from([2, 1, 0.5, -1, 3]);

describe('Rng', () => {
  it('is reproducible from a seed and from a saved state', () => {
    const a = new Rng(42);
    const first = Array.from({ length: 5 }, () => a.next());
    const b = new Rng(42);
    assert.deepEqual(
      Array.from({ length: 5 }, () => b.next()),
      first,
    );
    const saved = b.state;
    const fromState = new Rng(saved);
    assert.equal(fromState.next(), b.next());
    assert.notDeepEqual(
      Array.from({ length: 5 }, () => new Rng(43).next()),
      first,
    );
  });
  it('forks independent, valid child streams', () => {
    const parent = new Rng(9);
    const child = parent.fork();
    assert.notEqual(child.next(), parent.next());
    assert.ok(child.state.every((x) => x >= 0 && x <= 0xffffffff));
  });
  it('draws integers uniformly enough', () => {
    const rng = new Rng(1);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) counts[rng.int(4)]!++;
    for (const c of counts) assert.ok(Math.abs(c - 10_000) < 400, `count ${c}`);
  });
});

describe('sampleToken', () => {
  it('greedy picks the argmax and reports its full-distribution log-prob', () => {
    const out = sampleToken(logits, 0, 5, { temperature: 0 }, new Rng(0));
    assert.equal(out.token, 4);
    const z = Math.log([...logits].reduce((s, x) => s + Math.exp(x), 0));
    assert.ok(Math.abs(out.logProb - (3 - z)) < 1e-6);
    assert.ok(Math.abs(logSoftmaxAt(logits, 0, 5, 0) - (2 - z)) < 1e-6);
  });

  it('top-k never returns a token outside the k most likely', () => {
    const rng = new Rng(3);
    for (let i = 0; i < 2000; i++)
      assert.ok([4, 0].includes(sampleToken(logits, 0, 5, { topK: 2 }, rng).token));
  });

  it('top-p keeps the smallest nucleus reaching p', () => {
    // Softmax ≈ [0.237, 0.087, 0.053, 0.012, 0.645]: p = 0.8 keeps tokens 4 and 0 only.
    const rng = new Rng(4);
    const seen = new Set<number>();
    for (let i = 0; i < 3000; i++) seen.add(sampleToken(logits, 0, 5, { topP: 0.8 }, rng).token);
    assert.deepEqual([...seen].sort(), [0, 4]);
  });

  it('samples in proportion to the softmax at temperature 1 and is seeded', () => {
    const rng = new Rng(5);
    const counts = new Array(5).fill(0);
    const n = 50_000;
    for (let i = 0; i < n; i++) counts[sampleToken(logits, 0, 5, {}, rng).token]++;
    const z = [...logits].reduce((s, x) => s + Math.exp(x), 0);
    for (let t = 0; t < 5; t++) assert.ok(Math.abs(counts[t] / n - Math.exp(logits[t]!) / z) < 0.01);
    const a = Array.from({ length: 20 }, (_, i) => sampleToken(logits, 0, 5, {}, new Rng(i)).token);
    const b = Array.from({ length: 20 }, (_, i) => sampleToken(logits, 0, 5, {}, new Rng(i)).token);
    assert.deepEqual(a, b);
  });

  it('reads a row at an offset of a batch', () => {
    const batch = Float32Array.from([0, 0, 9, 9, 0, 0]);
    assert.equal(sampleToken(batch, 3, 3, { temperature: 0 }, new Rng(0)).token, 0);
  });
});

describe('orderByLogit', () => {
  it('orders ids exactly as the descending comparator with ties by id', () => {
    const rng = new Rng(17);
    for (let trial = 0; trial < 50; trial++) {
      const vocab = 1 + rng.int(400);
      // Ties, negative and positive values, zeros of both signs, large magnitudes.
      const values = Float32Array.from({ length: vocab }, () => {
        const r = rng.next();
        return r < 0.2 ? rng.int(3) - 1 : r < 0.25 ? -0 : (rng.next() - 0.5) * 10 ** rng.int(6);
      });
      const want = Array.from({ length: vocab }, (_, i) => i).sort(
        (x, y) => values[y]! - values[x]! || x - y,
      );
      assert.deepEqual(Array.from(orderByLogit(values, 0, vocab)), want);
    }
  });

  it('draws by walking that order: the token a linear scan of the sorted weights picks, and the exact log-prob', () => {
    const rng = new Rng(23);
    for (const temperature of [1, 0.7]) {
      for (let trial = 0; trial < 30; trial++) {
        const vocab = 2 + rng.int(600);
        const row = Float32Array.from({ length: vocab }, () => Math.round((rng.next() - 0.5) * 48) / 8);
        const seed = rng.int(1000);
        const got = sampleToken(row, 0, vocab, { temperature }, new Rng(seed));
        // The definition, written out: ids by descending logit (ties by id), weights exp((l − max)/T).
        const order = Array.from({ length: vocab }, (_, i) => i).sort((x, y) => row[y]! - row[x]! || x - y);
        const weights = order.map((i) => Math.exp((row[i]! - row[order[0]!]!) / temperature));
        let u = new Rng(seed).next() * weights.reduce((a, b) => a + b, 0);
        let want = order.at(-1)!;
        for (let r = 0; r < vocab; r++) {
          u -= weights[r]!;
          if (u < 0) {
            want = order[r]!;
            break;
          }
        }
        assert.equal(got.token, want);
        assert.equal(got.logProb, logSoftmaxAt(row, 0, vocab, want));
      }
    }
  });
});
