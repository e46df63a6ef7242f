// The tensor StableReinforce math equals the pure reference in src/algo on the same inputs (1e-6).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type AdvantageFilter,
  cumulativeReturns,
  groupAdvantages,
  type Matrix,
  normalizeAdvantagesDetailed,
  PRE_CLIP,
  policyLoss,
  rlooAdvantages,
  tokenRewards,
} from '../../src/algo/index.js';
import { Rng } from '../../src/algo/random.js';
import { scope, type Tensor, tensor } from '../../src/engine/index.js';
import {
  cumulativeReturnsT,
  groupAdvantagesT,
  normalizeAdvantagesT,
  policyLossT,
  rlooAdvantagesT,
  tokenRewardsT,
} from '../../src/train/stable-reinforce-tensors.js';
import { engineSkipReason } from '../engine/fixtures.js';

const skip = engineSkipReason();

const f64 = (m: Matrix | number[]) => tensor(m, { dtype: 'float64' });
const rows = (t: Tensor) => t.toArray() as Matrix;

function assertClose(actual: Matrix | number[], expected: Matrix | number[], tol = 1e-6, what = ''): void {
  const a = actual.flat(2) as number[];
  const e = expected.flat(2) as number[];
  assert.equal(a.length, e.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) {
    const scale = Math.max(1, Math.abs(e[i]!));
    assert.ok(Math.abs(a[i]! - e[i]!) <= tol * scale, `${what}[${i}]: ${a[i]} vs ${e[i]}`);
  }
}

/** A ragged batch: rows of different lengths padded with 0s, padding holding garbage values. */
function raggedBatch(rng: Rng, b: number, t: number) {
  const mask: Matrix = [];
  const logProbs: Matrix = [];
  const oldLogProbs: Matrix = [];
  const refLogProbs: Matrix = [];
  for (let i = 0; i < b; i++) {
    const len = 1 + rng.int(t);
    mask.push(Array.from({ length: t }, (_, j) => (j < len ? 1 : 0)));
    const lp = () =>
      Array.from({ length: t }, (_, j) => (j < len ? -rng.next() * 6 : 1e4 * (rng.next() - 0.5)));
    logProbs.push(lp());
    oldLogProbs.push(lp().map((x, j) => (j < len && rng.next() < 0.15 ? x - 12 + rng.next() * 20 : x)));
    refLogProbs.push(lp());
  }
  const rewards = Array.from({ length: b }, () => [0, 0.5, 1, 1.5, 2][rng.int(5)]!);
  return { mask, logProbs, oldLogProbs, refLogProbs, rewards };
}

describe('StableReinforce on tensors equals the reference (spec §4)', { skip }, () => {
  it('token rewards with k1 and k3 KL, returns (γ = 1 and 0.9) on ragged masks', () => {
    const rng = new Rng(1);
    for (const [klCoef, klEstimator, gamma] of [
      [0, 'k1', 1],
      [1e-3, 'k1', 1],
      [0.05, 'k3', 1],
      [0.05, 'k3', 0.9],
    ] as const) {
      const batch = raggedBatch(rng, 7, 9);
      batch.rewards[0] = 25; // clamped to 10
      const ref = tokenRewards({ ...batch, klCoef, klEstimator });
      const refReturns = cumulativeReturns({ tokenRewards: ref, mask: batch.mask, gamma });
      scope(() => {
        const r = tokenRewardsT({
          rewards: f64(batch.rewards),
          logProbs: f64(batch.logProbs),
          refLogProbs: f64(batch.refLogProbs),
          mask: f64(batch.mask),
          klCoef,
          klEstimator,
        });
        assertClose(rows(r), ref, 1e-6, `tokenRewards β=${klCoef} ${klEstimator}`);
        const g = cumulativeReturnsT({ tokenRewards: r, mask: f64(batch.mask), gamma });
        assertClose(rows(g), refReturns, 1e-6, `returns γ=${gamma}`);
      });
    }
  });

  it('normalisation with the paper / released / no filter, including the −15.97 worked example', () => {
    const rng = new Rng(2);
    const worked = {
      advantages: [...Array(255).fill([1]), [0]] as Matrix,
      mask: Array(256).fill([1]) as Matrix,
    };
    const random = raggedBatch(rng, 6, 8);
    const randomAdv = cumulativeReturns({
      tokenRewards: tokenRewards({ ...random, klCoef: 0.3, klEstimator: 'k3' }),
      mask: random.mask,
    });
    const cases = [worked, { advantages: randomAdv, mask: random.mask }];
    for (const c of cases) {
      for (const filter of ['paper', 'released', 'none'] as AdvantageFilter[]) {
        const ref = normalizeAdvantagesDetailed({ ...c, filter });
        scope(() => {
          const out = normalizeAdvantagesT({ advantages: f64(c.advantages), mask: f64(c.mask), filter });
          assertClose(rows(out.advantages), ref.advantages, 1e-6, `z (${filter})`);
          assertClose([out.mean, out.std], [ref.mean, ref.std], 1e-9, `μ, σ (${filter})`);
          assert.equal(out.validTokens, ref.validTokens);
          assert.equal(out.filteredTokens, ref.filteredTokens, `filtered (${filter})`);
        });
      }
    }
    const z = normalizeAdvantagesT({
      advantages: f64(worked.advantages),
      mask: f64(worked.mask),
      filter: 'none',
    });
    assert.ok(Math.abs((z.advantages.toArray() as number[][])[255]![0]! + Math.sqrt(255)) < 1e-9);
  });

  it('Pre-CLIP PPO loss and every logged statistic, with and without Pre-CLIP', () => {
    const rng = new Rng(3);
    const worked = {
      logProbs: [[-0.1, -0.1, -0.1, -0.1]],
      oldLogProbs: [[-10, -0.2, -0.2, -5]],
      advantages: [[-1, -1, 0.5, -0.5]],
      mask: [[1, 1, 1, 1]],
    };
    const random = raggedBatch(rng, 8, 10);
    const randomCase = {
      ...random,
      advantages: random.mask.map((row) => row.map(() => (rng.next() - 0.5) * 6)),
    };
    for (const c of [worked, randomCase]) {
      for (const preClip of [PRE_CLIP, false] as const) {
        const ref = policyLoss({ ...c, preClip });
        scope(() => {
          const out = policyLossT({
            logProbs: f64(c.logProbs),
            oldLogProbs: f64(c.oldLogProbs),
            advantages: f64(c.advantages),
            mask: f64(c.mask),
            preClip,
          });
          assertClose([out.loss.item()], [ref.loss], 1e-6, 'loss');
          assertClose(rows(out.tokenLoss), ref.tokenLoss, 1e-6, 'tokenLoss');
          assertClose(
            [out.clipFraction, out.ratioMean, out.ratioMax, out.maxTokenLoss, out.nonFiniteTokens],
            [ref.clipFraction, ref.ratioMean, ref.ratioMax, ref.maxTokenLoss, ref.nonFiniteTokens],
            1e-6,
            'stats',
          );
          assert.deepEqual(out.ratioTail, ref.ratioTail);
        });
      }
    }
    const plain = policyLoss({ ...worked, preClip: false }).tokenLoss[0]!;
    assertClose(plain, [19930.37, 1.105, -0.553, 67.145], 1e-3, 'worked example (plain PPO)');
  });

  it('gradients stay finite however wild the padding is', () => {
    scope(() => {
      const logProbs = tensor(
        [
          [-0.5, -1, 3e4],
          [-2, -1e30, -1e30],
        ],
        { dtype: 'float32', requiresGrad: true },
      );
      const out = policyLossT({
        logProbs,
        oldLogProbs: tensor(
          [
            [-0.4, -1.5, -3e4],
            [-1, 5e30, 0],
          ],
          { dtype: 'float32' },
        ),
        advantages: tensor(
          [
            [1, -1, 0],
            [0.5, 0, 0],
          ],
          { dtype: 'float32' },
        ),
        mask: tensor(
          [
            [1, 1, 0],
            [1, 0, 0],
          ],
          { dtype: 'float32' },
        ),
      });
      out.loss.backward();
      const grad = logProbs.grad!.toArray() as number[][];
      assert.ok(grad.flat().every(Number.isFinite), `gradient ${JSON.stringify(grad)}`);
      assert.deepEqual([grad[0]![2], grad[1]![1], grad[1]![2]], [0, 0, 0]);
    });
  });

  it('GRPO and RLOO advantages', () => {
    const rewards = [0, 2, 1.5, 0.5, 1, 1, 1, 1, 2, 0, 0, 0.5];
    for (const groupSize of [2, 4]) {
      scope(() => {
        assertClose(
          groupAdvantagesT(f64(rewards), groupSize).toArray() as number[],
          groupAdvantages({ rewards, groupSize }),
          1e-6,
          'grpo',
        );
        assertClose(
          rlooAdvantagesT(f64(rewards), groupSize).toArray() as number[],
          rlooAdvantages({ rewards, groupSize }),
          1e-6,
          'rloo',
        );
      });
    }
  });
});
