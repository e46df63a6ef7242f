import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  cumulativeReturns,
  normalizeAdvantages,
  normalizeAdvantagesDetailed,
  PRE_CLIP,
  policyLoss,
  tokenRewards,
} from '../../src/index.js';

const close = (actual: number, expected: number, tol = 1e-3) =>
  assert.ok(Math.abs(actual - expected) <= tol, `expected ${expected}, got ${actual}`);

describe('tokenRewards (spec §4.1)', () => {
  it('puts the clamped reward on the last valid token of ragged rows', () => {
    const mask = [
      [1, 1, 1],
      [1, 0, 0],
    ];
    const out = tokenRewards({
      rewards: [2, 25],
      logProbs: [
        [-1, -1, -1],
        [-1, 0, 0],
      ],
      mask,
    });
    assert.deepEqual(out, [
      [0, 0, 2],
      [10, 0, 0],
    ]);
  });

  it('subtracts β·KL per token with k1 and k3', () => {
    const mask = [[1, 1]];
    const logProbs = [[-1, -2]];
    const refLogProbs = [[-1.5, -1]];
    const k1 = tokenRewards({ rewards: [1], logProbs, refLogProbs, mask, klCoef: 0.1 });
    close(k1[0]![0]!, -0.1 * 0.5, 1e-12);
    close(k1[0]![1]!, -0.1 * -1 + 1, 1e-12);
    const k3 = tokenRewards({ rewards: [1], logProbs, refLogProbs, mask, klCoef: 0.1, klEstimator: 'k3' });
    close(k3[0]![0]!, -0.1 * (Math.exp(-0.5) - 1 + 0.5), 1e-12);
    close(k3[0]![1]!, -0.1 * (Math.exp(1) - 1 - 1) + 1, 1e-12);
  });

  it('requires refLogProbs when β > 0 and rejects bad input with the index', () => {
    assert.throws(
      () => tokenRewards({ rewards: [1], logProbs: [[0]], mask: [[1]], klCoef: 0.1 }),
      /refLogProbs is required/,
    );
    assert.throws(
      () => tokenRewards({ rewards: [Number.NaN], logProbs: [[0]], mask: [[1]] }),
      /rewards\[0\]/,
    );
    assert.throws(
      () => tokenRewards({ rewards: [1, 1], logProbs: [[0]], mask: [[1]] }),
      /rewards has 2 entries/,
    );
    assert.throws(() => tokenRewards({ rewards: [], logProbs: [], mask: [] }), /mask is empty/);
    assert.throws(
      () => tokenRewards({ rewards: [1], logProbs: [[0, 0]], mask: [[0, 0]] }),
      /mask\[0\] has no valid token/,
    );
    assert.throws(
      () => tokenRewards({ rewards: [1], logProbs: [[0, 0]], mask: [[1]] }),
      /logProbs\[0\] has length 2/,
    );
  });
});

describe('cumulativeReturns (spec §4.2)', () => {
  it('sums rewards backwards with γ and leaves padding at 0', () => {
    const mask = [
      [1, 1, 1, 0],
      [1, 1, 0, 0],
    ];
    const r = [
      [0.5, 0, 1, 0],
      [0, 2, 0, 0],
    ];
    assert.deepEqual(cumulativeReturns({ tokenRewards: r, mask }), [
      [1.5, 1, 1, 0],
      [2, 2, 0, 0],
    ]);
    const discounted = cumulativeReturns({ tokenRewards: r, mask, gamma: 0.5 });
    assert.deepEqual(discounted[0], [0.5 + 0.5 * 0.5, 0.5, 1, 0]);
  });
});

describe('normalizeAdvantages (spec §4.3–4.4)', () => {
  // 255 rewards of 1 and one of 0, one token each.
  const mask = Array.from({ length: 256 }, () => [1]);
  const advantages = Array.from({ length: 256 }, (_, i) => [i === 0 ? 0 : 1]);

  it("reproduces the paper's −15.96 z-score, and the filter removes it", () => {
    const none = normalizeAdvantagesDetailed({ advantages, mask, filter: 'none' });
    close(none.mean, 255 / 256, 1e-12);
    close(none.std, Math.sqrt(255) / 256, 1e-12);
    close(none.advantages[0]![0]!, -15.9687, 1e-4);
    close(none.advantages[1]![0]!, 1 / Math.sqrt(255), 1e-12);
    close(none.advantages[1]![0]!, 0.0626, 1e-4);
    assert.equal(none.filteredTokens, 0);

    const paper = normalizeAdvantagesDetailed({ advantages, mask, filter: 'paper' });
    assert.equal(paper.advantages[0]![0], 0);
    close(paper.advantages[1]![0]!, 0.0626, 1e-4);
    assert.equal(paper.filteredTokens, 1);
  });

  it('released window: zeroes z outside [μ − 3, μ + 3] with μ the raw mean (can drop every negative z)', () => {
    // Rewards in [0, 2]: μ = 1.5, so the window is [−1.5, 4.5] in z units.
    const m = [[1], [1], [1], [1]];
    const a = [[0], [2], [2], [2]];
    const released = normalizeAdvantages({ advantages: a, mask: m, filter: 'released' });
    // z = (0 − 1.5)/0.866 = −1.732 < −1.5: dropped; z for 2 = 0.577 kept.
    assert.equal(released[0]![0], 0);
    close(released[1]![0]!, 0.5774, 1e-4);
    const paper = normalizeAdvantages({ advantages: a, mask: m, filter: 'paper' });
    close(paper[0]![0]!, -1.7321, 1e-4);
  });

  it('released window: also zeroes |z| > 10 even inside the window', () => {
    // One return of 3456 among 255 zeros: raw μ = 13.5, window [10.5, 16.5]. The outlier's
    // z = √255 ≈ 15.97 lies inside the window but above 10; the zeros' z ≈ −0.06 lie outside it.
    const n = 256;
    const m = Array.from({ length: n }, () => [1]);
    const a = Array.from({ length: n }, (_, i) => [i === 0 ? 3456 : 0]);
    const out = normalizeAdvantagesDetailed({ advantages: a, mask: m, filter: 'released' });
    close(out.mean, 13.5, 1e-12);
    assert.ok(out.advantages.every((row) => row[0] === 0));
    assert.equal(out.filteredTokens, n);
    const paper = normalizeAdvantagesDetailed({ advantages: a, mask: m, filter: 'paper' });
    assert.equal(paper.filteredTokens, 1);
  });

  it('weights tokens, not sequences, with ragged masks and returns 0 on padding', () => {
    const m = [
      [1, 1, 1],
      [1, 0, 0],
    ];
    const a = [
      [1, 1, 1],
      [0, 99, 99],
    ];
    const out = normalizeAdvantages({ advantages: a, mask: m, filter: 'none' });
    // μ = 3/4, var = (3·(1/4)² + (3/4)²)/4 = 3/16, σ = 0.4330
    close(out[0]![0]!, 0.25 / Math.sqrt(3 / 16), 1e-12);
    close(out[1]![0]!, -0.75 / Math.sqrt(3 / 16), 1e-12);
    assert.deepEqual([out[1]![1], out[1]![2]], [0, 0]);
  });

  it('floors σ so equal rewards give z = 0, not NaN', () => {
    const out = normalizeAdvantages({ advantages: [[1], [1]], mask: [[1], [1]], filter: 'none' });
    assert.deepEqual(out, [[0], [0]]);
  });

  it('rejects an unknown filter', () => {
    // A JavaScript caller can pass anything.
    assert.throws(
      () => normalizeAdvantages({ advantages: [[1]], mask: [[1]], filter: 'bogus' as never }),
      /filter must be/,
    );
  });
});

describe('policyLoss (spec §4.5)', () => {
  const example = {
    logProbs: [[-0.1, -0.1, -0.1, -0.1]],
    oldLogProbs: [[-10, -0.2, -0.2, -5]],
    advantages: [[-1, -1, 0.5, -0.5]],
    mask: [[1, 1, 1, 1]],
  };

  it("plain PPO reproduces the spec's per-token losses", () => {
    const out = policyLoss({ ...example, preClip: false });
    const expected = [19930.37, 1.105, -0.553, 67.145];
    for (const [t, l] of out.tokenLoss[0]!.entries()) close(l, expected[t]!, 5e-3);
    close(out.loss, expected.reduce((s, x) => s + x, 0) / 4, 5e-3);
    close(out.maxTokenLoss, 19930.37, 5e-3);
  });

  it("Pre-CLIP caps the first token's loss at 1000", () => {
    const out = policyLoss(example);
    const expected = [1000, 1.105, -0.553, 67.145];
    for (const [t, l] of out.tokenLoss[0]!.entries()) close(l, expected[t]!, 5e-3);
    close(out.ratioMax, 1000, 1e-9);
    assert.equal(out.ratioTail.aboveMaxNegA, 0.25);
    assert.equal(out.ratioTail.belowMinNegA, 0);
    assert.deepEqual(PRE_CLIP, { min: Math.log(1e-3), max: Math.log(1e3) });
  });

  it('averages over tokens per sequence, then over sequences', () => {
    const out = policyLoss({
      logProbs: [
        [0, 0, 0],
        [0, 0, 0],
      ],
      oldLogProbs: [
        [0, 0, 0],
        [0, 0, 0],
      ],
      advantages: [
        [1, 1, 1],
        [-3, 7, 7],
      ],
      mask: [
        [1, 1, 1],
        [1, 0, 0],
      ],
    });
    // ρ = 1 everywhere: sequence losses −1 and +3; mean 1.
    close(out.loss, 1, 1e-12);
    assert.equal(out.clipFraction, 0);
    assert.equal(out.ratioMean, 1);
  });

  it('counts clipped tokens', () => {
    const out = policyLoss({
      logProbs: [[Math.log(2), Math.log(0.5)]],
      oldLogProbs: [[0, 0]],
      advantages: [[1, -1]],
      mask: [[1, 1]],
    });
    // ρ = 2 with A > 0 clips to 1.2; ρ = 0.5 with A < 0 clips to 0.8: both clipped.
    assert.equal(out.clipFraction, 1);
    close(out.loss, (-1.2 + 0.8) / 2, 1e-12);
  });

  it('flags the non-finite losses that plain PPO can produce', () => {
    const out = policyLoss({
      logProbs: [[0]],
      oldLogProbs: [[-800]],
      advantages: [[0]],
      mask: [[1]],
      preClip: false,
    });
    assert.equal(out.nonFiniteTokens, 1);
    const clipped = policyLoss({ logProbs: [[0]], oldLogProbs: [[-800]], advantages: [[0]], mask: [[1]] });
    assert.equal(clipped.nonFiniteTokens, 0);
    assert.ok(Number.isFinite(clipped.loss));
  });

  it('rejects mismatched shapes, non-finite values and bad settings by name and index', () => {
    assert.throws(
      () => policyLoss({ ...example, oldLogProbs: [[0, 0, 0]] }),
      /oldLogProbs\[0\] has length 3/,
    );
    assert.throws(
      () => policyLoss({ ...example, advantages: [[1, Number.POSITIVE_INFINITY, 1, 1]] }),
      /advantages\[0\]\[1\] must be a finite number/,
    );
    assert.throws(() => policyLoss({ ...example, clipEps: 1.5 }), /clipEps/);
    assert.throws(() => policyLoss({ ...example, preClip: { min: 1, max: -1 } }), /preClip.min/);
    assert.throws(() => policyLoss({ ...example, mask: [[1, 2, 1, 1]] }), /mask\[0\]\[1\] must be 0 or 1/);
  });
});

describe('properties', () => {
  const batch = fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 6 }).chain((lengths) => {
    const row = (len: number, arb: fc.Arbitrary<number>) => fc.array(arb, { minLength: len, maxLength: len });
    const matrix = (arb: fc.Arbitrary<number>) => fc.tuple(...lengths.map((len) => row(len, arb)));
    const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true });
    return fc.record({
      mask: fc.constant(lengths.map((len) => Array.from({ length: len }, () => 1))),
      a: matrix(finite),
      b: matrix(finite),
      c: matrix(finite),
    });
  });

  it('with Pre-CLIP the loss is finite for any finite inputs', () => {
    fc.assert(
      fc.property(batch, ({ mask, a, b, c }) => {
        const out = policyLoss({ logProbs: a, oldLogProbs: b, advantages: c, mask });
        return Number.isFinite(out.loss) && out.nonFiniteTokens === 0;
      }),
    );
  });

  it('the paper filter never returns |z| > 3', () => {
    fc.assert(
      fc.property(batch, ({ mask, a }) =>
        normalizeAdvantages({ advantages: a, mask, filter: 'paper' }).every((row) =>
          row.every((z) => Math.abs(z) <= 3),
        ),
      ),
    );
  });

  it('normalisation is invariant to adding a constant to all rewards', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 2, maxLength: 64 }),
        fc.double({ min: -8, max: 8, noNaN: true }), // rewards stay inside the ±10 clip
        (halfRewards, shift) => {
          const mask = halfRewards.map(() => [1, 1]);
          const rewards = halfRewards.map((r) => r / 2);
          const returnsOf = (rs: number[]) =>
            cumulativeReturns({ tokenRewards: tokenRewards({ rewards: rs, logProbs: mask, mask }), mask });
          const base = normalizeAdvantages({ advantages: returnsOf(rewards), mask, filter: 'none' });
          const shifted = normalizeAdvantages({
            advantages: returnsOf(rewards.map((r) => r + shift)),
            mask,
            filter: 'none',
          });
          return base.every((row, i) => row.every((z, t) => Math.abs(z - shifted[i]![t]!) < 1e-6));
        },
      ),
    );
  });
});
