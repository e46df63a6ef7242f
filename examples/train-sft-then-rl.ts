// Train a reward model from TypeScript: a tiny synthetic world → SFT cold start (the model learns
// the <think>…</think><answer>N</answer> format from teacher traces) → a few StableReinforce steps
// from the SFT checkpoint (rewards R·(1 + 0.5·C) + 0.5·F, Pre-CLIP, Advantage Filter).
// Sized to run in seconds on a laptop CPU: it shows the API, not a good model (for that, see
// `npm start` and docs/training.md). Needs the native addon (npm run build:native).
// Run: node --import tsx examples/train-sft-then-rl.ts [OUT_DIR]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_WORLD, trainRl, trainSft, writeSyntheticWorld } from '../src/index.js';

const out = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'r1-train-'));

// 1. Data: sft.jsonl (teacher traces), rl.jsonl (the hard samples), benchmark.jsonl (held-out pairs).
const world = join(out, 'world');
await writeSyntheticWorld(world, {
  ...DEFAULT_WORLD,
  seed: 1,
  trainSize: 120,
  benchmarkSize: 8,
  imageSize: 32,
});

// 2. SFT cold start. Each trainer takes one typed config (zod-checked, with defaults) and writes
//    run.json, metrics.jsonl and checkpoints/ under runDir; `resume: true` continues a killed run.
const heldOut = { file: join(world, 'benchmark.jsonl') }; // judged greedily every evalEvery steps
const sft = await trainSft(
  {
    runDir: join(out, 'sft'),
    data: { file: join(world, 'sft.jsonl') },
    heldOut,
    preset: 'tiny', // model size: src/model/config.ts
    vocabSize: 320, // a byte-level BPE is trained on the data when no tokenizer is given
    steps: 6,
    batchSize: 8,
    lr: 3e-3,
    evalEvery: 6,
    evalSize: 8,
    evalMaxNewTokens: 24,
    seed: 1,
  },
  { onStep: (m, total) => console.log(`sft ${m.step}/${total} loss ${m.loss.toFixed(3)}`) },
);

// 3. StableReinforce from the SFT checkpoint; algorithm: 'reinforce++' | 'ppo-clip' | 'grpo' | 'rloo'
//    and the switches preClip / filter / consistency give the ablation's arms.
const rl = await trainRl(
  {
    runDir: join(out, 'rl'),
    init: sft.checkpoint,
    data: { file: join(world, 'rl.jsonl') },
    heldOut,
    algorithm: 'stable-reinforce',
    referee: 'rule', // the consistency referee; or an OpenAI-compatible base URL
    steps: 2,
    rolloutBatch: 4,
    microBatch: 4,
    maxNewTokens: 24,
    evalEvery: 2,
    evalSize: 8,
    seed: 1,
  },
  {
    onStep: (m, total) =>
      console.log(
        `rl ${m.step}/${total} reward ${m.reward_mean.toFixed(3)} (format ${m.format_rate}, result ${m.result_rate})`,
      ),
  },
);

console.log(
  JSON.stringify({
    sft: { checkpoint: sft.checkpoint, steps: sft.steps, heldOutAccuracy: sft.heldOut?.accuracy },
    rl: { checkpoint: rl.checkpoint, steps: rl.steps, heldOutAccuracy: rl.heldOut?.accuracy },
  }),
);
