// How many times each key has been seen, for at most `capacity` keys: the least recently seen key is
// forgotten first, so a long-lived server's memory stays bounded. A forgotten key counts from 0 again.

/** A bounded, least-recently-used count of how often each key was seen. */
export class RepeatCounter {
  private readonly counts = new Map<string, number>();

  constructor(readonly capacity = 100_000) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`RepeatCounter capacity ${capacity}: need a positive integer`);
  }

  /** The number of earlier sightings of `key` (0 the first time), and records this one. */
  next(key: string): number {
    const seen = this.counts.get(key) ?? 0;
    this.counts.delete(key); // re-inserted last: Map iteration order is the recency order
    this.counts.set(key, seen + 1);
    if (this.counts.size > this.capacity) this.counts.delete(this.counts.keys().next().value!);
    return seen;
  }

  /** How many keys are remembered. */
  get size(): number {
    return this.counts.size;
  }
}
