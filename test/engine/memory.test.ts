// Deterministic release: scopes, dispose, keep; the GC safety net; and the 10,000-step leak test.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import {
  AdamW,
  clipGradNorm,
  manualSeed,
  nn,
  noGrad,
  randint,
  randn,
  scope,
  scopeDepth,
  Tensor,
  zeros,
} from '../../src/engine/index.js';
import { engineSkipReason } from './fixtures.js';

const skip = engineSkipReason();
const root = new URL('../../', import.meta.url).pathname;
const rssMiB = () => process.memoryUsage().rss / 2 ** 20;
// A full V8 collection without starting node with --expose-gc.
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    collectGarbage();
    await new Promise((resolve) => setImmediate(resolve));
  }
};

describe('memory scopes', { skip }, () => {
  it('frees what the scope created, except what it returns (also inside arrays, objects and Maps)', () => {
    let inner: Tensor | undefined;
    const out = scope(() => {
      inner = randn([2]);
      const kept = inner.mul(2);
      return { kept, list: [kept.add(1)], map: new Map([['k', kept.sub(1)]]), n: 3 };
    });
    assert.equal(inner!.disposed, true);
    assert.equal(out.kept.disposed, false);
    assert.equal(out.list[0]!.disposed, false);
    assert.equal(out.map.get('k')!.disposed, false);
    for (const t of [out.kept, out.list[0]!, out.map.get('k')!]) t.dispose();
  });

  it('moves returned tensors to the enclosing scope, which frees them in turn', () => {
    let fromInner: Tensor | undefined;
    scope(() => {
      fromInner = scope(() => randn([2]).mul(2));
      assert.equal(fromInner.disposed, false);
      assert.equal(scopeDepth(), 1);
    });
    assert.equal(fromInner!.disposed, true);
    assert.equal(scopeDepth(), 0);
  });

  it('keep() exempts a tensor; a throw frees everything and rethrows', () => {
    let kept: Tensor | undefined;
    let lost: Tensor | undefined;
    scope(() => {
      kept = randn([2]).keep();
    });
    assert.equal(kept!.disposed, false);
    kept!.dispose();
    assert.throws(
      () =>
        scope(() => {
          lost = randn([2]);
          throw new Error('inside');
        }),
      /inside/,
    );
    assert.equal(lost!.disposed, true);
    assert.equal(scopeDepth(), 0);
  });

  it('refuses async functions, which it could not track', () => {
    assert.throws(() => scope(async () => randn([1])), /scope\(\) needs a synchronous function/);
    assert.equal(scopeDepth(), 0);
  });

  it('dispose() returns the memory at once', () => {
    const before = rssMiB();
    const big = zeros([64, 1024, 1024]); // 256 MiB, written by the zero fill
    const during = rssMiB();
    big.dispose();
    const after = rssMiB();
    assert.ok(during - before > 200, `allocating 256 MiB raised RSS by only ${during - before} MiB`);
    assert.ok(during - after > 200, `dispose() gave back only ${during - after} MiB`);
  });

  it('dispose() frees the whole handle at once, not when the event loop next turns', async (context) => {
    // 200,000 tensors made and disposed in one synchronous loop. Each used to leave ~290 bytes (its
    // holder and Node's finalizer record) until the loop yielded: +55 MiB here.
    const x = zeros([4]).keep();
    for (let i = 0; i < 20_000; i++) x.add(1).dispose();
    await settle();
    const before = rssMiB();
    for (let i = 0; i < 200_000; i++) x.add(1).dispose();
    const grown = rssMiB() - before;
    context.diagnostic(`RSS after 200,000 synchronous create + dispose: +${grown.toFixed(1)} MiB`);
    assert.ok(grown < 16, `RSS grew by ${grown.toFixed(1)} MiB over 200,000 disposed tensors`);
    x.dispose();
  });

  it('a disposed tensor is a safe tombstone: use, dispose again and garbage collection', async () => {
    const handles: Tensor['handle'][] = [];
    for (let i = 0; i < 1000; i++) {
      const t = randn([3]);
      if (i % 2 === 0) t.dispose();
      handles.push(t.handle);
    }
    const disposed = new Tensor(handles[0]!);
    assert.equal(disposed.disposed, true);
    assert.throws(() => disposed.mul(2), /argument 0 is a disposed Tensor \(it was freed by dispose\(\)/);
    assert.throws(() => nn.linear(randn([2, 3]), disposed), /is a disposed Tensor/);
    disposed.dispose();
    assert.equal(new Tensor(handles[1]!).disposed, false);
    handles.length = 0;
    await settle(); // the finalizers of the undisposed half run; the disposed half have none left
  });

  it('garbage collection frees forgotten tensors once the event loop turns (the safety net)', () => {
    // 40 × 64 MiB never disposed: without the finalizer and memory accounting this needs 2.5 GiB.
    // Node runs native finalizers after the current macrotask, hence the await per iteration.
    const code = `
      import { zeros } from './src/engine/index.js';
      for (let i = 0; i < 40; i++) {
        zeros([16, 1024, 1024]);
        await new Promise((resolve) => setImmediate(resolve));
      }
      console.log(process.resourceUsage().maxRSS / 1024);`;
    const out = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.equal(out.status, 0, out.stderr);
    const peak = Number(out.stdout.trim());
    assert.ok(peak < 1024, `peak RSS ${peak} MiB: forgotten tensors were not collected`);
  });

  it('19,000 synchronous training steps of a small model keep resident memory flat', async (context) => {
    manualSeed(0);
    const w1 = randn([16, 32]).mul(0.1).requiresGrad_().keep();
    const b1 = zeros([32], { requiresGrad: true }).keep();
    const w2 = randn([32, 4]).mul(0.1).requiresGrad_().keep();
    const params = [w1, b1, w2];
    const opt = new AdamW(params, { lr: 1e-3 });
    const x = randn([8, 16]).keep();
    const y = randint(0, 4, [8]).keep();
    const step = () => {
      scope(() => {
        const logits = x.matmul(w1).add(b1).gelu().matmul(w2);
        nn.crossEntropy(logits, y).backward();
      });
      clipGradNorm(params, 1.0);
      opt.step();
      opt.zeroGrad();
      noGrad(() => scope(() => x.matmul(w1).sum().item()));
    };
    // dispose() and scope exit free a tensor's handle at once (its holder and Node's finalizer
    // record), not when the event loop next turns, so memory must stay flat *within* one synchronous
    // loop: after a warm-up, RSS is read at the start, middle and end of 18,000 steps that never
    // yield. (Before that fix, each disposed handle kept ~290 bytes until the loop yielded: +150 MiB.)
    for (let i = 0; i < 1000; i++) step();
    await settle();
    const start = rssMiB();
    for (let i = 0; i < 9000; i++) step();
    const middle = rssMiB();
    for (let i = 0; i < 9000; i++) step();
    const end = rssMiB();
    const readings = `${start.toFixed(1)} → ${middle.toFixed(1)} → ${end.toFixed(1)} MiB`;
    context.diagnostic(`RSS over 18,000 synchronous steps: ${readings}`);
    assert.ok(middle - start < 8, `RSS grew in the first 9,000 synchronous steps: ${readings}`);
    assert.ok(end - middle < 4, `RSS grew in the second 9,000 synchronous steps: ${readings}`);
    assert.equal(scopeDepth(), 0);
    opt.dispose();
    for (const t of [...params, x, y]) t.dispose();
  });
});
