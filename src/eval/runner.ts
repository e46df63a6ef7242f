// The benchmark runner: judges every pair of a benchmark and appends one line per item to
// RUN_DIR/judgements.jsonl. A rerun with the same RUN_DIR skips the items already there; items whose
// judge calls failed go to errors.jsonl and are retried by the next rerun; an abort (Ctrl-C) lets
// the items in flight stop and keeps everything already written.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { VERSION as OPENAI_VERSION } from 'openai/version';
import type { BenchmarkName, ImageInput, PreferencePair } from '../data/types.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { gitCommit } from '../io/run-record.js';
import { readJsonLines } from '../judge/append-log.js';
import type { JudgeBackend } from '../judge/backend.js';
import type { JudgementCache } from '../judge/cache.js';
import { checkSameSettings, openRunDir, runItems } from '../judge/item-run.js';
import { judgePair } from '../judge/judge.js';
import type { OrderProtocol, Position } from '../judge/order.js';
import { R1_REWARD_PROMPT_TEMPLATE } from '../judge/prompt.js';
import { VERSION } from '../version.js';
import { JUDGEMENTS_FILE, type JudgedItemRecord, RUN_FILE } from './record.js';

/** The settings that change what a judgement is; a resumed run must use the same ones. */
export interface RunSettings {
  benchmark: BenchmarkName;
  k: number;
  order: OrderProtocol;
  seed: number;
  /** Backend identity (model and sampling settings). */
  backend: string;
  /** sha256 of the prompt template. */
  template: string;
}

/**
 * Options of {@link runBenchmark}: output folder, backend, K, order protocol, seed, concurrency and
 * callbacks.
 */
export interface RunOptions {
  outDir: string;
  benchmark: BenchmarkName;
  backend: JudgeBackend;
  k: number;
  order: OrderProtocol;
  seed: number;
  /** Items judged at once (the backend bounds HTTP requests separately). */
  concurrency: number;
  template?: string;
  /** Cache file; default RUN_DIR/cache.jsonl; null turns the cache off. */
  cacheFile?: string | null;
  /** Turns an image (checked path or bytes) into a URL for the backend (a data URL). */
  encodeImage: (image: ImageInput) => Promise<string>;
  /** Number of items in the data, when known (for the progress ETA). */
  total?: number;
  /** Anything else worth recording in run.json (data file, endpoints, …). */
  config?: Record<string, unknown>;
  signal?: AbortSignal;
  onProgress?: (progress: RunProgress) => void;
  /** Stop early after this many failed items in a row (a dead endpoint); default max(10, 2 × concurrency). */
  maxConsecutiveErrors?: number;
  /** Messages worth a user's attention that do not stop the run (default: console.warn). */
  onWarning?: (message: string) => void;
}

/** Progress of a run, passed to `onProgress` after every item. */
export interface RunProgress {
  total: number | undefined;
  /** Items with a judgement on disk, from earlier runs or this one. */
  done: number;
  /** Judged in this run. */
  judged: number;
  /** Skipped because an earlier run judged them. */
  skipped: number;
  errors: number;
  /** Unparseable samples among those judged in this run. */
  unparseable: number;
  /** Samples served from the cache in this run. */
  cached: number;
}

/** What {@link runBenchmark} did: the final progress, and whether it was aborted or stopped by errors. */
export interface RunSummary extends RunProgress {
  aborted: boolean;
  /** Why the run stopped before the end of the data on its own (too many failures in a row). */
  stoppedBecause?: string;
  /** Ids that occurred more than once in the data (judged once). */
  duplicateIds: string[];
}

interface RunFile {
  settings: RunSettings;
  config: Record<string, unknown>;
  sessions: Record<string, unknown>[];
}

function readRunFile(path: string): RunFile {
  try {
    const run = JSON.parse(readFileSync(path, 'utf8')) as RunFile;
    if (run && typeof run.settings === 'object' && Array.isArray(run.sessions)) return run;
    throw new Error('settings or sessions missing');
  } catch (error) {
    throw new Error(
      `${path} is damaged (${(error as Error).message}); restore it or start a new --out directory`,
    );
  }
}

/**
 * Judges every pair with the backend (K samples per order) into an append-only, resumable run folder
 * (run.json, judgements.jsonl, errors.jsonl, cache.jsonl); rerunning it judges only what is missing.
 */
export async function runBenchmark(
  pairs: AsyncIterable<PreferencePair> | Iterable<PreferencePair>,
  options: RunOptions,
): Promise<RunSummary> {
  const { outDir, backend, k, order, seed, signal } = options;
  if (!Number.isInteger(k) || k < 1) throw new Error(`k must be a positive integer, got ${k}`);
  const template = options.template ?? R1_REWARD_PROMPT_TEMPLATE;
  await openRunDir(outDir, options.concurrency, signal);

  const settings: RunSettings = {
    benchmark: options.benchmark,
    k,
    order,
    seed,
    backend: backend.identity,
    template: createHash('sha256').update(template).digest('hex'),
  };
  const runPath = join(outDir, RUN_FILE);
  const run: RunFile = existsSync(runPath)
    ? readRunFile(runPath)
    : { settings, config: options.config ?? {}, sessions: [] };
  const judgementsPath = join(outDir, JUDGEMENTS_FILE);
  const hasJudgements = existsSync(judgementsPath) && statSync(judgementsPath).size > 0;
  // Settings bind a run once it holds judgements; before that a corrected command may start afresh.
  if (hasJudgements) checkSameSettings(run.settings, settings, outDir);
  else Object.assign(run, { settings, config: options.config ?? {} });
  const session: Record<string, unknown> = {
    startedAt: new Date().toISOString(),
    commit: gitCommit(),
    versions: { 'r1-reward': VERSION, node: process.version, openai: OPENAI_VERSION },
    concurrency: options.concurrency,
  };
  run.sessions.push(session);
  writeFileAtomic(runPath, `${JSON.stringify(run, null, 2)}\n`);

  const progress: RunProgress = {
    total: options.total,
    done: 0,
    judged: 0,
    skipped: 0,
    errors: 0,
    unparseable: 0,
    cached: 0,
  };

  async function judgeItem(
    pair: PreferencePair,
    cache: JudgementCache | undefined,
  ): Promise<JudgedItemRecord> {
    const started = performance.now();
    const images = await Promise.all(pair.images.map((image) => options.encodeImage(image)));
    const result = await judgePair(
      {
        id: pair.id,
        images,
        question: pair.question,
        responses: [pair.chosen, pair.rejected],
        ...storedOrder(pair),
      },
      backend,
      { k, order, seed, template, ...(cache ? { cache } : {}), ...(signal ? { signal } : {}) },
    );
    progress.judged++;
    progress.unparseable += result.votes.unparseable;
    for (const j of result.judgements) progress.cached += j.cached;
    return {
      id: pair.id,
      ...(pair.category !== undefined ? { category: pair.category } : {}),
      ...(pair.meta !== undefined ? { meta: pair.meta } : {}),
      order,
      k,
      judgements: result.judgements,
      ms: Math.round(performance.now() - started),
    };
  }

  const outcome = await runItems(pairs, {
    outDir,
    rowsFile: JUDGEMENTS_FILE,
    verb: 'judged',
    concurrency: options.concurrency,
    cacheFile: options.cacheFile,
    signal,
    maxConsecutiveErrors: options.maxConsecutiveErrors,
    onWarning: options.onWarning,
    progress,
    report: () => options.onProgress?.({ ...progress }),
    work: judgeItem,
    onFinish: ({ aborted, stoppedBecause }) => {
      Object.assign(session, {
        endedAt: new Date().toISOString(),
        judged: progress.judged,
        skipped: progress.skipped,
        errors: progress.errors,
        aborted,
        ...(stoppedBecause ? { stoppedBecause } : {}),
      });
      writeFileAtomic(runPath, `${JSON.stringify(run, null, 2)}\n`);
    },
  });
  return { ...progress, ...outcome };
}

/** The file's own order, where the loader recorded it (Multimodal RewardBench: meta.chosenPosition). */
function storedOrder(pair: PreferencePair): { storedFirstAt?: Position } {
  const position = pair.meta?.chosenPosition;
  return position === 1 || position === 2 ? { storedFirstAt: position } : {};
}

/** Reads a run's settings and judgements back (for scoring). */
export async function readRun(outDir: string): Promise<{ run: RunFile; records: JudgedItemRecord[] }> {
  const runPath = join(outDir, RUN_FILE);
  if (!existsSync(runPath))
    throw new Error(`${outDir} has no ${RUN_FILE}: give the --out directory of an \`r1-reward bench run\``);
  const run = readRunFile(runPath);
  const records: JudgedItemRecord[] = [];
  const byId = new Map<string, number>();
  await readJsonLines<JudgedItemRecord>(join(outDir, JUDGEMENTS_FILE), (record) => {
    // A record judged twice (two runs racing on one directory) counts once: the last one wins.
    const at = byId.get(record.id);
    if (at === undefined) {
      byId.set(record.id, records.length);
      records.push(record);
    } else records[at] = record;
  });
  return { run, records };
}
