// Caches for ranking. judgePair keys a request by backend identity, images and the rendered prompt
// (which holds the question and the two responses in their shown order); ranking adds the sample
// seed, so a rerun with the same seed reuses its samples and another seed draws fresh ones.
import { createHash } from 'node:crypto';
import type { JudgementCache } from '../judge/cache.js';

/** A judgement cache held in memory only (the default of one rankCandidates call). */
export class MemoryJudgementCache implements JudgementCache {
  private readonly entries = new Map<string, readonly string[]>();

  get size(): number {
    return this.entries.size;
  }

  get(key: string): readonly string[] | undefined {
    return this.entries.get(key);
  }

  put(key: string, samples: readonly string[]): void {
    const known = this.entries.get(key);
    if (!known || known.length < samples.length) this.entries.set(key, samples);
  }
}

/** The key under which ranking stores a request's samples: judgePair's request key and the sample seed. */
export function rankCacheKey(requestKey: string, seed: number): string {
  return createHash('sha256').update(`rank-sample-seed\u0000${seed}\u0000${requestKey}`).digest('hex');
}

/** A view of `cache` whose keys also hold the sample seed (see {@link rankCacheKey}). */
export function seededCache(cache: JudgementCache, seed: number): JudgementCache {
  return {
    get: (key) => cache.get(rankCacheKey(key, seed)),
    put: (key, samples) => cache.put(rankCacheKey(key, seed), samples),
  };
}
