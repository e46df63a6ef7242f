import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { vote } from '../../src/algo/index.js';
import { FileJudgementCache } from '../../src/judge/cache.js';
import { R1_REWARD_PROMPT_TEMPLATE, renderPrompt } from '../../src/judge/prompt.js';
import { MemoryJudgementCache } from '../../src/rank/cache.js';
import { rankCandidates } from '../../src/rank/rank.js';
import type { Comparison, Contestant, RankItem, RankOptions, RankScheme } from '../../src/rank/types.js';
import { qualityOf, RuleJudge, type RuleJudgeConfig, ruleSample } from './rule-judge.js';

const dir = mkdtempSync(join(tmpdir(), 'r1-rank-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Eight candidates whose qualities are a shuffle of 1..8 (the best, q=8, sits at index 5). */
const QUALITIES = [3, 7, 1, 5, 2, 8, 6, 4];
const candidates = QUALITIES.map((q, i) => `answer ${i}: q=${q}`);
const item: RankItem = {
  id: 'item-1',
  images: ['data:image/png;base64,AAAA'],
  question: 'What is in the picture?',
  // Only the best candidate beats the reference, so the reference scheme can single it out.
  reference: 'the reference: q=7.5',
};
const byQuality = (texts: readonly string[]) =>
  texts.map((_, i) => i).sort((x, y) => qualityOf(texts[y]!) - qualityOf(texts[x]!));
const SCHEMES: RankScheme[] = ['round-robin', 'knockout', 'swiss', 'sort', 'reference'];

describe('rankCandidates with a perfect judge', () => {
  for (const scheme of SCHEMES)
    it(`${scheme} chooses the best candidate`, async () => {
      const ranking = await rankCandidates(item, candidates, new RuleJudge(), { scheme, k: 1 });
      assert.equal(ranking.best, 5);
      assert.equal(ranking.ranked[0], 5);
      assert.equal(ranking.consistency.rate, 1, 'a perfect judge agrees with itself in both orders');
      assert.equal(ranking.unparseable, 0);
    });

  for (const scheme of ['round-robin', 'sort'] as const)
    it(`${scheme} yields the full order`, async () => {
      const ranking = await rankCandidates(item, candidates, new RuleJudge(), { scheme, k: 3 });
      assert.deepEqual(ranking.ranked, byQuality(candidates));
      assert.deepEqual(
        ranking.ranked.map((i) => ranking.candidates[i]!.rank),
        [1, 2, 3, 4, 5, 6, 7, 8],
      );
    });

  it('round-robin scores are win rates and strengths follow them', async () => {
    const ranking = await rankCandidates(item, candidates, new RuleJudge(), { scheme: 'round-robin', k: 1 });
    for (const c of ranking.candidates) {
      assert.equal(c.played, 7);
      assert.equal(c.score, (QUALITIES[c.index]! - 1) / 7);
    }
    const strengths = ranking.ranked.map((i) => ranking.candidates[i]!.strength);
    for (let i = 1; i < strengths.length; i++) assert.ok(strengths[i - 1]! > strengths[i]!);
    assert.ok(Math.abs(strengths.reduce((s, p) => s + Math.log(p), 0)) < 1e-9, 'geometric mean 1');
  });

  it('reference: score is the win rate against the reference, strengths relative to it', async () => {
    const ranking = await rankCandidates(item, candidates, new RuleJudge(), { scheme: 'reference', k: 1 });
    for (const c of ranking.candidates) {
      const better = QUALITIES[c.index]! > 7.5;
      assert.equal(c.score, better ? 1 : 0);
      assert.ok(better ? c.strength > 1 : c.strength < 1);
    }
    assert.ok(ranking.comparisons.every((c) => c.b === 'reference'));
  });
});

describe('rankCandidates: cost for N = 8', () => {
  const expected: [RankScheme, number][] = [
    ['round-robin', 56],
    ['knockout', 14],
    ['swiss', 24],
    ['reference', 16],
  ];
  for (const [scheme, requests] of expected)
    it(`${scheme}: ${requests} requests in both orders, K samples each`, async () => {
      const judge = new RuleJudge();
      const ranking = await rankCandidates(item, candidates, judge, { scheme, k: 3 });
      assert.deepEqual(ranking.calls, {
        requests,
        sent: requests,
        samples: 3 * requests,
        freshSamples: 3 * requests,
        cachedSamples: 0,
      });
      assert.equal(judge.requests.length, requests);
      assert.equal(judge.samples, 3 * requests);
    });

  it('sort: at most 34 requests in both orders, for every input order', async () => {
    const orders = [QUALITIES, [...QUALITIES].reverse(), [1, 2, 3, 4, 5, 6, 7, 8], [8, 7, 6, 5, 4, 3, 2, 1]];
    for (const qualities of orders) {
      const texts = qualities.map((q, i) => `answer ${i}: q=${q}`);
      const judge = new RuleJudge();
      const ranking = await rankCandidates(item, texts, judge, { scheme: 'sort', k: 1 });
      assert.ok(ranking.calls.requests <= 34, `${ranking.calls.requests} requests`);
      assert.equal(judge.requests.length, ranking.calls.requests);
      assert.deepEqual(ranking.ranked, byQuality(texts));
    }
  });

  it('order random: one request per comparison', async () => {
    const ranking = await rankCandidates(item, candidates, new RuleJudge(), {
      scheme: 'round-robin',
      k: 1,
      order: 'random',
    });
    assert.equal(ranking.calls.requests, 28);
    assert.ok(ranking.comparisons.every((c) => c.orders.length === 1 && c.consistent === null));
    assert.deepEqual(ranking.consistency, { rate: null, agree: 0, compared: 0, undecided: 0 });
    const firsts = new Set(ranking.comparisons.map((c) => c.orders[0]!.shownFirst === c.a));
    assert.deepEqual(firsts, new Set([true, false]), 'the seeded coin shows both orders');
  });
});

describe('rankCandidates: the cache', () => {
  it('a second rank of the same item with the same cache sends nothing', async () => {
    const judge = new RuleJudge();
    const cache = new MemoryJudgementCache();
    const options: RankOptions = { scheme: 'round-robin', k: 2, cache };
    const first = await rankCandidates(item, candidates, judge, options);
    const second = await rankCandidates(item, candidates, judge, options);
    assert.equal(judge.requests.length, 56);
    assert.deepEqual(second.calls, {
      requests: 56,
      sent: 0,
      samples: 112,
      freshSamples: 0,
      cachedSamples: 112,
    });
    assert.deepEqual(second.ranked, first.ranked);
    assert.deepEqual(
      second.comparisons.map((c) => c.winner),
      first.comparisons.map((c) => c.winner),
    );
  });

  it('another seed draws fresh samples; a larger K draws only the missing ones', async () => {
    const judge = new RuleJudge();
    const cache = new MemoryJudgementCache();
    await rankCandidates(item, candidates, judge, { scheme: 'knockout', k: 1, cache, seed: 1 });
    const reseeded = await rankCandidates(item, candidates, judge, {
      scheme: 'knockout',
      k: 1,
      cache,
      seed: 2,
    });
    assert.equal(reseeded.calls.cachedSamples, 0);
    const more = await rankCandidates(item, candidates, judge, { scheme: 'knockout', k: 3, cache, seed: 2 });
    assert.equal(more.calls.cachedSamples, 14);
    assert.equal(more.calls.freshSamples, 28);
  });

  it('resumes across a FileJudgementCache reopen', async () => {
    const file = join(dir, 'cache.jsonl');
    const judge = new RuleJudge({ noise: 0.3, seed: 4 });
    const options = { scheme: 'swiss' as const, k: 3, seed: 7 };
    let cache = await FileJudgementCache.open(file);
    const first = await rankCandidates(item, candidates, judge, { ...options, cache });
    await cache.close();
    assert.equal(judge.requests.length, 24);
    cache = await FileJudgementCache.open(file);
    const again = await rankCandidates(item, candidates, judge, { ...options, cache });
    await cache.close();
    assert.equal(judge.requests.length, 24, 'no new request after the reopen');
    assert.equal(again.calls.sent, 0);
    assert.deepEqual(again.ranked, first.ranked);
  });

  it('identical candidate texts are separate members whose comparisons hit the cache', async () => {
    const judge = new RuleJudge();
    const texts = ['same: q=1', 'same: q=1', 'other: q=2'];
    const ranking = await rankCandidates(item, texts, judge, { scheme: 'round-robin', k: 1 });
    // (0,1) shows the same text twice in both orders: one request; (0,2) two; (1,2) repeats (0,2).
    assert.equal(ranking.calls.requests, 6);
    assert.equal(ranking.calls.sent, 3);
    assert.equal(judge.requests.length, 3);
    assert.equal(ranking.comparisons[0]!.winner, null, 'the same text in both orders: the orders disagree');
    assert.equal(ranking.best, 2);
    assert.deepEqual(
      ranking.candidates.map((c) => c.score),
      [0.25, 0.25, 1],
    );
  });
});

/** The comparison the rules decide for a pair shown in the given orders: the oracle the tests check against. */
function oracle(
  texts: readonly string[],
  shown: [Contestant, Contestant][],
  k: number,
  config: RuleJudgeConfig,
): { verdicts: (Contestant | null)[]; winner: Contestant | null } {
  const text = (who: Contestant) => (who === 'reference' ? item.reference! : texts[who]!);
  const verdicts = shown.map(([first, second]) => {
    const prompt = renderPrompt(R1_REWARD_PROMPT_TEMPLATE, {
      question: item.question,
      answer1: text(first),
      answer2: text(second),
    });
    const choices = Array.from({ length: k }, (_, s) => {
      const answer = /<answer>([12])<\/answer>/.exec(ruleSample(prompt, s, config));
      return answer ? (Number(answer[1]) as 1 | 2) : null;
    });
    const choice = vote(choices);
    return choice === null ? null : choice === 1 ? first : second;
  });
  const winner = verdicts.every((v) => v !== null) && new Set(verdicts).size === 1 ? verdicts[0]! : null;
  return { verdicts, winner };
}

function checkAgainstOracle(comparisons: readonly Comparison[], k: number, config: RuleJudgeConfig): void {
  for (const c of comparisons) {
    const expected = oracle(
      candidates,
      c.orders.map((o) => [o.shownFirst, o.shownSecond]),
      k,
      config,
    );
    assert.deepEqual(
      c.orders.map((o) => o.verdict),
      expected.verdicts,
    );
    assert.equal(c.winner, expected.winner, `${c.a} vs ${c.b}`);
  }
}

/** Unparseable samples among those the judge answered, by its rules. */
function unparseableIn(judge: RuleJudge, config: RuleJudgeConfig): number {
  let count = 0;
  for (const r of judge.requests)
    for (let s = 0; s < r.k; s++) if (!ruleSample(r.text, s, config).includes('<answer>')) count++;
  return count;
}

describe('rankCandidates with a seeded noisy, position-biased judge', () => {
  const config: RuleJudgeConfig = { positionBias: 0.3, noise: 0.3, unparseable: 0.1, seed: 11 };

  it('round-robin: every verdict, score and count follows from the rules', async () => {
    const judge = new RuleJudge(config);
    const k = 3;
    const ranking = await rankCandidates(item, candidates, judge, { scheme: 'round-robin', k, seed: 5 });
    checkAgainstOracle(ranking.comparisons, k, config);
    for (const c of ranking.candidates) {
      let points = 0;
      for (let j = 0; j < candidates.length; j++) {
        if (j === c.index) continue;
        const { winner } = oracle(
          candidates,
          [
            [c.index, j],
            [j, c.index],
          ],
          k,
          config,
        );
        points += winner === null ? 0.5 : winner === c.index ? 1 : 0;
      }
      assert.equal(c.score, points / 7);
    }
    const unparseable = unparseableIn(judge, config);
    assert.equal(ranking.unparseable, unparseable);
    assert.ok(unparseable > 0, 'the seed makes some samples unparseable');
    const agree = ranking.comparisons.filter((c) => c.consistent === true).length;
    const compared = ranking.comparisons.filter((c) => c.consistent !== null).length;
    assert.ok(compared < 28, 'the noise leaves some orders without a majority');
    assert.deepEqual(ranking.consistency, {
      rate: agree / compared,
      agree,
      compared,
      undecided: 28 - compared,
    });
    assert.ok(agree < compared, 'the bias makes some orders disagree');
  });

  for (const scheme of ['knockout', 'swiss', 'sort', 'reference'] as const)
    it(`${scheme}: every verdict follows from the rules, and a rerun is identical`, async () => {
      const options: RankOptions = { scheme, k: 3, seed: 9 };
      const judge = new RuleJudge(config);
      const ranking = await rankCandidates(item, candidates, judge, options);
      checkAgainstOracle(ranking.comparisons, 3, config);
      const cost = { knockout: 14, swiss: 24, reference: 16, sort: ranking.calls.requests }[scheme];
      assert.ok(cost <= 34);
      assert.deepEqual(ranking.calls, {
        requests: cost,
        sent: cost,
        samples: 3 * cost,
        freshSamples: 3 * cost,
        cachedSamples: 0,
      });
      assert.equal(judge.requests.length, cost);
      assert.equal(ranking.unparseable, unparseableIn(judge, config));
      const played = ranking.candidates.reduce((sum, c) => sum + c.played, 0);
      assert.equal(played, scheme === 'reference' ? 8 : 2 * ranking.comparisons.length);
      const rerun = await rankCandidates(item, candidates, new RuleJudge(config), {
        ...options,
        concurrency: 1,
      });
      assert.deepEqual(rerun, ranking);
    });
});
