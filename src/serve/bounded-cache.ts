// A judgement cache with a bounded number of entries (least recently used dropped first), so a
// server that runs for days keeps its memory flat while retries and repeats still hit it.
import type { JudgementCache } from '../judge/cache.js';

/** An in-memory {@link JudgementCache} holding at most `maxEntries` requests (least recently used dropped first). */
export class BoundedJudgementCache implements JudgementCache {
  private readonly entries = new Map<string, readonly string[]>();

  constructor(readonly maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1)
      throw new RangeError(`the judge cache needs at least 1 entry, got ${maxEntries}`);
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): readonly string[] | undefined {
    const samples = this.entries.get(key);
    if (samples !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, samples);
    }
    return samples;
  }

  put(key: string, samples: readonly string[]): void {
    const known = this.entries.get(key);
    if (known && known.length >= samples.length) return;
    this.entries.delete(key);
    this.entries.set(key, samples);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}
