import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  anyCorrect,
  broadcastToTokens,
  countVotes,
  groupAdvantages,
  rlooAdvantages,
  vote,
} from '../../src/index.js';

describe('vote / anyCorrect (spec §6)', () => {
  it('takes the majority of parsed choices; unparseable samples do not vote', () => {
    assert.equal(vote([1, 2, 2, null, 1, 2]), 2);
    assert.equal(vote([null, null, 1]), 1);
    assert.deepEqual(countVotes([1, 2, null, 2]), { ones: 1, twos: 2, unparseable: 1 });
  });

  it('documents the tie rule: none by default, or the first parsed sample', () => {
    assert.equal(vote([1, 2]), null);
    assert.equal(vote([null, 2, 1]), null);
    assert.equal(vote([null, 2, 1], { tie: 'first' }), 2);
    assert.equal(vote([], { tie: 'first' }), null);
    // @ts-expect-error testing bad input from JavaScript callers
    assert.throws(() => vote([1], { tie: 'coin' }), /tie must be/);
  });

  it('Any@K is true when any sample matches the label', () => {
    assert.equal(anyCorrect([2, null, 1], 1), true);
    assert.equal(anyCorrect([2, null], 1), false);
    // @ts-expect-error testing bad input from JavaScript callers
    assert.throws(() => anyCorrect([1], 3), /label must be 1 or 2/);
  });
});

describe('GRPO and RLOO advantages', () => {
  it('GRPO z-scores within each group with the unbiased std', () => {
    const a = groupAdvantages({ rewards: [0, 2, 1, 1], groupSize: 2 });
    // Group 1: mean 1, unbiased std √2 → ∓1/√2; group 2 agrees → 0.
    assert.ok(Math.abs(a[0]! + 1 / Math.SQRT2) < 1e-8 && Math.abs(a[1]! - 1 / Math.SQRT2) < 1e-8);
    assert.deepEqual(a.slice(2), [0, 0]);
  });

  it('RLOO subtracts the mean of the other samples', () => {
    assert.deepEqual(rlooAdvantages({ rewards: [1, 0, 0, 2, 2, 2], groupSize: 3 }), [1, -0.5, -0.5, 0, 0, 0]);
  });

  it('rejects bad group sizes', () => {
    assert.throws(
      () => groupAdvantages({ rewards: [1, 2, 3], groupSize: 2 }),
      /not a multiple of groupSize 2/,
    );
    assert.throws(() => rlooAdvantages({ rewards: [1], groupSize: 1 }), /groupSize must be an integer ≥ 2/);
  });

  it('broadcastToTokens spreads per-sequence values over valid tokens', () => {
    assert.deepEqual(
      broadcastToTokens(
        [0.5, -1],
        [
          [1, 1, 0],
          [1, 0, 0],
        ],
      ),
      [
        [0.5, 0.5, 0],
        [-1, 0, 0],
      ],
    );
  });
});
