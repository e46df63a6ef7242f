// The gate of the scripted servers and backends: a request that enters waits until the test releases
// it, and `whenHeld(n)` resolves once n are waiting, so a test states what happened (three requests in
// flight, one answered) instead of hoping a delay was long enough.

export class Gate {
  private readonly waiting: { release: () => void }[] = [];
  private readonly watchers: { count: number; resolve: () => void }[] = [];

  /** Requests waiting now. */
  get held(): number {
    return this.waiting.length;
  }

  /** Waits until released; rejects with the signal's reason if it aborts first (and leaves the gate). */
  enter(signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const entry = { release: resolve };
      this.waiting.push(entry);
      signal?.addEventListener(
        'abort',
        () => {
          const at = this.waiting.indexOf(entry);
          if (at >= 0) this.waiting.splice(at, 1);
          reject(signal.reason);
        },
        { once: true },
      );
      this.wake();
    });
  }

  /** Resolves once at least `count` requests are waiting. */
  whenHeld(count: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.watchers.push({ count, resolve });
      this.wake();
    });
  }

  /** Lets the first `count` waiting requests through, in arrival order (all of them by default). */
  release(count = this.waiting.length): void {
    for (const entry of this.waiting.splice(0, count)) entry.release();
  }

  private wake(): void {
    for (const watcher of [...this.watchers])
      if (this.waiting.length >= watcher.count) {
        this.watchers.splice(this.watchers.indexOf(watcher), 1);
        watcher.resolve();
      }
  }
}
