// The types of N-way ranking: what is ranked, how, and what comes back.
import type { JudgementCache } from '../judge/cache.js';
import type { JudgedSample } from '../judge/judge.js';

/** How candidates meet (see docs/ranking.md for costs). */
export type RankScheme = 'round-robin' | 'knockout' | 'swiss' | 'sort' | 'reference';
/** Every {@link RankScheme}. */
export const RANK_SCHEMES: readonly RankScheme[] = ['round-robin', 'knockout', 'swiss', 'sort', 'reference'];

/** Which orders each comparison is judged in: both (debiased, the default) or one seeded random order. */
export type RankOrder = 'both' | 'random';
/** Every {@link RankOrder}. */
export const RANK_ORDERS: readonly RankOrder[] = ['both', 'random'];

/** The item the candidates answer: images (URLs, usually data URLs) and the question. */
export interface RankItem {
  /** Seeds the draws (random order, knockout seeding, swiss pairing) together with the seed. */
  id: string;
  images: readonly string[];
  question: string;
  /** A reference answer: needed by the `reference` scheme, ignored by the others. */
  reference?: string;
}

/** Options of {@link rankCandidates}. */
export interface RankOptions {
  scheme: RankScheme;
  /** Samples per order (Voting@K within an order). */
  k: number;
  /** Default `both`. */
  order?: RankOrder;
  /** Seeds the random order, knockout seeding and swiss pairing draws, and is part of the cache key (default 0). */
  seed?: number;
  /** Swiss rounds (default 3). */
  rounds?: number;
  /**
   * Judgement cache (e.g. a FileJudgementCache, to resume across runs). Default: a fresh in-memory cache
   * for this call; pass one cache to several calls to share samples between them.
   */
  cache?: JudgementCache;
  /** Judge prompt template (default: the released R1-Reward prompt). */
  template?: string;
  signal?: AbortSignal;
  /** Most judge requests in flight at once (default 16); the backend may bound them further. */
  concurrency?: number;
  /** Bradley–Terry prior: virtual tied games per candidate (default 1). */
  prior?: number;
}

/** A candidate's index in the input, or `'reference'` for the item's reference answer. */
export type Contestant = number | 'reference';

/** One order of a comparison: who was shown as Response 1, the samples, and that order's verdict. */
export interface OrderVerdict {
  /** The contestant shown as Response 1 (the other one was Response 2). */
  shownFirst: Contestant;
  shownSecond: Contestant;
  samples: JudgedSample[];
  /** Per sample, the contestant it picked (null: unparseable). */
  picks: (Contestant | null)[];
  /** The majority among the parsed picks; null when there is none (a tie in votes, or nothing parsed). */
  verdict: Contestant | null;
  /** Samples drawn from the backend for this comparison now; the rest came from the cache. */
  freshSamples: number;
  cachedSamples: number;
}

/** One debiased comparison of two contestants. */
export interface Comparison {
  a: Contestant;
  b: Contestant;
  /**
   * The round it was played in, from 0: round-robin and reference play one round; sort's round is the merge
   * level counted from the leaves (merges of single candidates are round 0).
   */
  round: number;
  orders: OrderVerdict[];
  /** The winner, or null for a tie (the orders disagree, or an order has no majority). */
  winner: Contestant | null;
  /** Both orders only: whether the two orders' verdicts agree (null when an order has no majority). */
  consistent: boolean | null;
}

/** One candidate's result, in input order. */
export interface CandidateResult {
  index: number;
  /** Win rate over its comparisons, ties ½; 0.5 for a candidate that played no comparison. */
  score: number;
  /** Bradley–Terry strength (geometric mean 1 over the candidates; the reference scheme: reference = 1). */
  strength: number;
  wins: number;
  losses: number;
  ties: number;
  /** Comparisons played. */
  played: number;
  /** Parsed samples that picked this candidate, and that picked its opponent, over its comparisons. */
  votes: { for: number; against: number };
  /** 1-based place in {@link Ranking.ranked}. */
  rank: number;
}

/** Judge work: rendered requests (each returns K samples) and samples, fresh from the backend vs cached. */
export interface JudgeCalls {
  /** Rendered requests the scheme judged (comparisons × orders): its cost. */
  requests: number;
  /** Requests sent to the backend (at least one fresh sample); the rest were served by the cache. */
  sent: number;
  /** Samples used (requests × K). */
  samples: number;
  freshSamples: number;
  cachedSamples: number;
}

/** Position consistency over the comparisons judged in both orders, counted as `bench score` counts it. */
export interface RankConsistency {
  /** agree / compared; null when no comparison had a verdict in both orders. */
  rate: number | null;
  agree: number;
  /** Comparisons where both orders had a majority. */
  compared: number;
  /** Comparisons where an order had no majority (ties, excluded from the rate). */
  undecided: number;
}

/** {@link rankCandidates}'s result. */
export interface Ranking {
  itemId: string;
  scheme: RankScheme;
  k: number;
  order: RankOrder;
  seed: number;
  /** Rounds played (swiss may stop early when no pairing without a repeat remains). */
  rounds: number;
  /** Per candidate, in input order. */
  candidates: CandidateResult[];
  /** Candidate indices, best first (see docs/ranking.md for each scheme's order and tie-breaks). */
  ranked: number[];
  /** The chosen candidate: ranked[0]. */
  best: number;
  comparisons: Comparison[];
  calls: JudgeCalls;
  consistency: RankConsistency;
  /** Unparseable samples over all comparisons. */
  unparseable: number;
}
