// bench/runner: the benchmark runner against a scripted judge with a fixed 50 ms latency.
// Measures items/s at concurrency 1, 8 and 64 and the runner's own CPU time per item (the judge runs
// in a child process). Targets: throughput within 10 % of concurrency ÷ latency, and less
// than 1 ms of runner CPU per item. Reference beside it: the bare openai client sending the same
// requests with the same concurrency and no runner (no prompt, parsing, files or cache).
//
//   node --import tsx bench/runner/throughput.ts [--latency 50] [--rounds 40] [--repeat 3]
// On a shared machine other processes steal CPU: each level runs --repeat times and the best
// throughput and the lowest CPU per item of each side are reported (the least disturbed runs).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import OpenAI from 'openai';
import pLimit from 'p-limit';
import type { PreferencePair } from '../../src/data/types.js';
import { runBenchmark } from '../../src/eval/runner.js';
import { OpenAICompatibleBackend } from '../../src/judge/openai-backend.js';
import { R1_REWARD_PROMPT_TEMPLATE, renderPrompt } from '../../src/judge/prompt.js';

const { values } = parseArgs({
  options: {
    latency: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '40' },
    repeat: { type: 'string', default: '3' },
  },
});
const latencyMs = Number(values.latency);
const rounds = Number(values.rounds);
const repeat = Number(values.repeat);

type Measure = { itemsPerSecond: number; cpuPerItem: number };
/** The best of `repeat` runs: highest throughput, lowest CPU per item. */
async function best(measure: () => Promise<Measure>): Promise<Measure> {
  let out = { itemsPerSecond: 0, cpuPerItem: Number.POSITIVE_INFINITY };
  for (let i = 0; i < repeat; i++) {
    const m = await measure();
    out = {
      itemsPerSecond: Math.max(out.itemsPerSecond, m.itemsPerSecond),
      cpuPerItem: Math.min(out.cpuPerItem, m.cpuPerItem),
    };
  }
  return out;
}
const LEVELS = [1, 8, 64];

// A realistic item: a small image, a question, two ~1 kB responses; the judge writes ~1.5 kB.
const IMAGE = new Uint8Array(4096).map((_, i) => (i * 31) & 0xff);
const pairs = (n: number, tag: string): PreferencePair[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `${tag}-${i}`,
    question: `Describe the scene in image ${i} and count the people in it.`,
    chosen: `A GOOD description ${i}: `.padEnd(1000, 'two people stand by a red car near a tree. '),
    rejected: `A flawed description ${i}: `.padEnd(1000, 'three dogs sit on a blue bench at night. '),
    images: [IMAGE],
    category: 'mcq',
    meta: { groupId: `q${i}` },
  }));
const encodeImage = async (image: string | Uint8Array) =>
  `data:image/png;base64,${Buffer.from(image as Uint8Array).toString('base64')}`;

async function startJudge(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('./judge-server.ts', import.meta.url).pathname, String(latencyMs), '1500'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()));
    child.once('exit', (code) => reject(new Error(`judge server exited with ${code}`)));
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

let runs = 0;
async function runnerAt(url: string, concurrency: number, items: number, dir: string): Promise<Measure> {
  const backend = new OpenAICompatibleBackend({
    baseURLs: [url],
    model: 'scripted',
    concurrency,
    maxRetries: 0,
  });
  const data = pairs(items, `r${runs}`);
  const cpu = process.cpuUsage();
  const start = performance.now();
  const summary = await runBenchmark(data, {
    outDir: join(dir, `run-${++runs}`),
    benchmark: 'mm-rlhf',
    backend,
    k: 1,
    order: 'random',
    seed: 0,
    concurrency,
    encodeImage,
  });
  const seconds = (performance.now() - start) / 1000;
  if (summary.judged !== items || summary.errors > 0)
    throw new Error(`runner judged ${summary.judged}/${items}, ${summary.errors} errors`);
  return { itemsPerSecond: items / seconds, cpuPerItem: cpuMs(cpu) / items };
}

/** The reference: the same requests through the bare openai client, p-limit bounded. */
async function bareClientAt(url: string, concurrency: number, items: number): Promise<Measure> {
  const client = new OpenAI({ baseURL: url, apiKey: 'EMPTY', maxRetries: 0 });
  const limit = pLimit(concurrency);
  const image = await encodeImage(IMAGE);
  const texts = pairs(items, 'bare').map((p) =>
    renderPrompt(R1_REWARD_PROMPT_TEMPLATE, { question: p.question, answer1: p.chosen, answer2: p.rejected }),
  );
  const cpu = process.cpuUsage();
  const start = performance.now();
  await Promise.all(
    texts.map((text) =>
      limit(() =>
        client.chat.completions.create({
          model: 'scripted',
          messages: [
            {
              role: 'user',
              content: [
                { type: 'image_url', image_url: { url: image } },
                { type: 'text', text },
              ],
            },
          ],
        }),
      ),
    ),
  );
  const seconds = (performance.now() - start) / 1000;
  return { itemsPerSecond: items / seconds, cpuPerItem: cpuMs(cpu) / items };
}

const judge = await startJudge();
const dir = mkdtempSync(join(tmpdir(), 'r1-bench-runner-'));
try {
  await runnerAt(judge.url, 8, 160, dir); // warm-up: JIT, sockets
  await bareClientAt(judge.url, 8, 160);
  const rows: string[][] = [];
  let pass = true;
  for (const c of LEVELS) {
    const items = c * rounds;
    const ideal = c / (latencyMs / 1000);
    const bare = await best(() => bareClientAt(judge.url, c, items));
    const ours = await best(() => runnerAt(judge.url, c, items, dir));
    const ratio = ours.itemsPerSecond / ideal;
    pass &&= ratio >= 0.9 && ours.cpuPerItem < 1;
    rows.push([
      String(c),
      String(items),
      ideal.toFixed(0),
      ours.itemsPerSecond.toFixed(1),
      ratio.toFixed(3),
      bare.itemsPerSecond.toFixed(1),
      ours.cpuPerItem.toFixed(3),
      bare.cpuPerItem.toFixed(3),
      (ours.cpuPerItem / bare.cpuPerItem).toFixed(2),
    ]);
  }
  const head = [
    'concurrency',
    'items',
    'ideal items/s (C ÷ latency)',
    'runner items/s',
    'runner ÷ ideal (target ≥ 0.90)',
    'bare client (built-in fetch) items/s',
    'runner CPU ms/item (target < 1)',
    'bare client CPU ms/request',
    'runner ÷ bare CPU',
  ];
  console.log(
    `bench/runner: scripted judge in a child process, ${latencyMs} ms latency, k = 1, best of ${repeat} runs per cell, ` +
      `node ${process.version}, load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs\n`,
  );
  console.log(`| ${head.join(' | ')} |\n| ${head.map(() => '---').join(' | ')} |`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  console.log(
    `\n${pass ? 'PASS' : 'MISS'}: throughput within 10 % of C ÷ latency and < 1 ms CPU per item at every level`,
  );
} finally {
  judge.stop();
  rmSync(dir, { recursive: true, force: true });
}
