// A small seeded PRNG (sfc32) whose whole state is four 32-bit words, so a run can save it in a
// checkpoint and resume with exactly the same random stream. Math.random is never used.

/** The whole state of an {@link Rng}: four 32-bit words, saved in checkpoints. */
export type RngState = [number, number, number, number];

/**
 * A small seeded PRNG (sfc32) whose state can be saved and restored, so a resumed run draws exactly the same
 * stream. Math.random is never used.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

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

  nextUint32(): number {
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

  /** A child generator for an independent stream (e.g. one per worker or per item). */
  fork(): Rng {
    return new Rng([this.nextUint32(), this.nextUint32(), this.nextUint32(), (this.nextUint32() | 1) >>> 0]);
  }

  get state(): RngState {
    return [this.a, this.b, this.c, this.d];
  }
}
