// The real benchmark files, text only (their images are not shipped): the committed extracts on every
// clone, and the full files in ../shared/data as well where they are present.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import {
  type PreferencePair,
  parseR1RewardPrompt,
  R1_REWARD_PROMPT_TEMPLATE,
  r1RewardPrompt,
  readBenchmark,
} from '../../src/data/index.js';
import type { BenchmarkName } from '../../src/data/types.js';

const repo = new URL('../../', import.meta.url).pathname;
const shared = join(repo, '..', 'shared', 'data');
const extracts = join(repo, 'test', 'fixtures', 'benchmarks');
const promptFile = join(shared, 'r1-reward-prompt.json');

/**
 * The committed extract (test/fixtures/benchmarks, made by scripts/make-benchmark-extracts.mjs) and,
 * where this clone has it, the full file in ../shared/data: each with the numbers it must show.
 */
function sources<T>(extract: string, full: string, expectExtract: T, expectFull: T): [string, T][] {
  return [
    [join(extracts, extract), expectExtract],
    ...(existsSync(join(shared, full)) ? [[join(shared, full), expectFull] as [string, T]] : []),
  ];
}

async function readTextOnly(benchmark: BenchmarkName, file: string): Promise<PreferencePair[]> {
  const pairs: PreferencePair[] = [];
  for await (const pair of readBenchmark(benchmark, file, { checkImages: false })) pairs.push(pair);
  return pairs;
}

function tally(values: (string | undefined)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[String(v)] = (out[String(v)] ?? 0) + 1;
  return out;
}

describe('real VL-RewardBench R1 copy', () => {
  const vl = sources(
    'vl-rewardbench.r1-copy.extract.jsonl',
    'vl-rewardbench.r1-copy.jsonl',
    {
      pairs: 35,
      official: { general: 10, hallucination: 13, reasoning: 12 },
      r1Compat: { general: 17, hallucination: 6, reasoning: 12 },
      repeated: 2,
    },
    {
      pairs: 1250,
      official: { general: 183, hallucination: 749, reasoning: 318 },
      r1Compat: { general: 484, hallucination: 448, reasoning: 318 },
      repeated: 25,
    },
  );
  for (const [file, expected] of vl)
    it(`${basename(file)}: unique ids, the official split and the r1-compat split`, async () => {
      const pairs = await readTextOnly('vl-rewardbench', file);
      assert.equal(pairs.length, expected.pairs);
      assert.equal(
        new Set(pairs.map((p) => p.id)).size,
        expected.pairs,
        'ids made unique (the file repeats some)',
      );
      assert.deepEqual(tally(pairs.map((p) => p.category)), expected.official);
      assert.deepEqual(tally(pairs.map((p) => p.meta?.['r1CompatCategory'] as string)), expected.r1Compat);
      assert.equal(pairs.filter((p) => p.meta?.['sourceId'] !== undefined).length, expected.repeated);
      for (const p of pairs) {
        assert.equal(p.images.length, 1);
        assert.ok(typeof p.images[0] === 'string' && p.images[0].startsWith(dirname(file)));
      }
    });
});

describe('real MM-RLHF-RewardBench', () => {
  const mm = sources(
    'mm-rlhf-rewardbench.extract.jsonl',
    'mm-rlhf-rewardbench.jsonl',
    { pairs: 40, groups: 10, categories: { mcq: 9, long: 7, short: 7, safety: 12, video: 5 } },
    { pairs: 170, groups: 46, categories: { mcq: 42, long: 37, short: 34, safety: 32, video: 25 } },
  );
  for (const [file, expected] of mm)
    it(`${basename(file)}: pairs in question groups, a category per image or video path`, async () => {
      const pairs = await readTextOnly('mm-rlhf', file);
      assert.equal(pairs.length, expected.pairs);
      assert.equal(new Set(pairs.map((p) => p.id)).size, expected.pairs);
      assert.equal(new Set(pairs.map((p) => p.meta?.['groupId'])).size, expected.groups);
      assert.deepEqual(tally(pairs.map((p) => p.category)), expected.categories);
      assert.equal(pairs.filter((p) => p.meta?.['video'] !== undefined).length, expected.categories.video);
    });
});

describe('the released judge prompt', () => {
  it('R1_REWARD_PROMPT_TEMPLATE round-trips (and equals r1-reward-prompt.json where present)', () => {
    if (existsSync(promptFile)) {
      const { template } = JSON.parse(readFileSync(promptFile, 'utf8')) as { template: string };
      assert.equal(R1_REWARD_PROMPT_TEMPLATE, template);
    }
    const filled = r1RewardPrompt('What is {answer1}?', 'A $& cat.  ', 'B');
    assert.deepEqual(parseR1RewardPrompt(filled), {
      question: 'What is {answer1}?',
      answer1: 'A $& cat.  ',
      answer2: 'B',
    });
  });
});
