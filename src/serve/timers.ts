// The clock the policy reward server waits on (group timeouts, judging deadlines), injectable so
// that tests release a timeout themselves instead of sleeping.

/** Schedules callbacks and tells the time; {@link systemTimers} in production. */
export interface Timers {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /** Calls `fire` once after `ms` milliseconds; the returned function cancels it. */
  after(ms: number, fire: () => void): () => void;
}

/** Node's setTimeout and performance.now. */
export const systemTimers: Timers = {
  now: () => performance.now(),
  after(ms, fire) {
    const timer = setTimeout(fire, ms);
    return () => clearTimeout(timer);
  },
};
