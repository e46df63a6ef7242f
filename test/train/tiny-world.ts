// A small judging world made by a simple rule, for fast end-to-end training tests: the preferred
// response names a fruit, the rejected one a non-fruit. Written in the real R1-Reward format.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../src/algo/random.js';
import { r1RewardAnswer, r1RewardMessage } from '../../src/data/r1-reward-format.js';
import { trainSft } from '../../src/train/sft.js';

// Four-letter words and one question: every prompt has the same length, so a tiny model can learn
// the rule by position within a few dozen steps.
const FRUITS = ['pear', 'plum', 'lime', 'kiwi', 'figs', 'date'];
const OTHERS = ['rock', 'sand', 'dust', 'coal', 'nail', 'wood'];
const QUESTIONS = ['Snack?'];

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

/** The teacher's judgement: it names the fruit, then says which response holds it. */
export function tinyTrace(word1: string, word2: string, label: 1 | 2): string {
  const fruit = label === 1 ? word1 : word2;
  return `<think>The fruit is ${fruit}, in response ${label}.</think><answer>${label}</answer>`;
}

/**
 * Writes sft.jsonl (with traces), rl.jsonl and heldout.jsonl (both without) in R1-Reward format,
 * text only (no image), so a tiny model trains in seconds.
 */
export function writeTinyWorld(dir: string, sizes = { sft: 256, rl: 64, heldOut: 40 }, seed = 1): void {
  mkdirSync(dir, { recursive: true });
  const rng = new Rng(seed);
  const r1Lines = (name: string, n: number, withTrace: boolean) =>
    Array.from({ length: n }, (_, i) => {
      const p = pair(rng);
      const label = (rng.int(2) + 1) as 1 | 2;
      const [w1, w2] = label === 1 ? [p.chosen, p.rejected] : [p.rejected, p.chosen];
      return JSON.stringify({
        id: `tiny-${name}-${i}`,
        message: r1RewardMessage(p.question, `It is a ${w1}.`, `It is a ${w2}.`, []),
        question: p.question,
        answer: r1RewardAnswer(label),
        ...(withTrace ? { response: tinyTrace(w1, w2, label) } : {}),
      });
    }).join('\n');
  writeFileSync(join(dir, 'sft.jsonl'), `${r1Lines('sft', sizes.sft, true)}\n`);
  writeFileSync(join(dir, 'rl.jsonl'), `${r1Lines('rl', sizes.rl, false)}\n`);
  writeFileSync(join(dir, 'heldout.jsonl'), `${r1Lines('heldout', sizes.heldOut, false)}\n`);
}

/**
 * A tiny world and a judge trained on it for a few seconds (30 SFT steps): an RL starting point that
 * already writes judgements, so rollouts differ in reward and updates have a gradient.
 */
export async function trainTinyJudge(dir: string): Promise<{ world: string; sft: string }> {
  const world = join(dir, 'world');
  writeTinyWorld(world, { sft: 32, rl: 16, heldOut: 8 });
  const sft = join(dir, 'sft');
  await trainSft({
    runDir: sft,
    data: { file: join(world, 'sft.jsonl') },
    preset: 'tiny',
    vocabSize: 320,
    seed: 1,
    steps: 30,
    batchSize: 8,
    microBatchSize: 8,
    lr: 3e-3,
    evalEvery: 0,
    checkpointEvery: 0,
  });
  return { world, sft };
}
