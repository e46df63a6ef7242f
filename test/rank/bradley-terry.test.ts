import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BradleyTerryGame, fitBradleyTerry } from '../../src/rank/bradley-terry.js';

const close = (actual: number, expected: number, what = '') =>
  assert.ok(Math.abs(actual - expected) < 1e-8, `${what} ${actual} ≠ ${expected}`);

/** n games of a against b, `wins` of them won by a. */
const games = (a: number, b: number, n: number, wins: number): BradleyTerryGame[] =>
  Array.from({ length: n }, (_, i) => ({ a, b, points: i < wins ? 1 : 0 }));

describe('fitBradleyTerry', () => {
  it('two players: p1/p2 = (w + prior/2) / (n − w + prior/2), geometric mean 1', () => {
    for (const [n, w, prior] of [
      [1, 1, 1],
      [3, 2, 1],
      [5, 5, 0.5],
      [4, 1, 2],
    ] as const) {
      const { strengths, converged } = fitBradleyTerry(2, games(0, 1, n, w), { prior });
      const ratio = (w + prior / 2) / (n - w + prior / 2);
      assert.ok(converged);
      close(strengths[0]!, Math.sqrt(ratio), `n=${n} w=${w} prior=${prior}: p1`);
      close(strengths[1]!, 1 / Math.sqrt(ratio), 'p2');
    }
    // One win, default prior: p1/p2 = 1.5 / 0.5 = 3.
    const { strengths } = fitBradleyTerry(2, [{ a: 0, b: 1, points: 1 }]);
    close(strengths[0]!, Math.sqrt(3));
  });

  it('prior 0 is the maximum-likelihood fit: 2 wins of 3 gives a ratio of 2', () => {
    const { strengths } = fitBradleyTerry(2, games(0, 1, 3, 2), { prior: 0 });
    close(strengths[0]! / strengths[1]!, 2);
  });

  it('a tie is half a win each: one tie leaves equal strengths', () => {
    const { strengths } = fitBradleyTerry(2, [{ a: 0, b: 1, points: 0.5 }]);
    close(strengths[0]!, 1);
    close(strengths[1]!, 1);
  });

  it('an undefeated player stays finite with the prior, and the fit satisfies its equations', () => {
    // 0 beats 1 and 2, 1 beats 2, 2 never wins.
    const played = [...games(0, 1, 2, 2), ...games(0, 2, 1, 1), ...games(1, 2, 3, 2)];
    const prior = 1;
    const { strengths: p, converged } = fitBradleyTerry(3, played, { prior });
    assert.ok(converged);
    assert.ok(p.every(Number.isFinite) && p[0]! > p[1]! && p[1]! > p[2]!);
    // The maximum satisfies W_i + prior/2 = Σ_j (n_ij + ε) p_i / (p_i + p_j), with ε = prior / (N − 1).
    const n = [
      [0, 2, 1],
      [2, 0, 3],
      [1, 3, 0],
    ];
    const w = [3, 2, 1];
    const epsilon = prior / 2;
    for (let i = 0; i < 3; i++) {
      let expected = 0;
      for (let j = 0; j < 3; j++) if (j !== i) expected += ((n[i]![j]! + epsilon) * p[i]!) / (p[i]! + p[j]!);
      close(w[i]! + prior / 2, expected, `player ${i}`);
    }
  });

  it('without the prior an undefeated player has no finite fit: it reports no convergence', () => {
    const { converged } = fitBradleyTerry(2, games(0, 1, 2, 2), { prior: 0 });
    assert.equal(converged, false);
  });

  it('a player with no games keeps strength 1 when alone; unmet players are tied together by the prior', () => {
    assert.deepEqual(fitBradleyTerry(1, []).strengths, [1]);
    // Two separate games (0 beats 1, 2 beats 3): the winners are equal, the losers are equal.
    const { strengths: p } = fitBradleyTerry(4, [
      { a: 0, b: 1, points: 1 },
      { a: 2, b: 3, points: 1 },
    ]);
    close(p[0]!, p[2]!);
    close(p[1]!, p[3]!);
    assert.ok(p[0]! > p[1]!);
  });

  it('rejects bad games with the index of the offending one', () => {
    assert.throws(() => fitBradleyTerry(2, [{ a: 0, b: 0, points: 1 }]), /games\[0\] pairs players 0 and 0/);
    assert.throws(
      () => fitBradleyTerry(2, [{ a: 0, b: 1, points: 0.3 as 1 }]),
      /games\[0\]\.points must be 1, 0\.5 or 0/,
    );
    assert.throws(() => fitBradleyTerry(2, [], { prior: -1 }), /prior must be a finite number ≥ 0/);
  });
});
