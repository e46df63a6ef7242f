// Caches for ranking. judgePair keys a request by backend identity, images and the rendered prompt
// (which holds the question and the two responses in their shown order); ranking adds the sample
// seed, so a rerun with the same seed reuses its samples and another seed draws fresh ones.
import { createHash } from 'node:crypto';
import type { JudgementCache } from '../judge/cache.js';

export { MemoryJudgementCache } from '../judge/cache.js';

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
