// bench/serve: reward-server throughput against the released design, in one run.
//
//   npx tsx bench/serve/reward-server.bench.ts [--seconds 5] [--soak-seconds 20] [--batch 64]
//   npx tsx bench/serve/reward-server.bench.ts --soak-seconds 600     # the full 10-minute soak
//   (--soak-only skips the table; --soak-concurrency N sets the soak's client concurrency, default 8)
//
// Three processes on 127.0.0.1: a loopback OpenAI-compatible referee that answers "1" after 50 ms,
// a reward server, and this load client posting OpenRLHF's current body ({query, prompts, labels},
// batches of 64, labels looked up by prompt) at client concurrency 1, 8 and 64. Two servers are
// measured side by side: `batched` (this project: the whole batch goes to the referee at once,
// bounded by --referee-concurrency 256) and `sequential` (the released server's design: one sample
// at a time, each waiting for its referee call; requests still run concurrently like Flask's
// threaded server). Both use the same parsing, label lookup and openai client, so the ratio is the
// design. Then a soak: the batched server at concurrency 8, RSS sampled from /metrics.
// Results (config, versions, git commit, table) are written to runs/bench-serve/<time>.json.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
const option = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const config = {
  secondsPerCell: option('--seconds', 5),
  soakSeconds: option('--soak-seconds', 20),
  batch: option('--batch', 64),
  soakConcurrency: option('--soak-concurrency', 8),
  soakOnly: process.argv.includes('--soak-only'),
  concurrencies: [1, 8, 64],
  refereeDelayMs: 50,
};

const children: ChildProcess[] = [];

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks
  } catch {
    return Number.NaN;
  }
}
/** Starts a TypeScript script in its own process and returns the JSON it prints first. */
function startProcess(script: string, args: string[]): Promise<{ url: string; pid?: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, script), ...args], { cwd: root });
  children.push(child);
  child.stderr.on('data', (d) => process.stderr.write(d));
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d;
      const line = out.split('\n')[0]!;
      if (out.includes('\n')) {
        child.stdout.off('data', onData);
        resolve({ ...(JSON.parse(line) as { url: string }), pid: child.pid });
      }
    };
    child.stdout.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${script} exited (${code})`)));
  });
}

// The workload: R1-Reward-shaped prompts (a JSON chat string) and Qwen2.5-VL-shaped queries.
const prompts = Array.from({ length: config.batch }, (_, i) =>
  JSON.stringify([
    {
      role: 'user',
      content: [
        { type: 'image', image: `images/${i}.jpg` },
        { type: 'text', text: `Question ${i}: which response describes the image better?` },
      ],
    },
  ]),
);
// Every sample's analysis differs (as rollouts do), so no two referee prompts are the same.
const analysis = (i: number) =>
  [
    `Response 1 describes the red car, the ${i + 2} pedestrians and the traffic light accurately.`,
    `Response 2 claims there is a bus in the image, which is not visible, and miscounts the pedestrians as ${i + 3}.`,
    'Both mention the street, but only Response 1 is faithful to the details of the image.',
    `Therefore Response ${1 + (i % 2)} is better.`,
  ].join('\n');
const query = (i: number) =>
  `<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>${prompts[i]}<|im_end|>\n<|im_start|>assistant\n<think>${analysis(i)}</think><answer>${1 + (i % 2)}</answer><|im_end|>`;
const body = JSON.stringify({
  query: prompts.map((_, i) => query(i)),
  prompts,
  labels: prompts.map(() => null),
});

interface Cell {
  server: string;
  concurrency: number;
  rewardsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
  refereeFailures: number;
  /** CPU the reward-server process spent per reward (ms): the cost of the design itself. */
  serverCpuMsPerReward: number;
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

/** `concurrency` clients post batches back to back for `seconds`; in-flight requests are finished. */
async function load(url: string, concurrency: number, seconds: number, pid?: number) {
  const cpu0 = cpuSeconds(pid);
  const latencies: number[] = [];
  let rewards = 0;
  let errors = 0;
  let refereeFailures = 0;
  const start = performance.now();
  const stopAt = start + seconds * 1000;
  const client = async () => {
    while (performance.now() < stopAt) {
      const t0 = performance.now();
      try {
        const response = await fetch(`${url}/get_reward`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(180_000),
        });
        const json = (await response.json()) as {
          rewards?: number[];
          extra_logs?: { referee_failed: number[] };
        };
        if (response.status !== 200 || json.rewards?.length !== config.batch) errors++;
        else {
          rewards += json.rewards.length;
          refereeFailures += json.extra_logs!.referee_failed.reduce((a, b) => a + b, 0);
          latencies.push(performance.now() - t0);
        }
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    rewardsPerSecond: rewards / elapsed,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    requests: latencies.length,
    errors,
    refereeFailures,
    serverCpuMsPerReward: ((cpuSeconds(pid) - cpu0) * 1000) / rewards,
  };
}

async function rss(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/r1_reward_process_resident_memory_bytes (\d+)/.exec(text)?.[1] ?? Number.NaN);
}

async function main() {
  // The commit of the code under test, read before the (possibly long) run.
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {}
  const dir = mkdtempSync(join(tmpdir(), 'bench-serve-'));
  const labelsPath = join(dir, 'rl.jsonl');
  writeFileSync(
    labelsPath,
    prompts
      .map((p, i) =>
        JSON.stringify({ message: p, answer: [`<answer>${1 + (i % 3 === 0 ? 1 : 0)}</answer>`] }),
      )
      .join('\n'),
  );
  const referee = await startProcess('test/reward/loopback-referee.ts', [
    '--delay-ms',
    String(config.refereeDelayMs),
    '--reply',
    '1',
  ]);
  const servers: Record<'batched' | 'sequential', { url: string; pid?: number }> = {
    batched: await startProcess('bench/serve/server-process.ts', [
      '--mode',
      'batched',
      '--referee',
      referee.url,
      '--labels',
      labelsPath,
    ]),
    sequential: await startProcess('bench/serve/server-process.ts', [
      '--mode',
      'sequential',
      '--referee',
      referee.url,
      '--labels',
      labelsPath,
    ]),
  };
  // Warm-up: JIT, connections, the referee's model lookup.
  await load(servers.batched.url, 2, 1);
  await load(servers.sequential.url, 2, 1);

  const cells: Cell[] = [];
  for (const concurrency of config.soakOnly ? [] : config.concurrencies) {
    for (const server of ['sequential', 'batched'] as const) {
      const cell = {
        server,
        concurrency,
        ...(await load(servers[server].url, concurrency, config.secondsPerCell, servers[server].pid)),
      };
      cells.push(cell);
      console.error(`  ${server} c=${concurrency}: ${cell.rewardsPerSecond.toFixed(1)} rewards/s`);
    }
  }

  // Soak: steady load on the batched server, RSS sampled through /metrics.
  const soakUrl = servers.batched.url;
  const samples: { second: number; rssMiB: number }[] = [];
  const soakStart = performance.now();
  const sampler = setInterval(
    () =>
      void rss(soakUrl).then((bytes) =>
        samples.push({ second: Math.round((performance.now() - soakStart) / 1000), rssMiB: bytes / 2 ** 20 }),
      ),
    Math.max(1000, (config.soakSeconds * 1000) / 20),
  );
  const soak = await load(soakUrl, config.soakConcurrency, config.soakSeconds);
  clearInterval(sampler);
  samples.push({
    second: Math.round((performance.now() - soakStart) / 1000),
    rssMiB: (await rss(soakUrl)) / 2 ** 20,
  });

  // Table.
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const lines = [
    row([
      'client concurrency',
      'server',
      'rewards/s',
      'p50 ms',
      'p99 ms',
      'requests',
      'errors',
      'referee failures',
      'server CPU ms/reward',
      'rewards/s vs sequential',
    ]),
    row(Array(10).fill('---')),
  ];
  for (const c of cells) {
    const base = cells.find((b) => b.server === 'sequential' && b.concurrency === c.concurrency)!;
    lines.push(
      row([
        String(c.concurrency),
        c.server,
        c.rewardsPerSecond.toFixed(1),
        c.p50Ms.toFixed(0),
        c.p99Ms.toFixed(0),
        String(c.requests),
        String(c.errors),
        String(c.refereeFailures),
        c.serverCpuMsPerReward.toFixed(2),
        c.server === 'batched' ? `${(c.rewardsPerSecond / base.rewardsPerSecond).toFixed(1)}×` : '1×',
      ]),
    );
  }
  const first = samples[0];
  const last = samples[samples.length - 1];
  const peak = Math.max(...samples.map((s) => s.rssMiB));
  const soakLine = `soak ${config.soakSeconds} s (batched, concurrency ${config.soakConcurrency}): ${soak.rewardsPerSecond.toFixed(1)} rewards/s, ${soak.requests} requests, ${soak.errors} errors, ${soak.refereeFailures} referee failures; RSS ${first?.rssMiB.toFixed(1)} MiB at ${first?.second} s → ${last?.rssMiB.toFixed(1)} MiB at ${last?.second} s (peak ${peak.toFixed(1)} MiB)`;
  console.log(
    `\nbench/serve — batches of ${config.batch}, loopback referee answering in ${config.refereeDelayMs} ms, ${config.secondsPerCell} s per cell\n`,
  );
  if (!config.soakOnly) console.log(lines.join('\n'));
  console.log(`\n${soakLine}`);

  const outDir = join(root, 'runs', 'bench-serve');
  mkdirSync(outDir, { recursive: true });
  const outPath = join(outDir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const record = {
    config,
    commit,
    node: process.version,
    cpus: cpus().length,
    loadavgAtEnd: loadavg(),
    cells,
    soak: { ...soak, rss: samples },
  };
  writeFileSync(`${outPath}.tmp`, JSON.stringify(record, null, 2));
  renameSync(`${outPath}.tmp`, outPath);
  console.log(`\nwritten ${outPath}`);
}

try {
  await main();
} finally {
  for (const child of children) child.kill('SIGTERM');
}
