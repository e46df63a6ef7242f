import { performance } from 'node:perf_hooks';
import { createLM, lmLoss, parameters } from './bench/engine/transformer.js';
import { AdamW, clipGradNorm, manualSeed, randint, scope, setNumThreads } from './src/engine/index.js';

setNumThreads(2);
manualSeed(0);
const config = { vocab: 256, dModel: 256, layers: 4, heads: 4, seq: 128, batch: 16 };
const model = createLM(config);
const params = parameters(model);
const opt = new AdamW(params, { lr: 3e-4, betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.1 });
const data = randint(0, 256, [16, 129]).keep();
const x = data.narrow(1, 0, 128).contiguous().keep();
const y = data.narrow(1, 1, 128).contiguous().keep();
for (let s = 0; s < Number(process.argv[2] ?? 6); s++) {
  const t0 = performance.now();
  const l = scope(() => {
    const l = lmLoss(model, x, y);
    opt.zeroGrad();
    const t1 = performance.now();
    l.backward();
    const t2 = performance.now();
    if (process.env.V) console.log('fwd', (t1 - t0).toFixed(0), 'bwd', (t2 - t1).toFixed(0));
    return l.item();
  });
  const t3 = performance.now();
  clipGradNorm(params, 1.0);
  opt.step();
  console.log(
    s,
    l.toFixed(4),
    (performance.now() - t0).toFixed(0),
    'ms',
    'opt',
    (performance.now() - t3).toFixed(0),
  );
}
