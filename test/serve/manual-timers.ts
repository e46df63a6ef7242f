// A Timers the test drives: nothing fires until the test calls fireAll / advance, so a group
// timeout or a judging deadline happens exactly when the test says, never by a race with a sleep.
import type { Timers } from '../../src/serve/timers.js';

export class ManualTimers implements Timers {
  private clock = 0;
  private readonly pending = new Set<{ at: number; fire: () => void }>();

  now(): number {
    return this.clock;
  }

  after(ms: number, fire: () => void): () => void {
    const entry = { at: this.clock + ms, fire };
    this.pending.add(entry);
    return () => this.pending.delete(entry);
  }

  /** Timers waiting now. */
  get waiting(): number {
    return this.pending.size;
  }

  /** Moves the clock on by `ms` and fires what is due, earliest first. */
  advance(ms: number): void {
    this.clock += ms;
    const due = [...this.pending].filter((e) => e.at <= this.clock).sort((a, b) => a.at - b.at);
    for (const entry of due) {
      this.pending.delete(entry);
      entry.fire();
    }
  }
}
