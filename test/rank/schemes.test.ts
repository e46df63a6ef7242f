import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JudgeBackend, JudgeRequest } from '../../src/judge/backend.js';
import { rankCandidates } from '../../src/rank/rank.js';
import { bracketSeeds } from '../../src/rank/schemes.js';
import { swissPairing } from '../../src/rank/swiss.js';
import type { RankItem } from '../../src/rank/types.js';
import { Gate } from '../judge/gate.js';
import { RuleJudge, ruleSample } from './rule-judge.js';

const item: RankItem = { id: 'schemes', images: [], question: 'Which is better?' };
const texts = (qualities: readonly number[]) => qualities.map((q, i) => `answer ${i}: q=${q}`);

describe('knockout', () => {
  it('bracket seeds: the best seeds meet last', () => {
    assert.deepEqual(bracketSeeds(1), [1]);
    assert.deepEqual(bracketSeeds(2), [1, 2]);
    assert.deepEqual(bracketSeeds(8), [1, 8, 4, 5, 2, 7, 3, 6]);
  });

  for (const n of [2, 3, 5, 6, 7, 9])
    it(`N = ${n}: N − 1 comparisons, no one plays after losing, the best wins`, async () => {
      const qualities = Array.from({ length: n }, (_, i) => (i + 2) % n);
      const ranking = await rankCandidates(item, texts(qualities), new RuleJudge(), {
        scheme: 'knockout',
        k: 1,
      });
      assert.equal(ranking.comparisons.length, n - 1);
      assert.equal(ranking.calls.requests, 2 * (n - 1));
      const lost = new Set<number>();
      for (const c of ranking.comparisons) {
        assert.ok(!lost.has(c.a as number) && !lost.has(c.b as number), 'a loser played again');
        lost.add(c.winner === c.a ? (c.b as number) : (c.a as number));
      }
      assert.equal(ranking.best, qualities.indexOf(n - 1));
      assert.equal(ranking.candidates[ranking.best]!.losses, 0);
      assert.equal(ranking.rounds, Math.ceil(Math.log2(n)));
    });

  it('the seeding is a seeded draw: it changes with the seed and not between reruns', async () => {
    const candidates = texts([1, 2, 3, 4, 5, 6, 7, 8]);
    const firstRound = async (seed: number) =>
      (
        await rankCandidates(item, candidates, new RuleJudge(), { scheme: 'knockout', k: 1, seed })
      ).comparisons
        .filter((c) => c.round === 0)
        .map((c) => [c.a, c.b]);
    assert.deepEqual(await firstRound(1), await firstRound(1));
    assert.notDeepEqual(await firstRound(1), await firstRound(2));
  });
});

describe('swiss', () => {
  it('pairs by points without repeating a pair, the bye to the lowest standing', () => {
    assert.deepEqual(swissPairing([0, 1, 2, 3], new Set(), [0, 0, 0, 0]), {
      pairs: [
        [0, 1],
        [2, 3],
      ],
      bye: null,
    });
    assert.deepEqual(swissPairing([0, 1, 2, 3], new Set(['0,1']), [0, 0, 0, 0]), {
      pairs: [
        [0, 2],
        [1, 3],
      ],
      bye: null,
    });
    // 0–2 and 1–3 also met: backtracking finds 0–3, 1–2.
    assert.deepEqual(swissPairing([0, 1, 2, 3], new Set(['0,1', '0,2', '1,3']), [0, 0, 0, 0]), {
      pairs: [
        [0, 3],
        [1, 2],
      ],
      bye: null,
    });
    assert.equal(swissPairing([0, 1], new Set(['0,1']), [0, 0]), null);
    assert.deepEqual(swissPairing([4, 3, 2], new Set(), [0, 0, 0]), { pairs: [[4, 3]], bye: 2 });
    assert.deepEqual(swissPairing([4, 3, 2], new Set(), [0, 0, 1]), { pairs: [[4, 2]], bye: 3 });
  });

  for (const [n, rounds] of [
    [8, 3],
    [8, 7],
    [7, 5],
    [6, 4],
  ] as const)
    it(`N = ${n}, ${rounds} rounds: every candidate plays once a round, no pair twice`, async () => {
      const judge = new RuleJudge({ noise: 0.4, positionBias: 0.2, seed: 3 });
      const qualities = Array.from({ length: n }, (_, i) => (i * 5) % n);
      const ranking = await rankCandidates(item, texts(qualities), judge, { scheme: 'swiss', k: 1, rounds });
      assert.equal(ranking.rounds, rounds);
      const pairs = ranking.comparisons.map((c) => [c.a as number, c.b as number].sort().join(','));
      assert.equal(new Set(pairs).size, pairs.length, 'a pair met twice');
      assert.equal(ranking.comparisons.length, rounds * Math.floor(n / 2));
      for (let r = 0; r < rounds; r++) {
        const playing = ranking.comparisons.filter((c) => c.round === r).flatMap((c) => [c.a, c.b]);
        assert.equal(new Set(playing).size, 2 * Math.floor(n / 2));
      }
    });

  it('stops early when no pairing without a repeat remains', async () => {
    const ranking = await rankCandidates(item, texts([1, 2, 3, 4]), new RuleJudge(), {
      scheme: 'swiss',
      k: 1,
      rounds: 5,
    });
    assert.equal(ranking.rounds, 3);
    assert.equal(ranking.comparisons.length, 6);
    assert.equal(ranking.best, 3);
  });
});

describe('sort', () => {
  it('a tie keeps input order', async () => {
    // Position bias 1: every sample picks Response 1, so the two orders always disagree: all ties.
    const ranking = await rankCandidates(item, texts([1, 5, 2, 4, 3]), new RuleJudge({ positionBias: 1 }), {
      scheme: 'sort',
      k: 1,
    });
    assert.ok(ranking.comparisons.every((c) => c.winner === null));
    assert.deepEqual(ranking.ranked, [0, 1, 2, 3, 4]);
    assert.equal(ranking.consistency.rate, 0);
  });
});

describe('edge cases and options', () => {
  it('one candidate: no comparison, score ½, strength 1, chosen', async () => {
    for (const scheme of ['round-robin', 'knockout', 'swiss', 'sort'] as const) {
      const ranking = await rankCandidates(item, ['only: q=1'], new RuleJudge(), { scheme, k: 1 });
      assert.equal(ranking.best, 0);
      assert.deepEqual(ranking.comparisons, []);
      assert.equal(ranking.rounds, 0);
      assert.deepEqual([ranking.candidates[0]!.score, ranking.candidates[0]!.strength], [0.5, 1]);
    }
  });

  it('rejects bad options and a missing reference, naming them', async () => {
    const judge = new RuleJudge();
    await assert.rejects(
      rankCandidates(item, ['a'], judge, { scheme: 'bogus' as 'sort', k: 1 }),
      /scheme must be one of/,
    );
    await assert.rejects(
      rankCandidates(item, ['a'], judge, { scheme: 'sort', k: 0 }),
      /k must be a positive integer/,
    );
    await assert.rejects(rankCandidates(item, [], judge, { scheme: 'sort', k: 1 }), /at least one candidate/);
    await assert.rejects(
      rankCandidates(item, ['a', 'b'], judge, { scheme: 'reference', k: 1 }),
      /the reference scheme needs a reference answer/,
    );
  });

  it('bounds the requests in flight by `concurrency`', async () => {
    const judge = new GatedJudge();
    const ranking = rankCandidates(item, texts([1, 2, 3, 4, 5, 6]), judge, {
      scheme: 'round-robin',
      k: 1,
      concurrency: 4,
    });
    await judge.gate.whenHeld(4);
    assert.equal(judge.gate.held, 4, 'no fifth request while four are in flight');
    judge.releaseAll();
    assert.equal((await ranking).calls.requests, 30);
    assert.equal(judge.maxInFlight, 4);
  });

  it('an abort stops the ranking', async () => {
    const judge = new GatedJudge();
    const controller = new AbortController();
    const ranking = rankCandidates(item, texts([1, 2, 3]), judge, {
      scheme: 'round-robin',
      k: 1,
      signal: controller.signal,
    });
    await judge.gate.whenHeld(1);
    controller.abort();
    await assert.rejects(ranking, /abort/i);
  });
});

/** A rule judge whose answers wait at a gate until the test releases them, aborting with the signal. */
class GatedJudge implements JudgeBackend {
  readonly identity = 'gated-rule-judge';
  readonly gate = new Gate();
  maxInFlight = 0;
  private inFlight = 0;
  private open = false;

  async sample(request: JudgeRequest, k: number, options: { signal?: AbortSignal } = {}): Promise<string[]> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (!this.open) await this.gate.enter(options.signal);
    } finally {
      this.inFlight--;
    }
    return Array.from({ length: k }, (_, i) => ruleSample(request.text, i));
  }

  releaseAll(): void {
    this.open = true;
    this.gate.release();
  }
}
