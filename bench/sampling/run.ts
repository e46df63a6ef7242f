// bench/sampling: KV-cache sampling with our model vs the same model in eager PyTorch (Debian's
// python3-torch, the same libtorch 1.13), same weights, same thread count, in one run. The sides
// alternate run by run (PyTorch is a child process answering JSON commands, reference.py) so that
// load from other processes hits both alike.
//   node --import tsx bench/sampling/run.ts [--threads 2] [--reps 5] [--batch 16] [--new 128]
//        [--prompt 32] [--prefill 128] [--python /usr/bin/python3] [--decode-threads 1]
//        [--preset NAME] [--vocab N] [--images N] [--op-by-op]
// --decode-threads: intra-op threads of our fused decode step (model.decodeThreads; 0 = --threads).
// --op-by-op: our side decodes with model.stepUnfused (~80 native calls a token) instead of the
// fused step, to see what the fused step is worth.
// Model: by default the reference LM preset (d 256, 4 layers, 4 heads, GELU MLP 4×, tied head) with
// the byte tokenizer's vocabulary (7 special tokens + 256 bytes = 263), positions for 256 tokens.
// --preset NAME: a preset of src/model/config.ts as it is (e.g. cells-mix, the default demo's judge,
// with local mixing and a vision tower), with a vocabulary of --vocab tokens (default 512, the demo's)
// from a BPE tokenizer trained on a seeded corpus; each prompt then starts with --images images
// (default 1 when the preset has vision) of seeded noise, encoded by the vision tower in every
// generate call on both sides, followed by --prompt text tokens.
// Prints tokens/s (sampling, prefill included, as a trainer sees it), prefill tokens/s, peak RSS and
// the ratios; writes the full record to runs/bench/sampling-<time>.json.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Rng } from '../../src/algo/random.js';
import { engineInfo, noGrad, saveSafetensors, setNumThreads, tensor } from '../../src/engine/index.js';
import { writeJsonAtomic } from '../../src/io/atomic-write.js';
import { makeRunRecord } from '../../src/io/run-record.js';
import { PRESETS, type PresetName, presetConfig, tokensPerImage } from '../../src/model/config.js';
import { generate, type Prompt } from '../../src/model/generate.js';
import { type ImagePixels, VisionLanguageModel } from '../../src/model/model.js';
import { Tokenizer } from '../../src/model/tokenizer.js';

const { values: args } = parseArgs({
  options: {
    threads: { type: 'string', default: '2' },
    reps: { type: 'string', default: '5' },
    batch: { type: 'string', default: '16' },
    new: { type: 'string', default: '128' },
    prompt: { type: 'string', default: '32' },
    prefill: { type: 'string', default: '128' },
    python: { type: 'string', default: process.env['PYTHON'] ?? '/usr/bin/python3' },
    'decode-threads': { type: 'string', default: '1' },
    preset: { type: 'string' },
    vocab: { type: 'string' },
    images: { type: 'string' },
    'op-by-op': { type: 'boolean', default: false },
  },
});
const threads = Number(args.threads);
const reps = Number(args.reps);
const batch = Number(args.batch);
const maxNew = Number(args.new);
const promptLen = Number(args.prompt);
const prefillLen = Number(args.prefill);
const root = new URL('../../', import.meta.url).pathname;
const VARIANTS = ['prealloc', 'cat'] as const;

setNumThreads(threads);
const preset = args.preset as PresetName | undefined;
if (preset !== undefined && !(preset in PRESETS))
  throw new RangeError(
    `--preset ${preset} is not a model preset; use one of ${Object.keys(PRESETS).join(', ')}`,
  );
const tokenizer = preset === undefined ? Tokenizer.train([], { vocabSize: 263 }) : benchTokenizer();
const config =
  preset === undefined
    ? { ...presetConfig('reference-lm', tokenizer.vocabSize), maxSeqLen: 256 }
    : presetConfig(preset, tokenizer.vocabSize);
const imagesPerPrompt = config.vision ? Number(args.images ?? 1) : 0;
if (!(Number.isInteger(imagesPerPrompt) && imagesPerPrompt >= 0))
  throw new RangeError(`--images must be an integer ≥ 0, got ${args.images}`);
const imageTokens = config.vision ? imagesPerPrompt * tokensPerImage(config.vision) : 0;
const imageTokenId = config.vision ? tokenizer.id('image') : null;
const model = new VisionLanguageModel(config, { seed: 0, imageTokenId });
model.decodeThreads = Number(args['decode-threads']);
if (args['op-by-op']) model.step = model.stepUnfused;
// Local mixing starts at zero (no effect); seeded weights make both sides compute it for real.
randomiseMixing(model);
const dataRng = new Rng(123);
const rows = (length: number) =>
  Array.from({ length: batch }, () => Array.from({ length }, () => 7 + dataRng.int(256)));
const textPrompts = rows(promptLen);
const prefillRows = rows(prefillLen);
// [batch × imagesPerPrompt] images of seeded noise, C×H×W in [0, 1].
const images: ImagePixels[][] = Array.from({ length: batch }, () =>
  Array.from({ length: imagesPerPrompt }, () =>
    Float32Array.from({ length: 3 * config.vision!.imageSize ** 2 }, () => dataRng.next()),
  ),
);
const prompts = textPrompts.map((text) => [
  ...new Array<number>(imageTokens).fill(imageTokenId ?? 0),
  ...text,
]);
const generatePrompts: Prompt[] = prompts.map((tokens, b) =>
  imagesPerPrompt > 0 ? { tokens, images: images[b]! } : { tokens },
);
if (prompts[0]!.length + maxNew > config.maxSeqLen)
  throw new RangeError(
    `prompt (${prompts[0]!.length} tokens, images included) + --new ${maxNew} exceed the preset's maxSeqLen ${config.maxSeqLen}; lower --prompt or --new`,
  );
if (prefillLen > config.maxSeqLen)
  throw new RangeError(`--prefill ${prefillLen} exceeds the preset's maxSeqLen ${config.maxSeqLen}`);

/** A BPE tokenizer of --vocab tokens (default 512, the demo's) trained on a seeded corpus of words. */
function benchTokenizer(): Tokenizer {
  const vocabSize = Number(args.vocab ?? 512);
  const rng = new Rng(7);
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const word = () => Array.from({ length: 2 + rng.int(6) }, () => letters[rng.int(letters.length)]).join('');
  const corpus = Array.from({ length: 2000 }, () => Array.from({ length: 12 }, word).join(' '));
  const trained = Tokenizer.train(corpus, { vocabSize });
  if (trained.vocabSize !== vocabSize)
    throw new Error(`the bench tokenizer reached ${trained.vocabSize} tokens, not --vocab ${vocabSize}`);
  return trained;
}

function randomiseMixing(m: VisionLanguageModel): void {
  const rng = new Rng(5);
  noGrad(() => {
    for (const [name, w] of m.namedParameters())
      if (name.endsWith('.mix.weight'))
        w.copy_(
          tensor(
            Float32Array.from({ length: w.numel() }, () => (rng.next() - 0.5) * 0.5),
            { shape: w.shape },
          ),
        );
  });
}

// --- the PyTorch side ------------------------------------------------------------------------------

const scratch = mkdtempSync(join(tmpdir(), 'bench-sampling-'));
const weightsPath = join(scratch, 'model.safetensors');
saveSafetensors(weightsPath, Object.fromEntries(model.namedParameters()));
// The prompts' images for the PyTorch side, [batch, imagesPerPrompt, 3, S, S].
const inputsPath = join(scratch, 'inputs.safetensors');
if (imagesPerPrompt > 0) {
  const side = config.vision!.imageSize;
  const flat = new Float32Array(batch * imagesPerPrompt * 3 * side * side);
  for (const [i, img] of images.flat().entries()) flat.set(img, i * img.length);
  saveSafetensors(inputsPath, { images: tensor(flat, { shape: [batch, imagesPerPrompt, 3, side, side] }) });
}
const child = spawn(args.python, [`${root}bench/sampling/reference.py`], {
  stdio: ['pipe', 'pipe', 'inherit'],
});
const replies = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
async function ask<T>(command: Record<string, unknown>): Promise<T> {
  child.stdin.write(`${JSON.stringify(command)}\n`);
  const line = await replies.next();
  if (line.done)
    throw new Error(
      `the PyTorch reference exited (${args.python} bench/sampling/reference.py): install python3-torch or pass --python`,
    );
  const reply = JSON.parse(line.value) as T & { error?: string };
  if (reply.error) throw new Error(`PyTorch reference: ${reply.error}`);
  return reply;
}

// --- our side ----------------------------------------------------------------------------------------

const rng = new Rng(0);
function ourGenerate(greedy = false): {
  seconds: number;
  cpuSeconds: number;
  firstRow: number[];
  firstLogProbs: number[];
} {
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const out = generate(
    model,
    tokenizer,
    generatePrompts,
    { maxNewTokens: maxNew, temperature: greedy ? 0 : 1, stopAtEos: false },
    rng,
  );
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const first = out[0]![0]!;
  if (out.some((s) => s[0]!.tokenIds.length !== maxNew)) throw new Error('a row stopped early');
  return { seconds, cpuSeconds, firstRow: first.tokenIds, firstLogProbs: first.logProbs };
}
function ourPrefill(): number {
  const start = performance.now();
  const cache = model.createCache(batch, prefillLen);
  model.prefill(cache, { tokens: prefillRows }).dispose();
  model.disposeCache(cache);
  return (performance.now() - start) / 1000;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  const torchInfo = await ask<{ torch: string; threads: number; blas: string[] }>({
    op: 'init',
    weights: weightsPath,
    inputs: imagesPerPrompt > 0 ? inputsPath : null,
    imageTokenId,
    config,
    threads,
  });
  // Same model on both sides: greedy decoding must agree token for token (float noise aside).
  const ours = ourGenerate(true);
  const agreement: Record<string, { tokens: number; maxLogProbGap: number }> = {};
  for (const variant of VARIANTS) {
    const theirs = await ask<{ firstRow: number[]; firstLogProbs: number[] }>({
      op: 'generate',
      prompts,
      maxNew,
      greedy: true,
      variant,
    });
    let agree = 0;
    while (agree < maxNew && ours.firstRow[agree] === theirs.firstRow[agree]) agree++;
    const gap = Math.max(
      ...ours.firstLogProbs.slice(0, agree).map((x, i) => Math.abs(x - theirs.firstLogProbs[i]!)),
    );
    agreement[variant] = { tokens: agree, maxLogProbGap: gap };
    console.log(
      `greedy cross-check vs PyTorch (${variant}): ${agree}/${maxNew} tokens agree, max |Δ log p| ${gap.toExponential(1)} over them`,
    );
  }

  // Rounds alternate: ours, PyTorch (same algorithm), PyTorch (torch.cat cache), then the prefills.
  const samples = {
    ours: [] as number[],
    torch: [] as number[],
    torchCat: [] as number[],
    torch1: [] as number[],
    // Tokens per CPU-second of the whole process (every thread): what load from other processes
    // distorts least on a shared machine.
    oursCpu: [] as number[],
    torchCpu: [] as number[],
    torchCatCpu: [] as number[],
    torch1Cpu: [] as number[],
    oursPrefill: [] as number[],
    torchPrefill: [] as number[],
  };
  const tokens = batch * maxNew;
  const torchGenerate = async (variant: string, torchThreads = threads, cpuRates?: number[]) => {
    const reply = await ask<{ seconds: number; cpuSeconds: number }>({
      op: 'generate',
      prompts,
      maxNew,
      variant,
      threads: torchThreads,
    });
    cpuRates?.push(tokens / reply.cpuSeconds);
    return tokens / reply.seconds;
  };
  // Our decode step runs at one intra-op thread (model.decodeThreads); with more threads asked for,
  // PyTorch also runs once more at one thread, so the table shows what that choice is worth.
  const oneThreadToo = threads > 1 && model.decodeThreads === 1 && !args['op-by-op'];
  ourGenerate();
  for (const variant of VARIANTS) await torchGenerate(variant);
  if (oneThreadToo) await torchGenerate('prealloc', 1);
  ourPrefill();
  await ask({ op: 'prefill', prompts: prefillRows });
  for (let r = 0; r < reps; r++) {
    const ours = ourGenerate();
    samples.ours.push(tokens / ours.seconds);
    samples.oursCpu.push(tokens / ours.cpuSeconds);
    samples.torch.push(await torchGenerate('prealloc', threads, samples.torchCpu));
    samples.torchCat.push(await torchGenerate('cat', threads, samples.torchCatCpu));
    if (oneThreadToo) samples.torch1.push(await torchGenerate('prealloc', 1, samples.torch1Cpu));
    samples.oursPrefill.push((batch * prefillLen) / ourPrefill());
    const prefill = await ask<{ seconds: number }>({ op: 'prefill', prompts: prefillRows });
    samples.torchPrefill.push((batch * prefillLen) / prefill.seconds);
    const last = (xs: number[]) => xs.at(-1)!.toFixed(0);
    console.log(
      `rep ${r + 1}/${reps}: sampling ${last(samples.ours)} vs ${last(samples.torch)} (same algorithm) / ${last(samples.torchCat)} (torch.cat)${oneThreadToo ? ` / ${last(samples.torch1)} (1 thread)` : ''} tokens/s; prefill ${last(samples.oursPrefill)} vs ${last(samples.torchPrefill)} tokens/s`,
    );
  }
  const torchRss = (await ask<{ maxRssKb: number }>({ op: 'rss' })).maxRssKb / 1024;
  const ourRss = process.resourceUsage().maxRSS / 1024;
  child.stdin.end();

  const best = (xs: number[]) => Math.max(...xs);
  const spread = (xs: number[]) => `${Math.min(...xs).toFixed(0)}–${best(xs).toFixed(0)}`;
  const ratios = samples.ours.map((x, i) => x / samples.torch[i]!);
  const table: [string, number, number, number | null, number | null][] = [
    [
      'sampling tokens/s (median)',
      median(samples.ours),
      median(samples.torch),
      median(samples.torchCat),
      oneThreadToo ? median(samples.torch1) : null,
    ],
    [
      'sampling tokens/s (best)',
      best(samples.ours),
      best(samples.torch),
      best(samples.torchCat),
      oneThreadToo ? best(samples.torch1) : null,
    ],
    [
      'sampling tokens per CPU-second (median)',
      median(samples.oursCpu),
      median(samples.torchCpu),
      median(samples.torchCatCpu),
      oneThreadToo ? median(samples.torch1Cpu) : null,
    ],
    ['prefill tokens/s (median)', median(samples.oursPrefill), median(samples.torchPrefill), null, null],
    ['peak RSS MiB (whole process)', ourRss, torchRss, null, null],
  ];
  console.log(
    `\n${args['op-by-op'] ? 'our side op by op (model.stepUnfused); ' : ''}model ${preset ?? 'reference-lm (seq 256)'}${config.localMix ? ` (localMix ${config.localMix})` : ''}, vocab ${config.vocabSize}, ${model.numParameters().toLocaleString('en')} parameters; batch ${batch}, prompt ${imageTokens > 0 ? `${imagesPerPrompt} image(s) = ${imageTokens} tokens + ` : ''}${promptLen}, ${maxNew} new tokens, threads ${threads}, ${reps} reps; prefill: batch ${batch} × ${prefillLen} text tokens`,
  );
  const cell = (a: number, c: number | null) =>
    c === null ? ' | ' : `${c.toFixed(0)} | ${(a / c).toFixed(2)}×`;
  console.log(
    `| measure | r1-reward | PyTorch eager, same algorithm | ratio | PyTorch eager, torch.cat cache | ratio | PyTorch eager, same algorithm, 1 thread | ratio |\n|---|---:|---:|---:|---:|---:|---:|---:|`,
  );
  for (const [name, a, b, c, d] of table)
    console.log(`| ${name} | ${a.toFixed(0)} | ${cell(a, b)} | ${cell(a, c)} | ${cell(a, d)} |`);
  console.log(
    `sampling: our tokens/s ${spread(samples.ours)}, PyTorch ${spread(samples.torch)}; per-rep ratio median ${median(ratios).toFixed(2)}× (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}×)`,
  );

  const info = engineInfo();
  const record = {
    ...makeRunRecord(
      'bench/sampling',
      {
        threads,
        reps,
        batch,
        maxNew,
        promptLen,
        prefillLen,
        preset: preset ?? null,
        imagesPerPrompt,
        model: config,
      },
      0,
      {
        libtorch: info.libtorch,
      },
    ),
    blas: { ours: info.blas, torch: torchInfo.blas },
    greedyAgreement: agreement,
    decodeThreads: model.decodeThreads,
    opByOp: args['op-by-op'],
    perRepSamplingRatio: ratios,
    samples,
    table,
  };
  const path = join(root, 'runs', 'bench', `sampling-${record.startedAt.replace(/[:.]/g, '-')}.json`);
  writeJsonAtomic(path, record);
  console.log(`\nrecord: ${path}`);
}

main()
  .catch((error: Error) => {
    console.error(error.message);
    process.exitCode = 1;
    child.kill();
  })
  .finally(() => rmSync(scratch, { recursive: true, force: true }));
