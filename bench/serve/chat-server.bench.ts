// bench/serve: tokens/s of `serve --model` for concurrent chat requests against calling the sampler
// (generate) directly on the same batch, in one process and one run.
//
//   npx tsx bench/serve/chat-server.bench.ts [--preset small] [--requests 16] [--max-tokens 64] [--repeats 5]
//
// One randomly initialised checkpoint (the `small` preset by default: what the demo trains), 16
// judging prompts in the compact template, each with its own 64×64 PNG. `direct`: the prompts are
// encoded beforehand and one generate call samples all of them (the sampler's own speed). `serve`:
// the same 16 requests sent at once by the official openai client (images as data URLs) to a
// server on 127.0.0.1 in this process, which decodes, tokenizes, batches them into generate and
// answers in OpenAI's shape; the client runs in this process too, so its cost counts against serve.
// `stream`: the same requests with `stream: true` (one SSE chunk per token, read as they come).
// The server runs a batch step by step (generateSteps), answering the event loop between steps, so
// "generate seconds" on the serve side is the batch's wall time, those turns included.
// The two alternate, `--repeats` times each. On a shared machine other processes slow single runs
// down by up to 3×, so the headline is best-of-N tokens/s on each side (as bench/runner does), with
// medians beside it, and the time serve spends outside generate (its own cost, whatever generate's
// speed was that run).
// Results (config, versions, git commit, table) are written to runs/bench-serve-model/<time>.json.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import sharp from 'sharp';
import { engineInfo, getNumThreads } from '../../src/engine/index.js';
import { LocalModel } from '../../src/inference/local-model.js';
import { writeJsonAtomic } from '../../src/io/atomic-write.js';
import { makeRunRecord } from '../../src/io/run-record.js';
import {
  generate,
  loadCheckpoint,
  type PresetName,
  presetConfig,
  Rng,
  renderCompactPrompt,
  saveCheckpoint,
  Tokenizer,
  VisionLanguageModel,
} from '../../src/model/index.js';
import { buildChatServer } from '../../src/serve/chat-server.js';

const root = new URL('../../', import.meta.url).pathname;
const option = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const config = {
  preset: option('--preset', 'small') as PresetName,
  requests: Number(option('--requests', '16')),
  maxTokens: Number(option('--max-tokens', '64')),
  repeats: Number(option('--repeats', '5')),
  batchWindowMs: Number(option('--window-ms', '5')),
  temperature: 1,
  seed: 0,
};

const colours = ['red', 'blue', 'green', 'yellow', 'purple', 'orange', 'black', 'white'];
const shapes = ['square', 'circle', 'triangle', 'star'];
const examples = Array.from({ length: config.requests }, (_, i) => ({
  question: `What is shown in picture ${i}?`,
  response1: `a ${colours[i % 8]} ${shapes[i % 4]} on the left`,
  response2: `a ${colours[(i + 3) % 8]} ${shapes[(i + 1) % 4]} on the right`,
}));

const cpuSince = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
};

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function main() {
  // A checkpoint of the chosen size: tokenizer trained on judging text, random weights.
  const corpus = examples.flatMap((e) => [
    renderCompactPrompt(e),
    `<think>the image shows ${e.response1}</think><answer>1</answer>`,
  ]);
  const tokenizer = Tokenizer.train(corpus, { vocabSize: 512 });
  const modelConfig = presetConfig(config.preset, tokenizer.vocabSize);
  const dir = join(mkdtempSync(join(tmpdir(), 'r1-bench-serve-')), 'bench-judge');
  saveCheckpoint(
    dir,
    new VisionLanguageModel(modelConfig, { seed: 1, imageTokenId: tokenizer.id('image') }),
    tokenizer,
  );
  const checkpoint = loadCheckpoint(dir);

  const images = await Promise.all(
    examples.map(async (_, i) => {
      const bytes = await sharp({
        create: {
          width: 64,
          height: 64,
          channels: 3,
          background: { r: (i * 37) % 256, g: (i * 91) % 256, b: 60 },
        },
      })
        .png()
        .toBuffer();
      return `data:image/png;base64,${bytes.toString('base64')}`;
    }),
  );
  const texts = examples.map((e) => renderCompactPrompt(e));

  // direct: the same prompts, encoded beforehand, one generate call.
  const encoder = new LocalModel(checkpoint);
  const prompts = await Promise.all(
    texts.map((t, i) => encoder.encode(t, [{ url: images[i]!, field: 'image' }])),
  );
  const rng = new Rng(config.seed);
  const direct = () => {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const out = generate(
      checkpoint.model,
      checkpoint.tokenizer,
      prompts,
      { maxNewTokens: config.maxTokens, temperature: config.temperature, topP: 1 },
      rng,
    );
    const seconds = (performance.now() - started) / 1000;
    const tokens = out.flat().reduce((s, g) => s + g.tokenIds.length, 0);
    return { seconds, tokens, batches: 1, generateSeconds: seconds, cpuSeconds: cpuSince(cpu) };
  };

  // serve: the same batch as 16 concurrent chat requests.
  const app = await buildChatServer({
    checkpoint,
    modelName: 'bench-judge',
    batchWindowMs: config.batchWindowMs,
    maxBatchPrompts: config.requests,
    seed: config.seed,
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
  const scrape = async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    return {
      batches: Number(/r1_serve_batch_prompts_count (\d+)/.exec(text)?.[1]),
      generateSeconds: Number(/r1_serve_generate_seconds_sum ([\d.e+-]+)/.exec(text)?.[1]),
    };
  };
  const request = (i: number) => ({
    model: 'bench-judge',
    messages: [
      {
        role: 'user' as const,
        content: [
          { type: 'image_url' as const, image_url: { url: images[i]! } },
          { type: 'text' as const, text: texts[i]! },
        ],
      },
    ],
    max_tokens: config.maxTokens,
    temperature: config.temperature,
  });
  // Streaming: every token's text is read as a chunk; usage comes in the last one.
  const streamed = async (i: number) => {
    const stream = await client.chat.completions.create({
      ...request(i),
      stream: true,
      stream_options: { include_usage: true },
    });
    let completion = 0;
    for await (const chunk of stream) if (chunk.usage) completion = chunk.usage.completion_tokens;
    return completion;
  };
  const serve = async (stream: boolean) => {
    const start = await scrape();
    const cpu = process.cpuUsage();
    const started = performance.now();
    const counts = await Promise.all(
      texts.map(async (_, i) =>
        stream ? streamed(i) : (await client.chat.completions.create(request(i))).usage!.completion_tokens,
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    const cpuSeconds = cpuSince(cpu);
    const end = await scrape();
    const tokens = counts.reduce((s, c) => s + c, 0);
    return {
      seconds,
      cpuSeconds,
      tokens,
      batches: end.batches - start.batches,
      generateSeconds: end.generateSeconds - start.generateSeconds,
    };
  };

  // Warm-up (allocator, JIT, sharp), then alternate.
  direct();
  await serve(false);
  await serve(true);
  const rows: Record<
    'direct' | 'serve' | 'stream',
    { seconds: number; cpuSeconds: number; tokens: number; batches: number; generateSeconds: number }[]
  > = {
    direct: [],
    serve: [],
    stream: [],
  };
  // A short pause before each measured batch, so neither side starts while the other's threads settle.
  const settle = () => new Promise((resolve) => setTimeout(resolve, 200));
  for (let r = 0; r < config.repeats; r++) {
    await settle();
    rows.direct.push(direct());
    await settle();
    rows.serve.push(await serve(false));
    await settle();
    rows.stream.push(await serve(true));
  }
  await app.close();

  const summary = (['direct', 'serve', 'stream'] as const).map((name) => {
    const runs = rows[name];
    const tps = runs.map((x) => x.tokens / x.seconds);
    return {
      name,
      tokensPerSecond: Math.max(...tps),
      medianTokensPerSecond: median(tps),
      secondsPerBatch: median(runs.map((x) => x.seconds)),
      // CPU time of this process (all threads, libtorch's included) per token: other processes on
      // a shared machine stretch wall time far more than they change the work done.
      cpuMsPerToken: median(runs.map((x) => (1000 * x.cpuSeconds) / x.tokens)),
      tokens: median(runs.map((x) => x.tokens)),
      generateCalls: median(runs.map((x) => x.batches)),
      // Time outside generate: the server's own cost, independent of how fast generate ran that time.
      outsideGenerate: median(runs.map((x) => x.seconds - x.generateSeconds)),
      outsideShare: median(runs.map((x) => (x.seconds - x.generateSeconds) / x.seconds)),
    };
  });
  const [d, s, st] = summary as [(typeof summary)[0], (typeof summary)[0], (typeof summary)[0]];
  const ratio = s.tokensPerSecond / d.tokensPerSecond;
  const medianRatio = s.medianTokensPerSecond / d.medianTokensPerSecond;
  const streamRatio = st.tokensPerSecond / d.tokensPerSecond;
  const streamMedianRatio = st.medianTokensPerSecond / d.medianTokensPerSecond;
  const info = engineInfo();
  console.log(
    `bench/serve chat: preset ${config.preset} (${checkpoint.model.numParameters()} parameters), ${config.requests} requests × ${config.maxTokens} new tokens, 1 image each; ${config.repeats} alternating repeats; torch threads ${getNumThreads()}\n`,
  );
  const lines = [
    '| path | tokens/s (best) | vs direct (best) | tokens/s (median) | vs direct (median) | median seconds per batch | completion tokens | generate calls | median seconds outside generate | share outside generate | CPU ms per token (median) | CPU vs direct |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    `| direct generate (encoded prompts) | ${d.tokensPerSecond.toFixed(0)} | 1.00 | ${d.medianTokensPerSecond.toFixed(0)} | 1.00 | ${d.secondsPerBatch.toFixed(3)} | ${d.tokens} | ${d.generateCalls} | 0 | 0 % | ${d.cpuMsPerToken.toFixed(3)} | 1.00 |`,
    `| serve: ${config.requests} concurrent openai-client requests | ${s.tokensPerSecond.toFixed(0)} | ${ratio.toFixed(2)} | ${s.medianTokensPerSecond.toFixed(0)} | ${medianRatio.toFixed(2)} | ${s.secondsPerBatch.toFixed(3)} | ${s.tokens} | ${s.generateCalls} | ${s.outsideGenerate.toFixed(3)} | ${(100 * s.outsideShare).toFixed(1)} % | ${s.cpuMsPerToken.toFixed(3)} | ${(s.cpuMsPerToken / d.cpuMsPerToken).toFixed(2)} |`,
    `| serve, streaming (SSE): ${config.requests} concurrent openai-client requests | ${st.tokensPerSecond.toFixed(0)} | ${streamRatio.toFixed(2)} | ${st.medianTokensPerSecond.toFixed(0)} | ${streamMedianRatio.toFixed(2)} | ${st.secondsPerBatch.toFixed(3)} | ${st.tokens} | ${st.generateCalls} | ${st.outsideGenerate.toFixed(3)} | ${(100 * st.outsideShare).toFixed(1)} % | ${st.cpuMsPerToken.toFixed(3)} | ${(st.cpuMsPerToken / d.cpuMsPerToken).toFixed(2)} |`,
  ];
  console.log(lines.join('\n'));
  const overhead = 1 - ratio;
  console.log(
    `\noverhead of serve: ${(100 * overhead).toFixed(1)} % by best tokens/s (${(100 * (1 - medianRatio)).toFixed(1)} % by medians), ${(100 * s.outsideShare).toFixed(1)} % of its time outside generate; target < 10 %: ${overhead < 0.1 ? 'met' : 'NOT met'} by best tokens/s, ${s.outsideShare < 0.1 ? 'met' : 'NOT met'} by time outside generate`,
  );
  console.log(
    `CPU per token vs direct: serve ${(s.cpuMsPerToken / d.cpuMsPerToken).toFixed(3)}, streaming ${(st.cpuMsPerToken / d.cpuMsPerToken).toFixed(3)} (target < 1.10)`,
  );
  console.log(
    `overhead of streaming serve: ${(100 * (1 - streamRatio)).toFixed(1)} % by best tokens/s (${(100 * (1 - streamMedianRatio)).toFixed(1)} % by medians), ${(100 * st.outsideShare).toFixed(1)} % of its time outside the batch`,
  );
  const record = {
    ...makeRunRecord('bench/serve/chat-server.bench.ts', config, config.seed, { libtorch: info.libtorch }),
    runs: rows,
    summary,
    ratio,
    medianRatio,
    streamRatio,
    streamMedianRatio,
    table: lines,
  };
  const out = join(
    root,
    'runs',
    'bench-serve-model',
    `${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
  );
  writeJsonAtomic(out, record);
  console.log(`written ${out}`);
}

await main();
