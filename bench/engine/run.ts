// bench/engine: our libtorch engine vs PyTorch (Debian's python3-torch, the same libtorch 1.13), on
// the same shapes and thread count, in one run: GEMM GFLOP/s and the reference transformer LM
// training step. The two sides alternate burst by burst (PyTorch runs as a child process answering
// JSON commands, bench/engine/reference.py) so that load from other processes hits both alike.
//   npm run bench:engine -- [--threads 2] [--reps 6] [--steps 10] [--warmup 2] [--burst 0.5] [--settle 0.3]
// Prints the BLAS each side loaded, peak RSS and a ratio table; writes the full record under runs/.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import {
  AdamW,
  clipGradNorm,
  engineInfo,
  manualSeed,
  randint,
  randn,
  scope,
  setNumThreads,
} from '../../src/engine/index.js';
import { createLM, type LMConfig, lmLoss, parameters } from './transformer.js';

const { values: args } = parseArgs({
  options: {
    threads: { type: 'string', default: '2' },
    reps: { type: 'string', default: '6' },
    steps: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    burst: { type: 'string', default: '0.5' },
    settle: { type: 'string', default: '0.3' },
    python: { type: 'string', default: process.env['PYTHON'] ?? '/usr/bin/python3' },
  },
});
const threads = Number(args.threads);
const reps = Number(args.reps);
const steps = Number(args.steps);
const warmup = Number(args.warmup);
const burst = Number(args.burst);
const settleMs = Number(args.settle) * 1000;
// BLAS and OpenMP workers spin for a while after their last job (OpenBLAS: ~0.1 s); a pause before
// each measured burst keeps the other side's spinning threads from eating into it.
const settle = () => new Promise((resolve) => setTimeout(resolve, settleMs));
const SIZES = [256, 512, 1024];
const PEAK_GFLOPS = 157; // 2 cores × 2.45 GHz base × 2 FMA units × 8 fp32 lanes × 2 flops
const config: LMConfig = { vocab: 256, dModel: 256, layers: 4, heads: 4, seq: 128, batch: 16 };
const root = new URL('../../', import.meta.url).pathname;

// --- the PyTorch side, as a child process ---------------------------------------------------------

const child = spawn(args.python, [`${root}bench/engine/reference.py`], {
  stdio: ['pipe', 'pipe', 'inherit'],
});
const replies = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
async function ask<T>(command: Record<string, unknown>): Promise<T> {
  child.stdin.write(`${JSON.stringify(command)}\n`);
  const line = await replies.next();
  if (line.done) {
    throw new Error(
      `the PyTorch reference exited (${args.python} bench/engine/reference.py): install python3-torch or pass --python`,
    );
  }
  const reply = JSON.parse(line.value) as T & { error?: string };
  if (reply.error) throw new Error(`PyTorch reference: ${reply.error}`);
  return reply;
}

// --- our side ---------------------------------------------------------------------------------------

function gemmBurst(n: number, seconds: number): number {
  return scope(() => {
    const a = randn([n, n]);
    const b = randn([n, n]);
    a.mm(b).dispose();
    let iters = 0;
    let elapsed = 0;
    const start = performance.now();
    do {
      a.mm(b).dispose();
      iters++;
      elapsed = (performance.now() - start) / 1000;
    } while (elapsed < seconds);
    return (2 * n ** 3 * iters) / elapsed / 1e9;
  });
}

/** Microseconds per call of a tiny elementwise op (the binding's per-op overhead). */
function smallOp(seconds: number): number {
  const a = randn([8]);
  const b = randn([8]);
  let iters = 0;
  let elapsed = 0;
  const start = performance.now();
  do {
    scope(() => {
      for (let i = 0; i < 1000; i++) a.add(b);
    });
    iters += 1000;
    elapsed = (performance.now() - start) / 1000;
  } while (elapsed < seconds);
  a.dispose();
  b.dispose();
  return (elapsed / iters) * 1e6;
}

function createTrainer() {
  manualSeed(0);
  const model = createLM(config);
  const params = parameters(model);
  const opt = new AdamW(params, { lr: 3e-4, betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.1 });
  const data = randint(0, config.vocab, [config.batch, config.seq + 1]).keep();
  const x = data.narrow(1, 0, config.seq).contiguous().keep();
  const y = data.narrow(1, 1, config.seq).contiguous().keep();
  return (): { time: number; cpu: number; loss: number } => {
    const cpu = process.cpuUsage();
    const start = performance.now();
    const loss = scope(() => {
      const l = lmLoss(model, x, y);
      opt.zeroGrad();
      l.backward();
      return l.item();
    });
    clipGradNorm(params, 1.0);
    opt.step();
    const time = (performance.now() - start) / 1000;
    const used = process.cpuUsage(cpu);
    return { time, cpu: (used.user + used.system) / 1e6, loss };
  };
}

// --- alternate ---------------------------------------------------------------------------------------

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

setNumThreads(threads);
const theirThreads = await ask<{ threads: number; torch: string }>({ op: 'threads', threads });
const gemm: Record<number, { ours: number[]; torch: number[] }> = {};
for (const n of SIZES) {
  gemm[n] = { ours: [], torch: [] };
  gemmBurst(n, 0.1);
  await ask({ op: 'gemm', n, seconds: 0.1 });
  for (let r = 0; r < reps; r++) {
    const oursFirst = r % 2 === 0;
    if (oursFirst) gemm[n].ours.push(gemmBurst(n, burst));
    gemm[n].torch.push(
      (await ask<{ gflops: number }>({ op: 'gemm', n, seconds: burst, warmup: false })).gflops,
    );
    if (!oursFirst) gemm[n].ours.push(gemmBurst(n, burst));
  }
  console.error(`GEMM ${n}: done`);
}

const small = { ours: [] as number[], torch: [] as number[] };
for (let r = 0; r < reps; r++) {
  const oursFirst = r % 2 === 0;
  if (oursFirst) {
    await settle();
    small.ours.push(smallOp(burst));
  }
  await settle();
  small.torch.push((await ask<{ us: number }>({ op: 'small_op', seconds: burst })).us);
  if (!oursFirst) {
    await settle();
    small.ours.push(smallOp(burst));
  }
}

const ourStep = createTrainer();
await ask({
  op: 'train_init',
  config: {
    vocab: config.vocab,
    d_model: config.dModel,
    layers: config.layers,
    heads: config.heads,
    seq: config.seq,
    batch: config.batch,
  },
});
const train = {
  ours: [] as number[],
  torch: [] as number[],
  oursCpu: [] as number[],
  torchCpu: [] as number[],
  oursLoss: [] as number[],
  torchLoss: [] as number[],
};
for (let step = 0; step < warmup + steps; step++) {
  const oursFirst = step % 2 === 0;
  let a: { time: number; cpu: number; loss: number } | undefined;
  if (oursFirst) {
    await settle();
    a = ourStep();
  }
  await settle();
  const b = await ask<{ time: number; cpu: number; loss: number }>({ op: 'train_step' });
  if (!oursFirst) {
    await settle();
    a = ourStep();
  }
  train.oursLoss.push(a!.loss);
  train.torchLoss.push(b.loss);
  if (step >= warmup) {
    train.ours.push(a!.time);
    train.torch.push(b.time);
    train.oursCpu.push(a!.cpu);
    train.torchCpu.push(b.cpu);
  }
}
console.error('training steps: done');
const theirInfo = await ask<{ blas: string[]; peakRssMiB: number }>({ op: 'info' });
await ask({ op: 'quit' }).catch(() => undefined);
child.stdin.end();
const ourInfo = engineInfo();
const ourRss = process.resourceUsage().maxRSS / 1024;

// --- report ------------------------------------------------------------------------------------------

const f = (x: number, digits = 1) => x.toFixed(digits);
const rows: string[][] = [];
for (const n of SIZES) {
  const ga = median(gemm[n]!.ours);
  const gb = median(gemm[n]!.torch);
  rows.push([
    `GEMM ${n}, GFLOP/s, median (% of ${PEAK_GFLOPS} peak)`,
    `${f(ga)} (${f((100 * ga) / PEAK_GFLOPS, 0)}%)`,
    `${f(gb)} (${f((100 * gb) / PEAK_GFLOPS, 0)}%)`,
    f(ga / gb, 2),
  ]);
  const ba = Math.max(...gemm[n]!.ours);
  const bb = Math.max(...gemm[n]!.torch);
  rows.push([`GEMM ${n}, GFLOP/s, best burst`, f(ba), f(bb), f(ba / bb, 2)]);
}
const ua = median(small.ours);
const ub = median(small.torch);
rows.push(['tiny op (add of 8 floats), µs per call', f(ua, 2), f(ub, 2), f(ub / ua, 2)]);
const sa = median(train.ours);
const sb = median(train.torch);
const tokens = config.batch * config.seq;
rows.push(['LM train step, s (median)', f(sa, 3), f(sb, 3), f(sb / sa, 2)]);
rows.push(['LM train throughput, tokens/s', f(tokens / sa, 0), f(tokens / sb, 0), f(sb / sa, 2)]);
// The fastest step is the one least disturbed by other processes: on a shared machine it is the
// better estimate of what each side can do.
const ma = Math.min(...train.ours);
const mb = Math.min(...train.torch);
rows.push(['LM train step, s (fastest of the run)', f(ma, 3), f(mb, 3), f(mb / ma, 2)]);
const ca = median(train.oursCpu);
const cb = median(train.torchCpu);
rows.push(['LM train step CPU time (all threads), s', f(ca, 3), f(cb, 3), f(cb / ca, 2)]);
rows.push([
  'peak RSS, MiB (lower is better)',
  f(ourRss, 0),
  f(theirInfo.peakRssMiB, 0),
  f(theirInfo.peakRssMiB / ourRss, 2),
]);

let commit = 'unknown';
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
} catch {}
console.log(
  `r1-reward engine: libtorch ${ourInfo.libtorch} via N-API, ${ourInfo.threads} threads; BLAS loaded: ${ourInfo.blas.join(', ') || 'none found'}`,
);
console.log(
  `PyTorch ${theirThreads.torch} (Python), ${theirThreads.threads} threads; BLAS loaded: ${theirInfo.blas.join(', ') || 'none found'}`,
);
console.log(
  `LM: vocab ${config.vocab}, d_model ${config.dModel}, ${config.layers} layers, ${config.heads} heads, seq ${config.seq}, batch ${config.batch}, pre-LN, GELU MLP 4×, AdamW, clip 1.0`,
);
console.log(
  `GEMM: ${reps} alternating ${burst}s bursts per size, a ${settleMs / 1000}s pause before each; LM: ${steps} alternating steps after ${warmup} warm-up; commit ${commit}`,
);
console.log(
  `same init and data on both sides; first losses: ours ${train.oursLoss
    .slice(0, 3)
    .map((x) => f(x, 4))
    .join(', ')}; PyTorch ${train.torchLoss
    .slice(0, 3)
    .map((x) => f(x, 4))
    .join(', ')}`,
);
console.log('');
console.log('| metric | r1-reward | PyTorch | ratio (ours / PyTorch, >1 = ours better) |');
console.log('|---|---|---|---|');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);

const record = {
  commit,
  date: new Date().toISOString(),
  config,
  threads,
  reps,
  burst,
  steps,
  warmup,
  gemm,
  small,
  train,
  ourInfo,
  theirInfo,
  ourRss,
  rows,
};
mkdirSync(`${root}runs`, { recursive: true });
const path = `${root}runs/bench-engine-${record.date.replace(/[:.]/g, '-')}.json`;
writeFileSync(`${path}.tmp`, JSON.stringify(record, null, 2));
renameSync(`${path}.tmp`, path);
console.log(`\nrecord: ${path}`);
