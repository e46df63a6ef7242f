// Ranking N candidate answers to one item with a pairwise judge (docs/spec.md §9): play the scheme's
// comparisons, then score each candidate (win rate, ties ½), fit Bradley–Terry strengths and order
// them best first.
import { ConfigError } from '../errors.js';
import type { JudgeBackend } from '../judge/backend.js';
import { DEFAULT_BT_PRIOR, fitBradleyTerry } from './bradley-terry.js';
import { MemoryJudgementCache } from './cache.js';
import { type Judging, makeJudging, pointsOf } from './compare.js';
import { againstReference, knockout, mergeSort, roundRobin, type SchemeResult, swiss } from './schemes.js';
import {
  type CandidateResult,
  type Comparison,
  type Contestant,
  type JudgeCalls,
  RANK_ORDERS,
  RANK_SCHEMES,
  type RankConsistency,
  type RankItem,
  type Ranking,
  type RankOptions,
} from './types.js';

/** Swiss rounds when not given. */
export const DEFAULT_SWISS_ROUNDS = 3;

/** Checks the options and candidates; a ConfigError names the offending one. */
function checkOptions(candidates: readonly string[], options: RankOptions): void {
  if (!RANK_SCHEMES.includes(options.scheme))
    throw new ConfigError(`scheme must be one of ${RANK_SCHEMES.join(', ')}, got ${String(options.scheme)}`);
  if (!Number.isInteger(options.k) || options.k < 1)
    throw new ConfigError(`k must be a positive integer, got ${options.k}`);
  if (options.order !== undefined && !RANK_ORDERS.includes(options.order))
    throw new ConfigError(`order must be one of ${RANK_ORDERS.join(', ')}, got ${String(options.order)}`);
  if (options.seed !== undefined && !Number.isInteger(options.seed))
    throw new ConfigError(`seed must be an integer, got ${options.seed}`);
  if (options.rounds !== undefined && (!Number.isInteger(options.rounds) || options.rounds < 1))
    throw new ConfigError(`rounds must be a positive integer, got ${options.rounds}`);
  const concurrency = options.concurrency ?? 16;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new ConfigError(`concurrency must be a positive integer, got ${concurrency}`);
  if (candidates.length === 0) throw new ConfigError('rank needs at least one candidate');
  candidates.forEach((c, i) => {
    if (typeof c !== 'string') throw new ConfigError(`candidates[${i}] must be a string, got ${typeof c}`);
  });
}

/**
 * Ranks `candidates` (answers to `item`) with a pairwise judge: every comparison is judged in both orders
 * (or one seeded random order) with K samples per order, and a comparison whose orders disagree is a tie.
 * Deterministic for a seed; samples are cached by backend, prompt, images, shown order and seed.
 * @example const ranking = await rankCandidates(item, ['a', 'b', 'c'], backend, { scheme: 'round-robin', k: 1 });
 */
export async function rankCandidates(
  item: RankItem,
  candidates: readonly string[],
  backend: JudgeBackend,
  options: RankOptions,
): Promise<Ranking> {
  checkOptions(candidates, options);
  const order = options.order ?? 'both';
  const seed = options.seed ?? 0;
  const judging = makeJudging(item, candidates, backend, {
    k: options.k,
    order,
    seed,
    cache: options.cache ?? new MemoryJudgementCache(),
    concurrency: options.concurrency ?? 16,
    ...(options.template !== undefined ? { template: options.template } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const played = await playScheme(judging, options);
  return summarize(item, candidates.length, played, { ...options, order, seed });
}

function playScheme(judging: Judging, options: RankOptions): Promise<SchemeResult> {
  switch (options.scheme) {
    case 'round-robin':
      return roundRobin(judging);
    case 'knockout':
      return knockout(judging);
    case 'swiss':
      return swiss(judging, options.rounds ?? DEFAULT_SWISS_ROUNDS);
    case 'sort':
      return mergeSort(judging);
    case 'reference':
      return againstReference(judging);
  }
}

/** Scores, strengths, order, calls and consistency from the comparisons a scheme played. */
function summarize(
  item: RankItem,
  n: number,
  played: SchemeResult,
  options: RankOptions & { order: NonNullable<RankOptions['order']>; seed: number },
): Ranking {
  const { comparisons } = played;
  const candidates = tallyCandidates(n, comparisons);
  const strengths = fitStrengths(n, comparisons, options.prior ?? DEFAULT_BT_PRIOR);
  for (const c of candidates) c.strength = strengths[c.index]!;
  const ranked = played.ranked ?? orderCandidates(candidates, played.stage);
  ranked.forEach((index, place) => {
    candidates[index]!.rank = place + 1;
  });
  return {
    itemId: item.id,
    scheme: options.scheme,
    k: options.k,
    order: options.order,
    seed: options.seed,
    rounds: played.rounds,
    candidates,
    ranked,
    best: ranked[0]!,
    comparisons,
    calls: countCalls(comparisons),
    consistency: consistencyOf(comparisons),
    unparseable: comparisons.reduce(
      (sum, c) => sum + c.orders.reduce((s, o) => s + o.picks.filter((p) => p === null).length, 0),
      0,
    ),
  };
}

function tallyCandidates(n: number, comparisons: readonly Comparison[]): CandidateResult[] {
  const results: CandidateResult[] = Array.from({ length: n }, (_, index) => ({
    index,
    score: 0.5,
    strength: 1,
    wins: 0,
    losses: 0,
    ties: 0,
    played: 0,
    votes: { for: 0, against: 0 },
    rank: 0,
  }));
  for (const comparison of comparisons)
    for (const who of [comparison.a, comparison.b]) {
      if (who === 'reference') continue;
      const r = results[who]!;
      r.played++;
      const points = pointsOf(comparison, who);
      if (points === 1) r.wins++;
      else if (points === 0) r.losses++;
      else r.ties++;
      for (const order of comparison.orders)
        for (const pick of order.picks) {
          if (pick === who) r.votes.for++;
          else if (pick !== null) r.votes.against++;
        }
    }
  for (const r of results) if (r.played > 0) r.score = (r.wins + r.ties / 2) / r.played;
  return results;
}

/** Bradley–Terry strengths of the candidates; with a reference in play, scaled so that the reference is 1. */
function fitStrengths(n: number, comparisons: readonly Comparison[], prior: number): number[] {
  const hasReference = comparisons.some((c) => c.a === 'reference' || c.b === 'reference');
  const player = (who: Contestant) => (who === 'reference' ? n : who);
  const games = comparisons.map((c) => ({ a: player(c.a), b: player(c.b), points: pointsOf(c, c.a) }));
  const { strengths } = fitBradleyTerry(hasReference ? n + 1 : n, games, { prior });
  if (!hasReference) return strengths;
  const reference = strengths[n]!;
  return strengths.slice(0, n).map((p) => p / reference);
}

/**
 * Best first: by stage where the scheme has one (knockout), then score, Bradley–Terry strength, the share of
 * sample votes, and finally input order.
 */
function orderCandidates(candidates: readonly CandidateResult[], stage?: readonly number[]): number[] {
  const share = (c: CandidateResult) => {
    const total = c.votes.for + c.votes.against;
    return total === 0 ? 0.5 : c.votes.for / total;
  };
  return [...candidates]
    .sort(
      (x, y) =>
        (stage ? stage[y.index]! - stage[x.index]! : 0) ||
        y.score - x.score ||
        strengthOrder(x.strength, y.strength) ||
        share(y) - share(x) ||
        x.index - y.index,
    )
    .map((c) => c.index);
}

/** Larger strength first; strengths equal up to the fit's rounding count as equal (the next key decides). */
function strengthOrder(x: number, y: number): number {
  return Math.abs(x - y) <= 1e-9 * Math.max(x, y) ? 0 : y - x;
}

function countCalls(comparisons: readonly Comparison[]): JudgeCalls {
  const calls: JudgeCalls = { requests: 0, sent: 0, samples: 0, freshSamples: 0, cachedSamples: 0 };
  for (const c of comparisons)
    for (const o of c.orders) {
      calls.requests++;
      if (o.freshSamples > 0) calls.sent++;
      calls.samples += o.samples.length;
      calls.freshSamples += o.freshSamples;
      calls.cachedSamples += o.cachedSamples;
    }
  return calls;
}

function consistencyOf(comparisons: readonly Comparison[]): RankConsistency {
  let [agree, compared, undecided] = [0, 0, 0];
  for (const c of comparisons) {
    if (c.orders.length !== 2) continue;
    if (c.consistent === null) undecided++;
    else {
      compared++;
      if (c.consistent) agree++;
    }
  }
  return { rate: compared > 0 ? agree / compared : null, agree, compared, undecided };
}
