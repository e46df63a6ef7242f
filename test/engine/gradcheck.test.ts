// Finite-difference gradient checks in float64 for every differentiable op of the golden cases:
// autograd's gradient of sum(output · upstream) must match central differences.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { noGrad, scope, type Tensor, tensor } from '../../src/engine/index.js';
import { decode, engineSkipReason, type GoldenCase, loadGolden } from './fixtures.js';
import { GOLDEN_OPS } from './golden-ops.js';

const skip = engineSkipReason();
const H = 1e-6;

function objective(c: GoldenCase, inputs: Tensor[], upstream: Tensor[]): Tensor {
  const result = GOLDEN_OPS[c.name]!(...inputs);
  const outs = (Array.isArray(result) ? result : [result]).filter((o) => o.dtype === 'float64');
  let total: Tensor | undefined;
  outs.forEach((o, i) => {
    const term = o.mul(upstream[i]!).sum();
    total = total === undefined ? term : total.add(term);
  });
  return total!;
}

describe('finite-difference gradient checks (float64)', { skip }, () => {
  const cases = loadGolden().cases.filter((c) => c.differentiable.length > 0);
  for (const c of cases) {
    it(c.name, () => {
      scope(() => {
        const base = c.inputs.map((e) => decode(e, e.dtype === 'float32' ? 'float64' : e.dtype));
        const upstream = (c.upstream ?? []).map((e) => decode(e, 'float64'));
        const leaves = base.map((t, i) => (c.differentiable.includes(i) ? t.clone().requiresGrad_() : t));
        objective(c, leaves, upstream).backward();
        for (const i of c.differentiable) {
          const analytic = (leaves[i]!.grad ?? base[i]!.mul(0)).toFlatArray() as number[];
          const values = Float64Array.from(base[i]!.toFlatArray() as number[]);
          const shape = base[i]!.shape;
          const at = (v: Float64Array): number =>
            noGrad(() =>
              scope(() => {
                const inputs = base.map((t, k) => (k === i ? tensor(v, { shape }) : t));
                return objective(c, inputs, upstream).item();
              }),
            );
          // embedding's padding row gets no gradient by definition (PyTorch's padding_idx).
          const frozen = c.name === 'embedding_padding' ? new Set([6, 7, 8]) : new Set<number>();
          for (let j = 0; j < values.length; j++) {
            if (frozen.has(j)) {
              assert.equal(analytic[j], 0, `padding row gradient ${j}`);
              continue;
            }
            const saved = values[j]!;
            values[j] = saved + H;
            const plus = at(values);
            values[j] = saved - H;
            const minus = at(values);
            values[j] = saved;
            const numeric = (plus - minus) / (2 * H);
            const a = analytic[j]!;
            assert.ok(
              Math.abs(a - numeric) <= 1e-5 + 1e-4 * Math.abs(numeric),
              `d/d input ${i}[${j}]: autograd ${a}, finite difference ${numeric}`,
            );
          }
        }
      });
    });
  }
});
