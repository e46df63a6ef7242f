// The real benchmark text files in ../shared/data (images are not shipped, so text only).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  type PreferencePair,
  parseR1RewardPrompt,
  R1_REWARD_PROMPT_TEMPLATE,
  r1RewardPrompt,
  readBenchmark,
} from '../../src/data/index.js';
import type { BenchmarkName } from '../../src/data/types.js';

const shared = join(new URL('../../', import.meta.url).pathname, '..', 'shared', 'data');
const vlFile = join(shared, 'vl-rewardbench.r1-copy.jsonl');
const mmFile = join(shared, 'mm-rlhf-rewardbench.jsonl');
const promptFile = join(shared, 'r1-reward-prompt.json');
const absent = (file: string) =>
  !existsSync(file) && `${file} not present (the shared benchmark data is not in this clone)`;

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

describe('real VL-RewardBench R1 copy', { skip: absent(vlFile) }, () => {
  it('has 1,250 pairs with unique ids and the official split 183 / 749 / 318', async () => {
    const pairs = await readTextOnly('vl-rewardbench', vlFile);
    assert.equal(pairs.length, 1250);
    assert.equal(new Set(pairs.map((p) => p.id)).size, 1250, 'ids made unique (the file repeats 25 ids)');
    assert.deepEqual(tally(pairs.map((p) => p.category)), {
      general: 183,
      hallucination: 749,
      reasoning: 318,
    });
    assert.deepEqual(tally(pairs.map((p) => p.meta?.['r1CompatCategory'] as string)), {
      general: 484,
      hallucination: 448,
      reasoning: 318,
    });
    assert.equal(pairs.filter((p) => p.meta?.['sourceId'] !== undefined).length, 25);
    for (const p of pairs) {
      assert.equal(p.images.length, 1);
      assert.ok(typeof p.images[0] === 'string' && p.images[0].startsWith(shared));
    }
  });
});

describe('real MM-RLHF-RewardBench', { skip: absent(mmFile) }, () => {
  it('has 170 pairs in 46 question groups: mcq 42, long 37, short 34, safety 32, video 25', async () => {
    const pairs = await readTextOnly('mm-rlhf', mmFile);
    assert.equal(pairs.length, 170);
    assert.equal(new Set(pairs.map((p) => p.id)).size, 170);
    assert.equal(new Set(pairs.map((p) => p.meta?.['groupId'])).size, 46);
    assert.deepEqual(tally(pairs.map((p) => p.category)), {
      mcq: 42,
      long: 37,
      short: 34,
      safety: 32,
      video: 25,
    });
    assert.equal(pairs.filter((p) => p.meta?.['video'] !== undefined).length, 25);
  });
});

describe('the released judge prompt', { skip: absent(promptFile) }, () => {
  it('R1_REWARD_PROMPT_TEMPLATE is byte-identical to r1-reward-prompt.json, and round-trips', () => {
    const { template } = JSON.parse(readFileSync(promptFile, 'utf8')) as { template: string };
    assert.equal(R1_REWARD_PROMPT_TEMPLATE, template);
    const filled = r1RewardPrompt('What is {answer1}?', 'A $& cat.  ', 'B');
    assert.deepEqual(parseR1RewardPrompt(filled), {
      question: 'What is {answer1}?',
      answer1: 'A $& cat.  ',
      answer2: 'B',
    });
  });
});
