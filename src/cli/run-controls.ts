// What the resumable item-run commands (`bench run`, `best-of-n`) share around their run: a progress
// bar, Ctrl-C handling that stops starting new items, and the closing messages and exit codes.
import { SingleBar } from 'cli-progress';
import { EXIT } from './options.js';

/** One progress update: items done (total unknown while counting), items worked on by this invocation, extra columns. */
export interface ItemsProgress {
  done: number;
  total: number | undefined;
  /** Items worked on by this invocation: the items/s rate and the ETA count only these. */
  worked: number;
  columns: Record<string, number>;
}

/**
 * A progress bar on stderr with items/s over the items this invocation worked on and an ETA from that
 * rate; `columns` is the tail of the cli-progress format, e.g. 'errors {errors}'.
 */
export function itemsProgressBar(enabled: boolean, columns: string) {
  const bar = new SingleBar({
    format: `{bar} {value}/{total} items | {speed} items/s | ETA {etaText} | ${columns}`,
    hideCursor: true,
    noTTYOutput: true,
    notTTYSchedule: 10_000,
    stream: process.stderr,
    fps: 5,
  });
  const started = performance.now();
  let running = false;
  return {
    update(p: ItemsProgress) {
      if (!enabled) return;
      const seconds = (performance.now() - started) / 1000;
      const speed = seconds > 0 ? p.worked / seconds : 0;
      const remaining = p.total === undefined ? undefined : p.total - p.done;
      const eta = remaining !== undefined && speed > 0 ? remaining / speed : undefined;
      const payload = {
        speed: speed.toFixed(2),
        etaText: eta === undefined ? '–' : new Date(eta * 1000).toISOString().slice(11, 19),
        ...p.columns,
      };
      if (!running) {
        bar.start(p.total ?? 0, p.done, payload);
        running = true;
      } else bar.update(p.done, payload);
    },
    stop() {
      if (running) bar.stop();
    },
  };
}

/**
 * Aborts the returned signal on the first SIGINT/SIGTERM (saying `stopping`, e.g. 'starting nothing
 * new, keeping every ranking written') and exits at once on the second; `release` removes the handlers.
 */
export function abortOnInterrupt(stopping: string): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts > 1) process.exit(EXIT.interrupted);
    console.error(`\nstopping: ${stopping} (Ctrl-C again to quit at once)`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** When the run was aborted: says how to resume, sets the exit code and returns true. */
export function reportAborted(result: { aborted: boolean }, out: string): boolean {
  if (!result.aborted) return false;
  console.error(`stopped; rerun the same command to resume into ${out}`);
  process.exitCode = EXIT.interrupted;
  return true;
}

/** Says why the run stopped early and which items failed, and sets the exit code when some did. */
export function reportFailures(result: { stoppedBecause?: string; errors: number }, out: string): void {
  if (result.stoppedBecause) console.error(result.stoppedBecause);
  if (result.errors > 0) {
    console.error(
      `${result.errors} items failed (see ${out}/errors.jsonl); rerun the same command to retry them`,
    );
    process.exitCode = EXIT.failed;
  }
}
