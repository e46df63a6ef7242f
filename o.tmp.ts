import { randn, scope } from './src/engine/index.js';
import { performance } from 'node:perf_hooks';
const a = randn([8]).keep(), b = randn([8]).keep();
for (let r = 0; r < 3; r++) {
  const n = 100000; const t0 = performance.now();
  scope(() => { for (let i = 0; i < n; i++) a.add(b); });
  const t1 = performance.now();
  for (let i = 0; i < n; i++) a.add(b).dispose();
  const t2 = performance.now();
  console.log('scope µs/op', ((t1 - t0) * 1000 / n).toFixed(2), 'dispose µs/op', ((t2 - t1) * 1000 / n).toFixed(2));
}
