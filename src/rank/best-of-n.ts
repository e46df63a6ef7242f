// Best-of-n over a data file: rank every item's candidates and append one row per item to
// RUN_DIR/rankings.jsonl through the resumable item loop `bench run` uses too (judge/item-run.ts): a
// rerun skips the items already there (a torn last line is cut off and that item ranked again), failed
// items go to errors.jsonl and are retried by the next rerun, samples are cached in RUN_DIR/cache.jsonl,
// and an abort keeps everything written. The run's settings are recorded once in run.json; a rerun
// must use the same ones. summary.json is written atomically at the end from every row on disk.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { writeJsonAtomic } from '../io/atomic-write.js';
import { openRunRecord } from '../io/run-record.js';
import { readJsonLines } from '../judge/append-log.js';
import type { JudgeBackend } from '../judge/backend.js';
import type { JudgementCache } from '../judge/cache.js';
import { openRunDir, runItems } from '../judge/item-run.js';
import { R1_REWARD_PROMPT_TEMPLATE } from '../judge/prompt.js';
import type { BestOfNItem } from './best-of-n-data.js';
import { DEFAULT_SWISS_ROUNDS, rankCandidates } from './rank.js';
import type { Contestant, JudgeCalls, RankConsistency, Ranking, RankOptions } from './types.js';

/** One row per ranked item, appended as each finishes. */
export const RANKINGS_FILE = 'rankings.jsonl';
/** The pooled summary, written atomically at the end of every session. */
export const SUMMARY_FILE = 'summary.json';

/** One line of RUN_DIR/rankings.jsonl: an item's ranking without the sample texts (those sit in the cache). */
export interface BestOfNRow {
  id: string;
  /** The chosen candidate's index. */
  best: number;
  /** Candidate indices, best first. */
  ranked: number[];
  /** Per candidate, in input order. */
  scores: number[];
  strengths: number[];
  calls: JudgeCalls;
  consistency: RankConsistency;
  unparseable: number;
  rounds: number;
  comparisons: {
    a: Contestant;
    b: Contestant;
    round: number;
    winner: Contestant | null;
    consistent: boolean | null;
    orders: { shownFirst: Contestant; picks: (Contestant | null)[]; verdict: Contestant | null }[];
  }[];
  /** Wall time spent on the item, milliseconds. */
  ms: number;
}

/** The settings that change a ranking; a resumed run must use the same ones. */
export interface BestOfNSettings {
  scheme: RankOptions['scheme'];
  k: number;
  order: NonNullable<RankOptions['order']>;
  seed: number;
  rounds: number | null;
  prior: number | null;
  /** Backend identity (model and sampling settings). */
  backend: string;
  /** sha256 of the prompt template. */
  template: string;
}

/** Options of {@link runBestOfN}. */
export interface BestOfNOptions {
  outDir: string;
  backend: JudgeBackend;
  rank: Omit<RankOptions, 'cache' | 'signal'>;
  /** Items ranked at once (each one's requests are bounded by rank.concurrency, the backend's by its own). */
  concurrency: number;
  /** Cache file; default RUN_DIR/cache.jsonl; null turns the cache off. */
  cacheFile?: string | null;
  /** An item's images as URLs for the backend (data URLs); a failure fails that item only. */
  loadImages: (item: BestOfNItem) => Promise<string[]>;
  /** Anything else worth recording in run.json (data file, endpoints, …). */
  config?: Record<string, unknown>;
  signal?: AbortSignal;
  onProgress?: (progress: BestOfNProgress) => void;
  /** Stop early after this many failed items in a row (a dead endpoint); default max(10, 2 × concurrency). */
  maxConsecutiveErrors?: number;
  onWarning?: (message: string) => void;
}

/** Progress of a run, after every item. */
export interface BestOfNProgress {
  total: number;
  /** Items with a row on disk, from earlier runs or this one. */
  done: number;
  /** Ranked in this run. */
  ranked: number;
  /** Skipped because an earlier run ranked them. */
  skipped: number;
  errors: number;
  /** Judge requests sent to the backend in this run. */
  sent: number;
}

/** What {@link runBestOfN} did, and the summary it wrote. */
export interface BestOfNResult extends BestOfNProgress {
  aborted: boolean;
  stoppedBecause?: string;
  summary: BestOfNSummary;
}

/** RUN_DIR/summary.json: every row on disk, pooled. */
export interface BestOfNSummary {
  settings: BestOfNSettings;
  /** Items ranked (rows on disk). */
  items: number;
  /** Mean judge work per item. */
  meanCalls: JudgeCalls;
  /** Position consistency pooled over every item's both-order comparisons. */
  consistency: RankConsistency;
  unparseable: { count: number; samples: number; rate: number | null };
  /** Mean score of the chosen candidate. */
  meanBestScore: number | null;
  /** How often each input position was chosen (index → items). */
  bestIndex: Record<string, number>;
}

/** A ranking as a row: scores and strengths as arrays, comparisons without sample texts. */
export function rankingRow(ranking: Ranking, ms: number): BestOfNRow {
  return {
    id: ranking.itemId,
    best: ranking.best,
    ranked: ranking.ranked,
    scores: ranking.candidates.map((c) => c.score),
    strengths: ranking.candidates.map((c) => c.strength),
    calls: ranking.calls,
    consistency: ranking.consistency,
    unparseable: ranking.unparseable,
    rounds: ranking.rounds,
    comparisons: ranking.comparisons.map((c) => ({
      a: c.a,
      b: c.b,
      round: c.round,
      winner: c.winner,
      consistent: c.consistent,
      orders: c.orders.map((o) => ({ shownFirst: o.shownFirst, picks: o.picks, verdict: o.verdict })),
    })),
    ms,
  };
}

function settingsOf(options: BestOfNOptions): BestOfNSettings {
  const { rank, backend } = options;
  return {
    scheme: rank.scheme,
    k: rank.k,
    order: rank.order ?? 'both',
    seed: rank.seed ?? 0,
    rounds: rank.scheme === 'swiss' ? (rank.rounds ?? DEFAULT_SWISS_ROUNDS) : null,
    prior: rank.prior ?? null,
    backend: backend.identity,
    template: createHash('sha256')
      .update(rank.template ?? R1_REWARD_PROMPT_TEMPLATE)
      .digest('hex'),
  };
}

/** Writes run.json on the first session; a rerun must use the same settings (it continues that run). */
function recordRun(outDir: string, settings: BestOfNSettings, config: Record<string, unknown>): void {
  openRunRecord(
    outDir,
    'best-of-n',
    { settings, ...config },
    {
      seed: settings.seed,
      mayDiffer: Object.keys(config).filter((key) => key !== 'settings'),
      sameAs: 'the same settings',
    },
  );
}

/**
 * Ranks every item's candidates into an append-only, resumable run folder (run.json, rankings.jsonl,
 * errors.jsonl, cache.jsonl, summary.json); rerunning it ranks only what is missing.
 */
export async function runBestOfN(
  items: readonly BestOfNItem[],
  options: BestOfNOptions,
): Promise<BestOfNResult> {
  const { outDir, backend, signal } = options;
  await openRunDir(outDir, options.concurrency, signal);
  const settings = settingsOf(options);
  recordRun(outDir, settings, options.config ?? {});

  const progress: BestOfNProgress = {
    total: items.length,
    done: 0,
    ranked: 0,
    skipped: 0,
    errors: 0,
    sent: 0,
  };

  async function rankItem(item: BestOfNItem, cache: JudgementCache | undefined): Promise<BestOfNRow> {
    const started = performance.now();
    const images = await options.loadImages(item);
    const ranking = await rankCandidates(
      {
        id: item.id,
        images,
        question: item.question,
        ...(item.reference !== undefined ? { reference: item.reference } : {}),
      },
      item.candidates,
      backend,
      { ...options.rank, ...(cache ? { cache } : {}), ...(signal ? { signal } : {}) },
    );
    progress.ranked++;
    progress.sent += ranking.calls.sent;
    return rankingRow(ranking, Math.round(performance.now() - started));
  }

  const { aborted, stoppedBecause } = await runItems(items, {
    outDir,
    rowsFile: RANKINGS_FILE,
    verb: 'ranked',
    concurrency: options.concurrency,
    cacheFile: options.cacheFile,
    signal,
    maxConsecutiveErrors: options.maxConsecutiveErrors,
    onWarning: options.onWarning,
    progress,
    report: () => options.onProgress?.({ ...progress }),
    work: rankItem,
    errorContext: (item) => ({ line: item.line }),
  });
  const summary = await summarizeBestOfN(outDir, settings);
  writeJsonAtomic(join(outDir, SUMMARY_FILE), summary);
  return { ...progress, aborted, ...(stoppedBecause ? { stoppedBecause } : {}), summary };
}

/** Pools every row of RUN_DIR/rankings.jsonl (the last row of an id wins) into a {@link BestOfNSummary}. */
export async function summarizeBestOfN(outDir: string, settings: BestOfNSettings): Promise<BestOfNSummary> {
  const byId = new Map<string, BestOfNRow>();
  await readJsonLines<BestOfNRow>(join(outDir, RANKINGS_FILE), (row) => byId.set(row.id, row));
  const rows = [...byId.values()];
  const total: JudgeCalls = { requests: 0, sent: 0, samples: 0, freshSamples: 0, cachedSamples: 0 };
  const consistency: RankConsistency = { rate: null, agree: 0, compared: 0, undecided: 0 };
  const bestIndex: Record<string, number> = {};
  let [unparseable, bestScore] = [0, 0];
  for (const row of rows) {
    for (const key of Object.keys(total) as (keyof JudgeCalls)[]) total[key] += row.calls[key];
    consistency.agree += row.consistency.agree;
    consistency.compared += row.consistency.compared;
    consistency.undecided += row.consistency.undecided;
    unparseable += row.unparseable;
    bestScore += row.scores[row.best]!;
    bestIndex[row.best] = (bestIndex[row.best] ?? 0) + 1;
  }
  consistency.rate = consistency.compared > 0 ? consistency.agree / consistency.compared : null;
  const n = rows.length;
  const meanCalls = Object.fromEntries(
    Object.entries(total).map(([key, value]) => [key, n > 0 ? value / n : 0]),
  ) as unknown as JudgeCalls;
  return {
    settings,
    items: n,
    meanCalls,
    consistency,
    unparseable: {
      count: unparseable,
      samples: total.samples,
      rate: total.samples > 0 ? unparseable / total.samples : null,
    },
    meanBestScore: n > 0 ? bestScore / n : null,
    bestIndex,
  };
}
