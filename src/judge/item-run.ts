// The resumable, append-only item loop under `bench run` (src/eval/runner.ts) and `best-of-n`
// (src/rank/best-of-n.ts): one row per finished item in RUN_DIR/<rows file>. A rerun skips the ids
// already there (a torn last line is cut off and that item redone); a failed item goes to errors.jsonl
// and is retried by the next rerun; samples are cached in RUN_DIR/cache.jsonl; an abort lets the items
// in flight stop and keeps everything written; a run of failures in a row (a dead endpoint) stops it.
import { setMaxListeners } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AppendLog, readJsonLines } from './append-log.js';
import { FileJudgementCache } from './cache.js';

export const ERRORS_FILE = 'errors.jsonl';
export const CACHE_FILE = 'cache.jsonl';

/** The counters the loop keeps; the caller's progress object carries its own fields beside them. */
export interface ItemRunCounters {
  /** Items with a row on disk, from earlier runs or this one. */
  done: number;
  /** Skipped because an earlier run finished them. */
  skipped: number;
  errors: number;
}

/** Options of {@link runItems}. */
export interface ItemRunOptions<Item extends { id: string }> {
  outDir: string;
  /** The rows file under outDir, one JSON line per finished item with its `id`. */
  rowsFile: string;
  /** What finishing an item is called, for warnings ('judged', 'ranked'). */
  verb: string;
  /** Items worked on at once. */
  concurrency: number;
  /** Cache file; default RUN_DIR/cache.jsonl; null turns the cache off. */
  cacheFile?: string | null | undefined;
  signal?: AbortSignal | undefined;
  /** Stop early after this many failed items in a row; default max(10, 2 × concurrency). */
  maxConsecutiveErrors?: number | undefined;
  onWarning?: ((message: string) => void) | undefined;
  /** Updated in place; `report` is called after every item. */
  progress: ItemRunCounters;
  report: () => void;
  /** Works on one item and returns its row (a throw fails the item); counts the caller's own fields. */
  work: (item: Item, cache: FileJudgementCache | undefined) => Promise<{ id: string }>;
  /** Extra fields of an item's errors.jsonl line, between its id and the time. */
  errorContext?: (item: Item) => Record<string, unknown>;
  /** Called once the files are closed, also when the loop throws (to record the session). */
  onFinish?: (outcome: ItemRunOutcome) => void;
}

/** How the loop ended. */
export interface ItemRunOutcome {
  aborted: boolean;
  /** Why the run stopped before the end of the data on its own (too many failures in a row). */
  stoppedBecause?: string;
  /** Ids that occurred more than once in the data (worked on once). */
  duplicateIds: string[];
}

/** Checks the concurrency, lifts the abort signal's listener cap and creates the run folder. */
export async function openRunDir(outDir: string, concurrency: number, signal?: AbortSignal): Promise<void> {
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new Error(`concurrency must be a positive integer, got ${concurrency}`);
  // Every request in flight listens for the abort: lift the default cap of 10 listeners.
  if (signal) setMaxListeners(0, signal);
  await mkdir(outDir, { recursive: true });
}

/** Throws when a resumed run's settings differ from the ones it was started with. */
export function checkSameSettings<Settings extends object>(
  previous: Settings,
  now: Settings,
  outDir: string,
): void {
  for (const key of Object.keys(now) as (keyof Settings)[]) {
    if (JSON.stringify(previous[key]) !== JSON.stringify(now[key]))
      throw new Error(
        `${outDir} was started with ${String(key)} = ${JSON.stringify(previous[key])}, not ${JSON.stringify(now[key])}; ` +
          'rerun with the same settings to resume, or give a new --out directory',
      );
  }
}

/** Works on every item whose id has no row yet, appending rows and errors durably as each finishes. */
export async function runItems<Item extends { id: string }>(
  items: AsyncIterable<Item> | Iterable<Item>,
  options: ItemRunOptions<Item>,
): Promise<ItemRunOutcome> {
  const { outDir, signal, progress, report } = options;
  const rowsPath = join(outDir, options.rowsFile);
  const done = new Set<string>();
  await readJsonLines<{ id: string }>(rowsPath, (row) => done.add(row.id), {
    repair: true,
    onTorn: (bytes) =>
      (options.onWarning ?? console.warn)(
        `${rowsPath}: cut off a torn last line (${bytes} bytes); that item is ${options.verb} again`,
      ),
  });
  const rows = await AppendLog.open(rowsPath);
  const errors = await AppendLog.open(join(outDir, ERRORS_FILE));
  const cacheFile = options.cacheFile === undefined ? join(outDir, CACHE_FILE) : options.cacheFile;
  const cache = cacheFile ? await FileJudgementCache.open(cacheFile) : undefined;

  const duplicateIds: string[] = [];
  const seen = new Set<string>();
  const errorLimit = options.maxConsecutiveErrors ?? Math.max(10, 2 * options.concurrency);
  let consecutiveErrors = 0;
  let stoppedBecause: string | undefined;
  const outcome = (): ItemRunOutcome => ({
    aborted: signal?.aborted ?? false,
    ...(stoppedBecause ? { stoppedBecause } : {}),
    duplicateIds,
  });

  async function workOn(item: Item): Promise<void> {
    try {
      rows.append(await options.work(item, cache));
      progress.done++;
      consecutiveErrors = 0;
    } catch (error) {
      if (signal?.aborted) return; // stopped by the user: the item is simply not done yet
      const message = (error as Error).message ?? String(error);
      progress.errors++;
      errors.append({
        id: item.id,
        ...options.errorContext?.(item),
        at: new Date().toISOString(),
        error: message,
      });
      // A dead endpoint fails every item after long retries: stop instead of grinding through the data.
      if (++consecutiveErrors >= errorLimit && !stoppedBecause)
        stoppedBecause = `${consecutiveErrors} items in a row failed (last: ${message}); stopped early: fix the cause, then rerun to resume`;
    }
    report();
  }

  const inFlight = new Set<Promise<void>>();
  try {
    for await (const item of items) {
      if (signal?.aborted || stoppedBecause) break;
      if (seen.has(item.id)) {
        duplicateIds.push(item.id);
        continue;
      }
      seen.add(item.id);
      if (done.has(item.id)) {
        progress.skipped++;
        progress.done++;
        report();
        continue;
      }
      const task = workOn(item).finally(() => inFlight.delete(task));
      inFlight.add(task);
      if (inFlight.size >= options.concurrency) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } finally {
    await Promise.allSettled(inFlight);
    await rows.close();
    await errors.close();
    await cache?.close();
    options.onFinish?.(outcome());
  }
  return outcome();
}
