import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, it } from 'node:test';
import { type ScoreOptions, scoreRecords } from '../../src/eval/score.js';
import { r1CompatGroup, vlRewardBenchVerdict } from '../../src/eval/scoring-rules.js';
import { seededCoin } from '../../src/judge/order.js';
import { picks, record } from './records.js';

const close = (actual: number | null, expected: number, digits = 10) =>
  assert.equal(Number(actual!.toFixed(digits)), Number(expected.toFixed(digits)));
const opts = (o: Partial<ScoreOptions>): ScoreOptions => ({
  benchmark: 'mm-rlhf',
  protocol: 'official',
  order: 'fixed',
  k: 1,
  seed: 0,
  ...o,
});

describe('VL-RewardBench official scoring (spec §7)', () => {
  it('an item agrees when more than half of its k calls agree; otherwise it is left out', () => {
    assert.equal(vlRewardBenchVerdict([1, 1, null]), true);
    assert.equal(vlRewardBenchVerdict([2, 2, 1]), false);
    assert.equal(vlRewardBenchVerdict([1, 2, null]), null);
    assert.equal(vlRewardBenchVerdict([null, null, null]), null);
    assert.equal(vlRewardBenchVerdict([1, 1, 2, 2]), null);
    assert.equal(vlRewardBenchVerdict([1, 1, 1, 2]), true);
    assert.equal(vlRewardBenchVerdict([1, null]), null, '1 of 2 calls is not more than half');
    assert.equal(vlRewardBenchVerdict([null]), null);
  });

  it('Overall is micro over kept items, Macro the mean of the three group accuracies', () => {
    const records = [
      record('g1', [picks(1, 'RRW')], { category: 'general' }),
      record('g2', [picks(2, 'WWR')], { category: 'general' }),
      record('h1', [picks(2, 'RR-')], { category: 'hallucination', meta: { source: 'rlaif-v' } }),
      record('h2', [picks(1, 'RW-')], { category: 'hallucination' }), // no majority → dropped
      record('r1', [picks(1, 'RRR')], { category: 'reasoning' }),
      record('r2', [picks(2, 'R-R')], { category: 'reasoning' }),
    ];
    const { metrics, details } = scoreRecords(records, opts({ benchmark: 'vl-rewardbench', k: 3 }));
    assert.equal(metrics.items, 6);
    assert.equal(details.dropped, 1);
    close(metrics.overall, 4 / 5);
    assert.deepEqual(metrics.categories, {
      general: { items: 2, accuracy: 0.5 },
      hallucination: { items: 1, accuracy: 1 },
      reasoning: { items: 2, accuracy: 1 },
    });
    close(metrics.macro, (0.5 + 1 + 1) / 3);
    // Voting@1 uses the first call only: g1 R, g2 W, h1 R, h2 R, r1 R, r2 R → 5/6
    close(metrics.votingAtK[1]!, 5 / 6);
    // Voting@2: g1 RR ✓, g2 WW ✗, h1 RR ✓, h2 RW dropped, r1 RR ✓, r2 R- (1 of 2) dropped → 3/4
    close(metrics.votingAtK[2]!, 3 / 4);
    assert.equal(metrics.votingAtK[3], metrics.overall);
  });

  it('without a loader category, groups by the official id-prefix rule (RLAIF-V… is hallucination here)', () => {
    const records = [
      record('wildvision_1', [picks(1, 'R')]),
      record('RLAIF-V_2', [picks(1, 'W')]),
      record('RLHF-V-3', [picks(1, 'R')]),
    ];
    const { metrics } = scoreRecords(records, opts({ benchmark: 'vl-rewardbench' }));
    assert.deepEqual(metrics.categories, {
      general: { items: 1, accuracy: 1 },
      hallucination: { items: 2, accuracy: 0.5 },
    });
    assert.equal(metrics.macro, null, 'macro needs all three groups');
  });
});

describe('r1-compat: the released R1-Reward evaluation', () => {
  it('groups VL-RewardBench items by case-sensitive substring of the raw id', () => {
    const group = (id: string, meta?: Record<string, unknown>) =>
      r1CompatGroup(record(id, [picks(1, 'R')], { meta }));
    assert.equal(group('RLAIF-V_123'), 'general');
    assert.equal(group('RLHF-V-9'), 'general');
    assert.equal(group('rlaif_5'), 'hallucination');
    assert.equal(group('hallucination_pair-1003'), 'hallucination');
    assert.equal(group('mathverse_12'), 'reasoning');
    assert.equal(group('mmmu_hallucination_3'), 'reasoning', 'reasoning is tested first');
    assert.equal(group('wildvision_7'), 'general');
    assert.equal(group('x#2', { sourceId: 'mmmu_1' }), 'reasoning', 'the raw id, not a deduplicated one');
  });

  // The committed extract on every clone; the full released copy as well where it is present.
  const fullCopy = new URL('../../../shared/data/vl-rewardbench.r1-copy.jsonl', import.meta.url).pathname;
  const extract = new URL('../fixtures/benchmarks/vl-rewardbench.r1-copy.extract.jsonl', import.meta.url)
    .pathname;
  const copies: [string, Record<string, number>][] = [
    [extract, { general: 17, hallucination: 6, reasoning: 12 }],
    ...(existsSync(fullCopy)
      ? [[fullCopy, { general: 484, hallucination: 448, reasoning: 318 }] as [string, Record<string, number>]]
      : []),
  ];
  for (const [vlFile, split] of copies)
    it(`splits ${basename(vlFile)} as the released evaluation does`, () => {
      const ids = readFileSync(vlFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { id: string }).id);
      const records = ids.map((id) => record(id, [picks(1, 'R')]));
      const { metrics } = scoreRecords(records, opts({ benchmark: 'vl-rewardbench', protocol: 'r1-compat' }));
      assert.deepEqual(
        Object.fromEntries(Object.entries(metrics.categories).map(([n, c]) => [n, c.items])),
        split,
      );
    });

  it('uses the first sample of the preferred-first judgement; unparseable is wrong; nothing is dropped', () => {
    const records = [
      record('mmmu_1', [picks(1, '-RR')]), // first sample unparseable → wrong (official vote would be right)
      record('hallucination_2', [picks(1, 'RWW')]), // first right → right
      record('wildvision_3', [picks(1, 'W')]),
    ];
    const compat = scoreRecords(
      records.map((r) => ({ ...r, k: 3 })),
      opts({ benchmark: 'vl-rewardbench', protocol: 'r1-compat', k: 3 }),
    );
    close(compat.metrics.overall, 1 / 3);
    assert.equal(compat.details.dropped, 0);
    close(compat.metrics.macro, (0 + 1 + 0) / 3);
    assert.deepEqual(compat.metrics.unparseable, { count: 1, samples: 3, rate: 1 / 3 });
  });

  it('with order both, reads only the preferred-first half; a random-order run is refused', () => {
    const both = [record('hallucination_1', [picks(1, 'R'), picks(2, 'W')])];
    const { metrics } = scoreRecords(
      both,
      opts({ benchmark: 'vl-rewardbench', protocol: 'r1-compat', order: 'both' }),
    );
    assert.equal(metrics.overall, 1);
    assert.throws(
      () => scoreRecords([record('x', [picks(2, 'R')])], opts({ protocol: 'r1-compat', order: 'random' })),
      /only judged with the rejected response first.*--order fixed or --order both/,
    );
  });
});

describe('Multimodal RewardBench official scoring', () => {
  it('an unparseable or tied verdict is a coin flip seeded per item; splits count in their parent', () => {
    const records = [
      record('a', [picks(1, 'R')], { category: 'reasoning/math' }),
      record('b', [picks(2, 'W')], { category: 'reasoning/coding' }),
      record('pairs_1', [picks(1, 'R')], { category: 'safety/bias' }),
      record('c', [picks(1, 'R')], { category: 'vqa' }),
    ];
    const { metrics } = scoreRecords(records, opts({ benchmark: 'multimodal-rewardbench', seed: 7 }));
    close(metrics.overall, 3 / 4);
    assert.deepEqual(metrics.categories.reasoning, { items: 2, accuracy: 0.5 });
    assert.deepEqual(metrics.categories['reasoning/math'], { items: 1, accuracy: 1 });
    assert.deepEqual(metrics.categories.safety, { items: 1, accuracy: 1 });
    assert.equal(metrics.macro, null);

    const unparseable = Array.from({ length: 200 }, (_, i) =>
      record(`u${i}`, [picks(1, '-RW')], { category: 'vqa' }),
    );
    const seed = 3;
    const expected = unparseable.filter((r) => seededCoin(seed, `coin:${r.id}`) === 1).length;
    const first = scoreRecords(unparseable, opts({ benchmark: 'multimodal-rewardbench', seed, k: 3 }));
    const again = scoreRecords(unparseable, opts({ benchmark: 'multimodal-rewardbench', seed, k: 3 }));
    close(first.metrics.overall, expected / 200);
    assert.equal(first.metrics.overall, again.metrics.overall, 'rescoring is stable');
    assert.ok(expected > 70 && expected < 130, `a fair coin: ${expected} heads of 200`);
    assert.equal(first.details.dropped, 0);
  });
});

describe('MM-RLHF-RewardBench scoring', () => {
  it("re-derives the paper's row: 34/42, 33/37, 28/34, 24/32, 18/25 → Acc 80.59, Acc+ 54.35", () => {
    // Per category: items, wrong items, and how many question ids hold a wrong item ("bad") or none ("good").
    const plan = [
      { category: 'mcq', items: 42, wrong: 8, bad: 5, good: 6 },
      { category: 'long', items: 37, wrong: 4, bad: 4, good: 5 },
      { category: 'short', items: 34, wrong: 6, bad: 4, good: 5 },
      { category: 'safety', items: 32, wrong: 8, bad: 4, good: 5 },
      { category: 'video', items: 25, wrong: 7, bad: 4, good: 4 },
    ];
    const records = plan.flatMap(({ category, items, wrong, bad, good }) => {
      const groups = bad + good;
      return Array.from({ length: items }, (_, i) => {
        const isWrong = i < wrong;
        // Wrong items go to the bad ids round robin; right items to every id round robin.
        const group = isWrong ? i % bad : (i - wrong) % groups;
        const firstAt = i % 2 === 0 ? 1 : 2;
        // Voting over 3 samples: right items win 2–1; wrong ones lose 1–2 or are all unparseable.
        const pattern = isWrong ? (i % 3 === 0 ? '---' : 'WRW') : i % 4 === 0 ? 'RWR' : 'RR-';
        return record(`${category}-${i}`, [picks(firstAt, pattern)], {
          category,
          meta: { groupId: `${category}/${group}` },
        });
      });
    });
    assert.equal(records.length, 170);
    const { metrics, details } = scoreRecords(records, opts({ benchmark: 'mm-rlhf', k: 3 }));
    assert.equal((100 * metrics.overall!).toFixed(2), '80.59');
    assert.equal((100 * metrics.accPlus!).toFixed(2), '54.35');
    assert.deepEqual(details.accPlusGroups, { correct: 25, total: 46 });
    assert.deepEqual(details.categoryCorrect, { long: 33, mcq: 34, safety: 24, short: 28, video: 18 });
    close(metrics.categories.video!.accuracy, 18 / 25);
  });

  it('is strict: a tie or an all-unparseable item is wrong, never dropped', () => {
    const records = [
      record('t', [picks(1, 'RW')], { category: 'mcq', meta: { groupId: 'q1' } }),
      record('u', [picks(2, '--')], { category: 'mcq', meta: { groupId: 'q1' } }),
      record('r', [picks(2, 'R-')], { category: 'long', meta: { groupId: 'q2' } }),
    ];
    const { metrics, details } = scoreRecords(records, opts({ k: 2 }));
    close(metrics.overall, 1 / 3);
    assert.equal(details.dropped, 0);
    assert.equal(metrics.accPlus, 0.5);
    assert.throws(() => scoreRecords([record('z', [picks(1, 'R')])], opts({})), /item z has no meta.groupId/);
  });
});

describe('Voting@K, Any@K, parse counts and position statistics', () => {
  it('Voting@K takes the majority of the first K samples; Any@K whether any was right', () => {
    const records = [
      record('a', [picks(1, 'WRR')], { meta: { groupId: 'a' } }),
      record('b', [picks(2, 'WWW')], { meta: { groupId: 'b' } }),
    ];
    const { metrics } = scoreRecords(records, opts({ k: 3 }));
    assert.deepEqual(metrics.votingAtK, { 1: 0, 2: 0, 3: 0.5 });
    assert.deepEqual(metrics.anyAtK, { 1: 0, 2: 0.5, 3: 0.5 });
  });

  it('counts unparseable samples and those parsed by the last-digit fallback', () => {
    const r = record('a', [[1, 'f1', null, 1, 'f2']], { meta: { groupId: 'a' } });
    const { metrics } = scoreRecords([r], opts({ k: 4 }));
    assert.deepEqual(metrics.unparseable, { count: 1, samples: 4, rate: 0.25 });
    assert.deepEqual(metrics.fallbackParsed, { count: 2, samples: 4, rate: 0.5 });
  });

  it('order both: position consistency compares the two orders’ votes; position bias per side', () => {
    const records = [
      record('same', [picks(1, 'RR'), picks(2, 'RR')], { meta: { groupId: '1' } }),
      // always answers "1": right when the preferred response is first, wrong when second
      record('biased', [picks(1, 'RR'), picks(2, 'WW')], { meta: { groupId: '2' } }),
      record('silent', [picks(1, 'RR'), picks(2, '--')], { meta: { groupId: '3' } }),
    ];
    const { metrics, details } = scoreRecords(records, opts({ k: 2, order: 'both' }));
    assert.deepEqual(metrics.positionConsistency, {
      rate: 0.5,
      consistent: 1,
      disagreements: 1,
      compared: 2,
    });
    // Votes pooled over both orders: same RRRR ✓, biased RRWW tie ✗, silent RR-- ✓
    close(metrics.overall, 2 / 3);
    assert.deepEqual(details.positionBias, {
      answeredOne: 8,
      parsed: 10,
      shownFirst: { correct: 6, parsed: 6 },
      shownSecond: { correct: 2, parsed: 4 },
    });
    assert.equal(scoreRecords(records, opts({ k: 2, order: 'fixed' })).metrics.positionConsistency, null);
  });

  it('metrics.json has exactly the keys the issue lists', () => {
    const { metrics } = scoreRecords([record('a', [picks(1, 'R')], { meta: { groupId: 'a' } })], opts({}));
    assert.deepEqual(Object.keys(metrics).sort(), [
      'accPlus',
      'anyAtK',
      'benchmark',
      'categories',
      'fallbackParsed',
      'items',
      'k',
      'macro',
      'order',
      'overall',
      'positionConsistency',
      'protocol',
      'unparseable',
      'votingAtK',
    ]);
  });
});
