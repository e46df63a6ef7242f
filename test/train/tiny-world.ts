// A small judging world made by a simple rule, for fast end-to-end training tests: the preferred
// response names a fruit, the rejected one a non-fruit. Written in the real formats: R1-Reward JSONL
// (sft.jsonl with the teacher's trace in `response`, rl.jsonl without) and a benchmark file in the
// VL-RewardBench-copy shape, all pointing at one small PNG.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { r1RewardAnswer, r1RewardMessage } from '../../src/data/r1-reward-format.js';
import { Rng } from '../../src/model/random.js';

// Four-letter words and one question: every prompt has the same length, so a tiny model can learn
// the rule by position within a few dozen steps.
const FRUITS = ['pear', 'plum', 'lime', 'kiwi', 'figs', 'date'];
const OTHERS = ['rock', 'sand', 'dust', 'coal', 'nail', 'wood'];
const QUESTIONS = ['What is in the bowl?'];

interface TinyPair {
  question: string;
  chosen: string;
  rejected: string;
}

function pair(rng: Rng): TinyPair {
  return {
    question: QUESTIONS[rng.int(QUESTIONS.length)]!,
    chosen: FRUITS[rng.int(FRUITS.length)]!,
    rejected: OTHERS[rng.int(OTHERS.length)]!,
  };
}

/** The teacher's judgement: it restates both responses' words, then picks the fruit. */
export function tinyTrace(word1: string, word2: string, label: 1 | 2): string {
  return `<think>Response 1: ${word1}. Response 2: ${word2}. Response ${label} is a fruit.</think><answer>${label}</answer>`;
}

export async function writeTinyWorld(
  dir: string,
  sizes = { sft: 96, rl: 64, benchmark: 40 },
  seed = 1,
): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const png = await sharp({
    create: { width: 32, height: 32, channels: 3, background: { r: 200, g: 40, b: 40 } },
  })
    .png()
    .toBuffer();
  writeFileSync(join(dir, 'bowl.png'), png);
  const rng = new Rng(seed);
  const r1Lines = (n: number, withTrace: boolean) =>
    Array.from({ length: n }, (_, i) => {
      const p = pair(rng);
      const label = (i % 2 === 0 ? 1 : 2) as 1 | 2;
      const [w1, w2] = label === 1 ? [p.chosen, p.rejected] : [p.rejected, p.chosen];
      const [a1, a2] = [`It is a ${w1}.`, `It is a ${w2}.`];
      return JSON.stringify({
        id: `tiny-${withTrace ? 'sft' : 'rl'}-${i}`,
        message: r1RewardMessage(p.question, a1, a2, ['bowl.png']),
        question: p.question,
        answer: r1RewardAnswer(label),
        ...(withTrace ? { response: tinyTrace(w1, w2, label) } : {}),
      });
    }).join('\n');
  writeFileSync(join(dir, 'sft.jsonl'), `${r1Lines(sizes.sft, true)}\n`);
  writeFileSync(join(dir, 'rl.jsonl'), `${r1Lines(sizes.rl, false)}\n`);
  const bench = Array.from({ length: sizes.benchmark }, (_, i) => {
    const p = pair(rng);
    return JSON.stringify({
      id: `tiny-bench-${i}`,
      prompt: p.question,
      chosen: `It is a ${p.chosen}.`,
      rejected: `It is a ${p.rejected}.`,
      image: 'bowl.png',
      category: 'fruit',
    });
  });
  writeFileSync(join(dir, 'benchmark.jsonl'), `${bench.join('\n')}\n`);
}
