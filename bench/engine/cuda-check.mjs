// CPU vs CUDA check of the r1-reward engine (dist/engine): matmul, softmax/log_softmax, an MLP forward +
// backward, layer norm, attention, AdamW, multinomial sampling, and a 2048² float32 matmul timing.
// Prints one JSON summary on stdout. Without CUDA it still runs the CPU side and says cuda: false.
// Run from the repo root after `npm run build` (addon built against a CUDA libtorch: LIBTORCH=... npm run build:native):
//   node bench/engine/cuda-check.mjs > cuda-check.json
import { cpus } from 'node:os';

const E = await import('../../dist/engine/index.js');
const { nn } = E;
const out = { ok: true, sections: {} };
const t0 = performance.now();

function section(name, fn) {
  const start = performance.now();
  try {
    out.sections[name] = { ...fn(), ms: Math.round(performance.now() - start) };
  } catch (error) {
    out.ok = false;
    out.sections[name] = { error: String(error?.stack ?? error).slice(0, 2000) };
  }
  console.error(`[cuda-check] ${name}: ${JSON.stringify(out.sections[name]).slice(0, 400)}`);
}

const maxDiff = (a, b) => a.sub(b.to('cpu')).abs().max().item();
const relDiff = (a, b) => maxDiff(a, b) / Math.max(1e-12, a.abs().max().item());

section('engine', () => {
  const info = E.engineInfo();
  return {
    libtorch: info.libtorch,
    napi: info.napi,
    threads: info.threads,
    cuda: info.cuda,
    cudaDevices: info.cudaDevices,
    blas: info.blas,
    cpus: cpus().length,
    config: info.config
      .split('\n')
      .filter((l) => /CUDA|cuDNN|BLAS|CXX|Build type|MKL|OpenMP/i.test(l))
      .slice(0, 20)
      .map((l) => l.slice(0, 400)),
  };
});

const cuda = (() => {
  try {
    return E.cudaIsAvailable();
  } catch {
    return false;
  }
})();
out.cuda = cuda;
// Without CUDA, compare the CPU with itself (clones), so the script is exercised anyway.
const DEV = cuda ? 'cuda' : 'cpu';
out.compareDevice = DEV;
const on = (t) => (cuda ? t.to('cuda') : t.clone());
E.manualSeed(0);

section('matmul', () => {
  const a = E.randn([256, 512]);
  const b = E.randn([512, 128]);
  const ref = a.matmul(b);
  const dev = on(a).matmul(on(b));
  return { device: dev.device, shape: dev.shape, maxAbsDiff: maxDiff(ref, dev), relDiff: relDiff(ref, dev) };
});

section('softmax', () => {
  const x = E.randn([64, 1000]).mul(3);
  const s = x.softmax(-1);
  const ls = x.logSoftmax(-1);
  const sd = on(x).softmax(-1);
  const lsd = on(x).logSoftmax(-1);
  return {
    softmaxMaxAbsDiff: maxDiff(s, sd),
    logSoftmaxMaxAbsDiff: maxDiff(ls, lsd),
    rowSumErr: sd.sum(-1).sub(1).abs().max().item(),
  };
});

section('mlp', () => {
  const x = E.randn([32, 64]);
  const target = E.randint(0, 10, [32]);
  const p = {
    w1: E.randn([128, 64]).mul(0.1),
    b1: E.zeros([128]),
    w2: E.randn([10, 128]).mul(0.1),
    b2: E.zeros([10]),
  };
  const run = (params, xx, tt) => {
    const h = nn.linear(xx, params.w1, params.b1).gelu();
    const logits = nn.linear(h, params.w2, params.b2);
    const loss = nn.crossEntropy(logits, tt);
    loss.backward();
    return { loss: loss.item(), logits };
  };
  const pc = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v.clone().requiresGrad_()]));
  const pd = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, on(v).detach().requiresGrad_()]));
  const rc = run(pc, x, target);
  const rd = run(pd, on(x), on(target));
  const grads = {};
  for (const k of Object.keys(p)) grads[k] = maxDiff(pc[k].grad, pd[k].grad);
  return {
    lossCpu: rc.loss,
    lossDev: rd.loss,
    logitsMaxAbsDiff: maxDiff(rc.logits.detach(), rd.logits.detach()),
    gradMaxAbsDiff: grads,
    gradDevice: pd.w1.grad.device,
  };
});

section('layernorm-attention', () => {
  const x = E.randn([4, 16, 64]);
  const w = E.randn([64]);
  const b = E.randn([64]);
  const ln = nn.layerNorm(x, [64], w, b);
  const lnd = nn.layerNorm(on(x), [64], on(w), on(b));
  const q = E.randn([2, 4, 16, 32]);
  const k = E.randn([2, 4, 16, 32]);
  const v = E.randn([2, 4, 16, 32]);
  const att = nn.scaledDotProductAttention(q, k, v, { causal: true });
  const attd = nn.scaledDotProductAttention(on(q), on(k), on(v), { causal: true });
  return { layerNormMaxAbsDiff: maxDiff(ln, lnd), attentionMaxAbsDiff: maxDiff(att, attd) };
});

section('adamw', () => {
  const w0 = E.randn([64, 64]);
  const wc = w0.clone().requiresGrad_();
  const wd = on(w0).detach().requiresGrad_();
  const oc = new E.AdamW([wc], { lr: 1e-2, weightDecay: 0.01 });
  const od = new E.AdamW([wd], { lr: 1e-2, weightDecay: 0.01 });
  for (let i = 0; i < 5; i++) {
    for (const [w, o] of [
      [wc, oc],
      [wd, od],
    ]) {
      o.zeroGrad();
      w.square().sum().backward();
      o.step();
    }
  }
  return { paramMaxAbsDiff: maxDiff(wc.detach(), wd.detach()) };
});

section('multinomial', () => {
  const logits = E.randn([8, 50]);
  const probs = on(logits).softmax(-1);
  const s = probs.multinomial(5, true);
  const flat = s.to('cpu').toFlatArray();
  // distribution: 20000 draws from one row vs its probabilities
  const row = on(E.randn([1, 20]).mul(1.5)).softmax(-1);
  const draws = row.multinomial(20000, true).to('cpu').toFlatArray();
  const counts = new Array(20).fill(0);
  for (const d of draws) counts[d]++;
  const p = row.to('cpu').toFlatArray();
  const freqErr = Math.max(...p.map((pi, i) => Math.abs(pi - counts[i] / draws.length)));
  return {
    shape: s.shape,
    dtype: s.dtype,
    device: s.device,
    inRange: flat.every((v) => v >= 0 && v < 50),
    freqMaxAbsErr: freqErr,
  };
});

function timeMatmul(device, iters) {
  const a = E.randn([2048, 2048], { device });
  const b = E.randn([2048, 2048], { device });
  a.matmul(b).sum().item(); // warm-up (and CUDA sync)
  const start = performance.now();
  let acc = null;
  for (let i = 0; i < iters; i++) {
    const c = a.matmul(b);
    if (i === iters - 1)
      acc = c.sum().item(); // sync
    else c.dispose();
  }
  const ms = (performance.now() - start) / iters;
  return {
    msPerMatmul: Number(ms.toFixed(3)),
    gflops: Number(((2 * 2048 ** 3) / (ms * 1e6)).toFixed(1)),
    check: acc,
  };
}

section('timing-2048-matmul', () => {
  const threads = E.getNumThreads();
  const res = { cpuThreads: threads, cpu: timeMatmul('cpu', 3) };
  if (cuda) res.cuda = timeMatmul('cuda', 50);
  return res;
});

// Every CPU-vs-device difference must be float32 round-off: relative ones below 1e-5, absolute below 1e-3.
const TOLERANCE = { relDiff: 1e-5, abs: 1e-3 };
out.tooFar = [];
// A number is a difference when its own key, or the key of an object holding it, ends in "Diff".
const walk = (value, path) => {
  if (typeof value === 'number') {
    if (!path.some((key) => key.endsWith('Diff'))) return;
    const limit = path.at(-1) === 'relDiff' ? TOLERANCE.relDiff : TOLERANCE.abs;
    if (value > limit) out.tooFar.push(path.join('.'));
  } else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) walk(child, [...path, key]);
  }
};
walk(out.sections, []);
if (out.tooFar.length > 0) out.ok = false;
out.totalMs = Math.round(performance.now() - t0);
console.log(JSON.stringify(out, null, 2));
process.exitCode = out.ok ? 0 : 1;
