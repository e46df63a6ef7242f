// The seeded streams are pinned: the synthetic world's files, data order, sampling and every seeded
// run (the demo's numbers included) depend on them, so any change to a draw shows up here. Each
// digest covers a long run of every method; `first` shows the start of the raw stream.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { Rng } from '../../src/algo/random.js';
import { mean, sampleStd } from '../../src/algo/stats.js';

const digest = (values: unknown): string =>
  createHash('sha256').update(JSON.stringify(values)).digest('hex').slice(0, 16);
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** `new Rng(seed)` (sfc32): raw words, int, next, a fork, the saved state and a resume from it. */
function sfc32Run(seed: number): { first: number[]; all: string } {
  const rng = new Rng(seed);
  const words = range(1000).map(() => rng.nextUint32());
  const ints = range(1000).map((i) => rng.int(i + 1));
  const floats = range(100).map(() => rng.next());
  const child = rng.fork();
  const forked = range(100).map(() => child.nextUint32());
  const state = rng.state;
  const resumed = new Rng(state);
  const after = range(10).map(() => resumed.nextUint32());
  return { first: words.slice(0, 3), all: digest([words, ints, floats, forked, state, after]) };
}

/** `Rng.stream(seed, ...path)` (splitmix32): every method the synthetic world draws with. */
function streamRun(seed: number, ...path: (string | number)[]): { first: number[]; all: string } {
  const rng = Rng.stream(seed, ...path);
  const words = range(1000).map(() => rng.nextUint32());
  const floats = range(100).map(() => rng.next());
  const ints = range(500).map((i) => rng.int(i + 1));
  const chances = range(200).map((i) => rng.chance(i / 200));
  const picks = range(200).map(() => rng.pick(['a', 'b', 'c', 'd', 'e']));
  const weighted = range(200).map(() => rng.weighted([1, 0, 2.5, 0.5]));
  const shuffles = range(50).map((i) => rng.shuffle(range(i)));
  return { first: words.slice(0, 3), all: digest([words, floats, ints, chances, picks, weighted, shuffles]) };
}

describe('Rng', () => {
  it('new Rng(seed) draws the pinned sfc32 streams', () => {
    assert.deepEqual(sfc32Run(0), { first: [1255788323, 229556502, 1129684417], all: 'a221acc654622377' });
    assert.deepEqual(sfc32Run(1), { first: [635646946, 1195056953, 2085805719], all: 'fc54084378e0f69b' });
    assert.deepEqual(sfc32Run(42), { first: [3970209380, 3810304639, 598464707], all: '7ca52bcffbce848d' });
    assert.deepEqual(sfc32Run(123456789), {
      first: [1596892712, 1027385502, 2288972394],
      all: 'c853d3ce1f7577ec',
    });
    // The seed is mixed as 32 bits: 2^40 seeds the same stream as 0.
    assert.deepEqual(sfc32Run(2 ** 40), sfc32Run(0));
  });

  it('Rng.stream(seed, ...path) draws the pinned splitmix32 streams', () => {
    assert.deepEqual(streamRun(0, 'train', 0), {
      first: [3835088689, 972783557, 4072298988],
      all: '090c2b1de0812246',
    });
    assert.deepEqual(streamRun(1, 'teacher-test', 2, 3), {
      first: [398515040, 1435617854, 921413886],
      all: 'b44d00d73eee339f',
    });
    assert.deepEqual(streamRun(7), { first: [4210744933, 801465066, 1648156487], all: 'aaf3996e28364e53' });
    assert.deepEqual(streamRun(5, 'world', 'benchmark', 99), {
      first: [3603304647, 516644774, 395900908],
      all: 'f4578e93265f0fb2',
    });
  });

  it('shuffle is the in-place Fisher–Yates the trainers draw data order with', () => {
    for (const seed of [0, 3, 7919]) {
      for (const n of [0, 1, 2, 9, 100]) {
        const reference = new Rng(seed);
        const order = range(n);
        for (let i = n - 1; i > 0; i--) {
          const j = reference.int(i + 1);
          [order[i], order[j]] = [order[j]!, order[i]!];
        }
        const rng = new Rng(seed);
        assert.deepEqual(rng.shuffle(range(n)), order);
        assert.equal(rng.nextUint32(), reference.nextUint32(), 'both drew the same number of words');
      }
    }
  });

  it('only an sfc32 Rng has a state to save', () => {
    assert.throws(() => Rng.stream(1, 'x').state, /no saved state/);
  });
});

describe('mean', () => {
  it('is the sum over the count, NaN for nothing', () => {
    assert.equal(mean([1, 2, 6]), 3);
    assert.equal(mean([0.1, 0.2]), (0.1 + 0.2) / 2);
    assert.ok(Number.isNaN(mean([])));
  });
});

describe('sampleStd', () => {
  it('divides by n − 1, and is 0 below two values', () => {
    assert.equal(sampleStd([1, 2, 3]), 1);
    assert.equal(sampleStd([2, 4, 4, 4, 5, 5, 7, 9]), Math.sqrt(32 / 7));
    assert.equal(sampleStd([5]), 0);
    assert.equal(sampleStd([]), 0);
  });
});
