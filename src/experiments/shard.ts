// Shards of an experiment's work list, so several processes can share one run folder: shard
// `index/count` takes items index, index + count, index + 2·count, … (0-based).

/** A shard: items index, index + count, index + 2·count, … of a list (0-based). */
export interface Shard {
  index: number;
  count: number;
}

/** Validates a shard (none = the whole list); `what` names the experiment in the error. */
export function checkShard(shard: Shard = { index: 0, count: 1 }, what = 'ablation'): Shard {
  const { index, count } = shard;
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(index) || index < 0 || index >= count)
    throw new RangeError(`${what} shard ${index}/${count}: need integers with 0 ≤ index < count, e.g. 0/4`);
  return shard;
}

/** Whether item `i` belongs to the shard (no shard: every item); the shards of one count partition the list. */
export const inShard = (i: number, shard?: Shard): boolean => !shard || i % shard.count === shard.index;
