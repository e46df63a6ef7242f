// Values and gradients against PyTorch 1.13 (test/fixtures/engine/golden.json).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AdamW,
  clipGradNorm,
  empty,
  manualSeed,
  nn,
  ones,
  rand,
  randint,
  randn,
  SGD,
  scope,
  type Tensor,
  tensor,
} from '../../src/engine/index.js';
import { assertClose, decode, type Encoded, engineSkipReason, loadGolden } from './fixtures.js';
import { GOLDEN_OPS } from './golden-ops.js';

const skip = engineSkipReason();
const golden = loadGolden();

describe(`golden values against PyTorch ${golden.torch}`, { skip }, () => {
  it('has a TypeScript op for every fixture case and no extra ones', () => {
    assert.deepEqual(Object.keys(GOLDEN_OPS).sort(), golden.cases.map((c) => c.name).sort());
  });

  for (const c of golden.cases) {
    it(c.name, () => {
      scope(() => {
        const inputs = c.inputs.map((e, i) => {
          const t = decode(e);
          return c.differentiable.includes(i) ? t.requiresGrad_() : t;
        });
        const op = GOLDEN_OPS[c.name]!;
        const result = op(...inputs);
        const outs = Array.isArray(result) ? result : [result];
        assert.equal(outs.length, c.outputs.length, 'number of outputs');
        for (const [i, o] of outs.entries()) assertClose(o, c.outputs[i]!, `output ${i}`, 1e-5, 1e-5);
        if (c.differentiable.length === 0) return;
        const floats = outs.filter((o) => o.dtype === 'float32');
        const upstream = (c.upstream ?? []).map((e) => decode(e));
        let total: Tensor | undefined;
        floats.forEach((o, i) => {
          const term = o.mul(upstream[i]!).sum();
          total = total === undefined ? term : total.add(term);
        });
        total!.backward();
        c.differentiable.forEach((inputIndex, k) => {
          const grad = inputs[inputIndex]!.grad ?? inputs[inputIndex]!.detach().mul(0);
          assertClose(grad, c.grads![k]!, `grad of input ${inputIndex}`, 1e-4, 1e-5);
        });
      });
    });
  }

  it('reproduces the global generator stream after manualSeed (randn, rand, randint, multinomial, dropout)', () => {
    scope(() => {
      const r = golden.random;
      manualSeed(42);
      assertClose(randn([2, 3]), r['randn']!, 'randn');
      assertClose(rand([4]), r['rand']!, 'rand');
      assertClose(randint(0, 10, [5]), r['randint']!, 'randint');
      const probs = tensor([
        [0.1, 0.2, 0.7],
        [0.5, 0.5, 0.0],
      ]);
      assertClose(probs.multinomial(4, true), r['multinomial']!, 'multinomial');
      assertClose(nn.dropout(ones([10]), 0.5, true), r['dropout']!, 'dropout');
      assertClose(empty([3]).normal_(1, 2), r['normal_']!, 'normal_');
      assertClose(empty([3]).uniform_(-1, 1), r['uniform_']!, 'uniform_');
    });
  });

  const optim = golden.optim as unknown as Record<string, { params: Encoded; norms: number[] }> & {
    p0: Encoded;
    c: Encoded;
  };
  const runOptimizer = (
    make: (params: Tensor[]) => { step(): void; zeroGrad(): void; dispose(): void },
    clip?: number,
  ): { p: Tensor; norms: number[] } =>
    scope(() => {
      const p = decode(optim.p0).requiresGrad_();
      const c = decode(optim.c);
      const opt = make([p]);
      const norms: number[] = [];
      for (let i = 0; i < 3; i++) {
        opt.zeroGrad();
        scope(() => p.mul(c).pow(2).sum().add(p.sum()).backward());
        if (clip !== undefined) norms.push(clipGradNorm([p], clip));
        opt.step();
      }
      opt.dispose();
      return { p, norms };
    });

  const optimizerCases: [string, (ps: Tensor[]) => AdamW | SGD, number?][] = [
    ['adamw', (ps) => new AdamW(ps, { lr: 0.1, betas: [0.8, 0.9], eps: 1e-6, weightDecay: 0.05 })],
    ['adamw_clipped', (ps) => new AdamW(ps, { lr: 0.1 }), 0.5],
    ['sgd', (ps) => new SGD(ps, { lr: 0.05 })],
    ['sgd_momentum', (ps) => new SGD(ps, { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 })],
    ['sgd_nesterov', (ps) => new SGD(ps, { lr: 0.05, momentum: 0.9, nesterov: true })],
  ];
  for (const [name, make, clip] of optimizerCases) {
    it(`optimizer ${name} matches torch.optim after 3 steps`, () => {
      const { p, norms } = runOptimizer(make, clip);
      assertClose(p, optim[name]!.params, name, 1e-5, 1e-6);
      optim[name]!.norms.forEach((n, i) => {
        assert.ok(Math.abs(norms[i]! - n) < 1e-4 * n, `norm ${i}: ${norms[i]} vs ${n}`);
      });
      p.dispose();
    });
  }
});

describe('optimizer state', { skip }, () => {
  it('stateDict and loadStateDict resume AdamW exactly', () => {
    scope(() => {
      const run = (
        steps: number,
        resumeFrom?: { step: number; tensors: Record<string, Tensor> },
        start?: Tensor,
      ) => {
        const p = (start ?? tensor([1, -2, 3], { dtype: 'float32' })).clone().requiresGrad_();
        const opt = new AdamW([p], { lr: 0.1 });
        if (resumeFrom) opt.loadStateDict(resumeFrom);
        for (let i = 0; i < steps; i++) {
          opt.zeroGrad();
          p.square().sum().backward();
          opt.step();
        }
        return { p, opt };
      };
      const straight = run(4);
      const first = run(2);
      const resumed = run(2, first.opt.stateDict(), first.p.detach());
      assert.deepEqual(resumed.p.detach().toArray(), straight.p.detach().toArray());
      assert.equal(resumed.opt.stepCount, 4);
      assert.throws(
        () =>
          new AdamW([tensor([1, 2], { dtype: 'float32', requiresGrad: true })]).loadStateDict(
            first.opt.stateDict(),
          ),
        /AdamW.loadStateDict: 'exp_avg.0' has shape \[3\], the parameter \[2\]/,
      );
      for (const o of [straight.opt, first.opt, resumed.opt]) o.dispose();
    });
  });
});
