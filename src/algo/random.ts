// The one seeded random source. Math.random is never used. Two generators sit behind one API:
// - `new Rng(seed)`: sfc32, whose whole state is four 32-bit words, so a run saves it in a checkpoint and
//   resumes with exactly the same stream (sampling, data order, rollouts);
// - `Rng.stream(seed, ...path)`: splitmix32 seeded by a hash of (seed, path), one stream per purpose, so a
//   synthetic-world sample does not change when N grows or samples are generated in another order.
// Both streams are pinned by test/algo/random.test.ts: the world's files and every seeded run depend on them.

/** The whole state of an {@link Rng} made by `new Rng(seed)`: four 32-bit words, saved in checkpoints. */
export type RngState = [number, number, number, number];

/** 32-bit FNV-1a of a string: turns a stream name into a seed component. */
function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * A seeded PRNG: sfc32 with a saveable state (`new Rng(seed)`, `new Rng(state)`), or a named splitmix32
 * stream (`Rng.stream(seed, 'train', 17)`). Same methods either way.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** splitmix32 (a named stream, its state in `a`) instead of sfc32. */
  private splitmix = false;

  constructor(seed: number | RngState) {
    if (Array.isArray(seed)) {
      if (seed.length !== 4 || !seed.every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff)) {
        throw new RangeError('Rng state must be four unsigned 32-bit integers');
      }
      [this.a, this.b, this.c, this.d] = seed;
      return;
    }
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
    // Spread the seed over the state with splitmix32, then discard the first outputs.
    let s = (seed ^ 0x9e3779b9) >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = (next() | 1) >>> 0;
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** The stream for one named purpose, e.g. `Rng.stream(seed, 'train', 17)` (splitmix32). */
  static stream(seed: number, ...path: (string | number)[]): Rng {
    let h = seed >>> 0;
    for (const part of path) h = Math.imul(h ^ hashString(String(part)), 0x9e3779b1) >>> 0;
    const rng = new Rng([h, 0, 0, 0]);
    rng.splitmix = true;
    rng.nextUint32(); // decorrelate nearby seeds
    return rng;
  }

  /** Uniform in [0, 2^32). */
  nextUint32(): number {
    if (this.splitmix) {
      this.a = (this.a + 0x9e3779b9) >>> 0;
      let z = this.a;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad) >>> 0;
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97) >>> 0;
      return (z ^ (z >>> 15)) >>> 0;
    }
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = (this.b ^ (this.b >>> 9)) >>> 0;
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`int(n) needs an integer n ≥ 1, got ${n}`);
    return Math.floor(this.next() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One item, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.int(items.length)]!;
  }

  /** An index drawn with the given (unnormalised) weights. */
  weighted(weights: readonly number[]): number {
    const total = weights.reduce((a, b) => a + b, 0);
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i]!;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  /** A shuffled copy (Fisher–Yates from the last position down, one `int(i + 1)` per position). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  /** A child generator (sfc32) for an independent stream (e.g. one per worker or per item). */
  fork(): Rng {
    return new Rng([this.nextUint32(), this.nextUint32(), this.nextUint32(), (this.nextUint32() | 1) >>> 0]);
  }

  /** The state to save and pass back to `new Rng(state)`; only an sfc32 Rng has one. */
  get state(): RngState {
    if (this.splitmix)
      throw new RangeError(
        'a named stream (Rng.stream) has no saved state: derive it again from its seed and path',
      );
    return [this.a, this.b, this.c, this.d];
  }
}
