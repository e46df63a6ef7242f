// No input from JavaScript may abort the process: every native entry point, called with arguments of
// every wrong kind (and with real tensors in odd places), returns or throws an Error — never crashes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  getNumThreads,
  isGradEnabled,
  manualSeed,
  randn,
  setNumThreads,
  tensor,
} from '../../src/engine/index.js';
import { engine, type Handle } from '../../src/engine/native.js';
import { engineSkipReason } from './fixtures.js';

const skip = engineSkipReason();

describe('abort safety', { skip }, () => {
  it('every native function survives garbage arguments', () => {
    const native = engine() as unknown as Record<string, (...args: unknown[]) => unknown>;
    const threads = getNumThreads();
    const gradMode = isGradEnabled();
    const patterns: (() => unknown[])[] = [
      () => [],
      () => Array(9).fill(undefined),
      () => Array(9).fill(null),
      () => [-1, 2.5, Number.NaN, Number.POSITIVE_INFINITY, 1e300, -7, 0, 3, 1],
      () => Array(9).fill('cuda:-1'),
      () => Array(9).fill({}),
      () => Array(9).fill([]),
      () => Array(9).fill([-5, 1e20]),
      () => {
        const t = randn([2, 3]).handle;
        return [t, t, t, t, t, t, t, t, t];
      },
      () => [randn([2, 3]).handle, 1, 0, 1, false, 1, true, 0, 1],
      () => [[randn([2]).handle, 5], 0, [1], 'none', -100, 0, 1, 1, 1],
      () => [tensor([1, 2]).handle, tensor([[0]]).handle, tensor([true]).handle, -1, -1, -1, 'tanh', 0, 0],
      () => [new Float32Array(3), 0, [2, 2]],
      () => [new Uint8Array(0), 99, [0]],
    ];
    let calls = 0;
    let errors = 0;
    for (const [name, fn] of Object.entries(native)) {
      if (typeof fn !== 'function') continue;
      for (const make of patterns) {
        calls++;
        try {
          fn(...make());
        } catch (error) {
          errors++;
          assert.ok(error instanceof Error, `${name} threw a non-Error: ${String(error)}`);
          assert.ok(error.message.length > 0, `${name} threw an Error without a message`);
        }
      }
    }
    setNumThreads(threads);
    native['setGradEnabled']!(gradMode);
    native['setMemoryAccounting']!(true);
    manualSeed(0);
    assert.ok(calls > 1500 && errors > calls / 2, `${calls} calls, ${errors} errors`);
    assert.equal(engine().isDisposed(randn([1]).handle as Handle), false);
  });
});
