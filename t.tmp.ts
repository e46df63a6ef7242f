import { AdamW, clipGradNorm, manualSeed, randint, scope, setNumThreads } from './src/engine/index.js';
import { createLM, lmLoss, parameters } from './bench/engine/transformer.js';
import { performance } from 'node:perf_hooks';
setNumThreads(2);
manualSeed(0);
const config = { vocab: 256, dModel: 256, layers: 4, heads: 4, seq: 128, batch: Number(process.env.B ?? 16) };
const model = createLM(config); const params = parameters(model);
const opt = new AdamW(params, { lr: 3e-4, betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.1 });
const data = randint(0, 256, [config.batch, 129]).keep();
const x = data.narrow(1, 0, 128).contiguous().keep(); const y = data.narrow(1, 1, 128).contiguous().keep();
const mib = () => (process.memoryUsage().rss / 2 ** 20).toFixed(0);
for (let s = 0; s < Number(process.argv[2] ?? 6); s++) {
  const t0 = performance.now(); const c0 = process.cpuUsage();
  let mid = '';
  const l = scope(() => { const l = lmLoss(model, x, y); mid = mib(); opt.zeroGrad(); l.backward(); return l.item(); });
  clipGradNorm(params, 1.0); opt.step();
  const c = process.cpuUsage(c0);
  console.log('faults', process.resourceUsage().minorPageFault, s, l.toFixed(4), (performance.now() - t0).toFixed(0), 'ms cpu', ((c.user + c.system) / 1000).toFixed(0), 'rss after fwd', mid, 'end', mib(), 'peak', (process.resourceUsage().maxRSS / 1024).toFixed(0), 'heap', (process.memoryUsage().heapUsed/2**20).toFixed(0), 'ext', (process.memoryUsage().external/2**20).toFixed(0));
}
