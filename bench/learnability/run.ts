// bench/learnability: how many steps a small LM needs to learn one comparison — "is the object's
// colour the one the question names?" — with our trainer and with the same model in PyTorch
// (Debian's python3-torch, reference.py), on the same token ids, at several learning rates.
//   node --import tsx bench/learnability/run.ts [--steps 2000] [--lrs 1e-3,3e-3] [--seeds 1,2]
//        [--positions learned|rope] [--python /usr/bin/python3]
// Why: the synthetic world's judge stays at chance while it describes images and copies claims
// perfectly; this isolates the step it fails, a comparison of two tokens, and shows whether the
// plateau is ours (an engine bug) or the model's (PyTorch plateaus the same way).
// Task: "In the image: <cell>: a <size> <colour> <shape>.\nIs there a <colour>?" → " yes" / " no",
// balanced. Model: text-only, d 128, 2 layers, 4 heads, GELU MLP 4×, tied head (the cells preset's
// LM); AdamW β (0.9, 0.95), no weight decay, 100 warmup steps then constant lr, batch 32, grad clip 1.
// Prints, per side, lr and seed, the first evaluated step at which held-out accuracy reaches 90 %;
// writes the curves to runs/bench/learnability-<time>.json.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Rng } from '../../src/algo/random.js';
import { CELL_NAMES, COLORS, SHAPES, SIZES } from '../../src/data/synthetic/index.js';
import { manualSeed, noGrad, scope, setNumThreads } from '../../src/engine/index.js';
import { writeJsonAtomic } from '../../src/io/atomic-write.js';
import { makeRunRecord } from '../../src/io/run-record.js';
import { type PositionEncoding, validateConfig } from '../../src/model/config.js';
import { VisionLanguageModel } from '../../src/model/model.js';
import { sequenceLogProbs } from '../../src/model/scoring.js';
import { Tokenizer } from '../../src/model/tokenizer.js';
import { guardedStep, makeOptimizer } from '../../src/train/run.js';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '2000' },
    lrs: { type: 'string', default: '1e-3,3e-3' },
    seeds: { type: 'string', default: '1,2' },
    positions: { type: 'string', default: 'learned' },
    python: { type: 'string', default: process.env['PYTHON'] ?? '/usr/bin/python3' },
  },
});
const steps = Number(args.steps);
const lrs = args.lrs.split(',').map(Number);
const seeds = args.seeds.split(',').map(Number);
const positions = args.positions as PositionEncoding;
const EVAL_EVERY = 250;
const BATCH = 32;
const WARMUP = 100;
const root = new URL('../../', import.meta.url).pathname;
setNumThreads(1);

// --- the task ----------------------------------------------------------------------------------------
const dataRng = new Rng(7);
const pick = <T>(xs: readonly T[]): T => xs[dataRng.int(xs.length)]!;
const texts = Array.from({ length: 20_000 }, () => {
  const color = pick(COLORS);
  const yes = dataRng.next() < 0.5;
  const asked = yes ? color : pick(COLORS.filter((c) => c !== color));
  return {
    prompt: `In the image: ${pick(CELL_NAMES)}: a ${pick(SIZES)} ${color} ${pick(SHAPES)}.\nIs there a ${asked}?`,
    answer: yes ? ' yes' : ' no',
  };
});
const tokenizer = Tokenizer.train(
  texts.slice(0, 500).map((t) => t.prompt + t.answer),
  { vocabSize: 320 },
);
const rows = texts.map((t) => ({ p: tokenizer.encode(t.prompt), t: tokenizer.encode(t.answer) }));
const held = rows.slice(-400);
const train = rows.slice(0, -400);
const yes = tokenizer.encode(' yes');
const no = tokenizer.encode(' no');
if (yes.length !== 1 || no.length !== 1) throw new Error('internal: the answers must be one token each');

// --- our side ------------------------------------------------------------------------------------------
type Curve = { step: number; loss: number; accuracy: number }[];

function ours(lr: number, seed: number): Curve {
  manualSeed(seed);
  const config = validateConfig({
    vocabSize: tokenizer.vocabSize,
    maxSeqLen: 64,
    dModel: 128,
    nLayers: 2,
    nHeads: 4,
    mlpRatio: 4,
    dropout: 0,
    vision: null,
    positions,
  });
  const model = new VisionLanguageModel(config, { seed });
  const optimizer = makeOptimizer(model.parameters(), 0);
  const batchRng = new Rng(seed);
  const curve: Curve = [];
  for (let step = 1; step <= steps; step++) {
    const batch = Array.from({ length: BATCH }, () => train[batchRng.int(train.length)]!);
    const loss = scope(() => {
      const { logProbs, mask } = sequenceLogProbs(model, {
        prompts: batch.map((b) => b.p),
        responses: batch.map((b) => b.t),
      });
      const l = logProbs.sum().neg().div(mask.sum());
      l.backward();
      return l.item();
    });
    guardedStep(optimizer, Number.isFinite(loss), lr * Math.min(1, step / WARMUP), 1);
    if (step % EVAL_EVERY === 0) curve.push({ step, loss, accuracy: accuracy(model) });
  }
  model.dispose();
  return curve;
}

/** Held-out accuracy: is " yes" or " no" likelier after the prompt, and is that the answer? */
function accuracy(model: VisionLanguageModel): number {
  return noGrad(() =>
    scope(() => {
      const logits = model.forward({ tokens: padRight(held.map((h) => h.p)) });
      const V = tokenizer.vocabSize;
      const flat = logits.toTypedArray() as Float32Array;
      const T = logits.size(1);
      let right = 0;
      held.forEach((h, i) => {
        const at = (i * T + h.p.length - 1) * V;
        const saysYes = flat[at + yes[0]!]! > flat[at + no[0]!]!;
        if (saysYes === (h.t[0] === yes[0])) right++;
      });
      return right / held.length;
    }),
  );
}

function padRight(prompts: number[][]): number[][] {
  const width = Math.max(...prompts.map((p) => p.length));
  return prompts.map((p) => [...p, ...new Array<number>(width - p.length).fill(tokenizer.id('pad'))]);
}

// --- the PyTorch side ------------------------------------------------------------------------------------
async function pytorch(dataFile: string, lr: number, seed: number): Promise<Curve> {
  const child = spawn(
    args.python,
    [`${root}bench/learnability/reference.py`, dataFile, String(lr), String(seed), String(steps)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0)
    throw new Error(
      `the PyTorch reference exited with ${code} (${args.python} bench/learnability/reference.py): install python3-torch or pass --python`,
    );
  return JSON.parse(out) as Curve;
}

// --- run -------------------------------------------------------------------------------------------------
const dir = mkdtempSync(join(tmpdir(), 'bench-learnability-'));
const dataFile = join(dir, 'data.json');
writeFileSync(
  dataFile,
  JSON.stringify({
    vocab: tokenizer.vocabSize,
    pad: tokenizer.id('pad'),
    yes: yes[0],
    no: no[0],
    positions,
    evalEvery: EVAL_EVERY,
    batch: BATCH,
    warmup: WARMUP,
    train,
    held,
  }),
);
const firstAbove = (curve: Curve) => curve.find((c) => c.accuracy >= 0.9)?.step ?? null;
const results: { side: string; lr: number; seed: number; stepTo90: number | null; curve: Curve }[] = [];
try {
  for (const lr of lrs)
    for (const seed of seeds)
      for (const side of ['ours', 'pytorch'] as const) {
        const curve = side === 'ours' ? ours(lr, seed) : await pytorch(dataFile, lr, seed);
        const row = { side, lr, seed, stepTo90: firstAbove(curve), curve };
        results.push(row);
        const last = curve.at(-1)!;
        console.log(
          `${side.padEnd(7)} lr ${lr} seed ${seed}: 90 % held out at step ${row.stepTo90 ?? `> ${steps}`}; final accuracy ${(100 * last.accuracy).toFixed(1)} %, loss ${last.loss.toFixed(3)}`,
        );
      }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const file = join(
  root,
  'runs',
  'bench',
  `learnability-${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
);
writeJsonAtomic(file, {
  ...makeRunRecord('bench learnability', { steps, lrs, seeds, positions }, seeds[0]!),
  results,
});
console.log(`wrote ${file}`);
