// Judging one pair: render the prompt in each order the protocol asks for, draw K samples per order,
// parse them (docs/spec.md §2) and vote (docs/spec.md §6). Choices are kept as the model wrote them (positions) and
// mapped to the pair's own numbering (1 = the pair's first response) only for voting.
import { createHash, type Hash } from 'node:crypto';
import { type Choice, countVotes, type ParsedJudgement, parseJudgement, vote } from '../algo/index.js';
import type { JudgeBackend } from './backend.js';
import type { JudgementCache } from './cache.js';
import { type OrderProtocol, type Position, positionsFor } from './order.js';
import { R1_REWARD_PROMPT_TEMPLATE, renderPrompt } from './prompt.js';

/** One pair to judge: image URLs, the question and the two responses in the pair's own order. */
export interface PairToJudge {
  /** Seeds the random order; for ad-hoc pairs any stable string (the CLI uses a content hash). */
  id: string;
  /** Image URLs (data URLs for local files), shown before the text. */
  images: readonly string[];
  question: string;
  /** The two responses in the pair's own order; for benchmarks [chosen, rejected]. */
  responses: readonly [string, string];
  /** Where the source file shows the first response (order `stored`). */
  storedFirstAt?: Position;
}

/**
 * Options of {@link judgePair}: K samples per order, the order protocol, the seed, the prompt template and
 * the cache.
 */
export interface JudgeOptions {
  k: number;
  order: OrderProtocol;
  seed: number;
  template?: string;
  cache?: JudgementCache;
  signal?: AbortSignal;
}

/** One parsed judge sample. */
export interface JudgedSample {
  /** The raw completion text. */
  text: string;
  /** Position the model picked (as shown), or null when unparseable. */
  choice: Choice | null;
  /** Parse route: the answer tag, the released last-digit fallback, or none (docs/spec.md §2). */
  via: ParsedJudgement['via'];
  strictFormat: boolean;
}

/** K samples for one order of the pair. */
export interface OrderedJudgement {
  /** Where the pair's first response was shown. */
  firstAt: Position;
  samples: JudgedSample[];
  /** How many of the samples came from the cache. */
  cached: number;
}

/**
 * {@link judgePair}'s result: each order's samples, the votes in the pair's numbering, the Voting@K verdict
 * and position consistency.
 */
export interface PairJudgement {
  judgements: OrderedJudgement[];
  /** Votes in the pair's numbering over every sample of every order. */
  votes: { first: number; second: number; unparseable: number };
  /** Voting@K (tie → none): 1 = the pair's first response is better, null = no majority. */
  preferred: Choice | null;
  /** Order `both` only: whether the two orders' votes pick the same response (null: one has no majority). */
  consistent: boolean | null;
}

/** A position-space choice in the pair's numbering: 1 when the model picked the pair's first response. */
export function toPairChoice(choice: Choice | null, firstAt: Position): Choice | null {
  if (choice === null) return null;
  return choice === firstAt ? 1 : 2;
}

/**
 * Parses one raw completion into a {@link JudgedSample} (the answer tag, else the released last-digit
 * fallback).
 */
export function parseSample(text: string): JudgedSample {
  const parsed = parseJudgement(text);
  return { text, choice: parsed.choice, via: parsed.via, strictFormat: parsed.strictFormat };
}

// The hash state after identity and images, per images list: every comparison of a ranking (and
// every request of a reward server's item) passes the same list, so its images (often hundreds of
// kilobytes) are hashed once instead of once per request. The keys are unchanged.
const prefixStates = new WeakMap<readonly string[], { identity: string; state: Hash }>();

/** The content key of one rendered request: backend identity, images and prompt text. */
export function requestKey(identity: string, images: readonly string[], text: string): string {
  const known = images.length > 0 ? prefixStates.get(images) : undefined;
  let hash: Hash;
  if (known && known.identity === identity) hash = known.state.copy();
  else {
    hash = createHash('sha256').update(identity).update('\u0000');
    for (const image of images) hash.update(image).update('\u0000');
    if (images.length > 0) prefixStates.set(images, { identity, state: hash.copy() });
  }
  return hash.update(text).digest('hex');
}

/**
 * Judges one pair: renders the prompt for each order of the protocol, draws K samples per order (from the
 * cache where it has them) and votes.
 */
export async function judgePair(
  pair: PairToJudge,
  backend: JudgeBackend,
  options: JudgeOptions,
): Promise<PairJudgement> {
  const template = options.template ?? R1_REWARD_PROMPT_TEMPLATE;
  const positions = positionsFor(options.order, options.seed, pair.id, pair.storedFirstAt);
  const judgements = await Promise.all(
    positions.map(async (firstAt): Promise<OrderedJudgement> => {
      const [a, b] = firstAt === 1 ? pair.responses : [pair.responses[1], pair.responses[0]];
      const text = renderPrompt(template, { question: pair.question, answer1: a, answer2: b });
      const request = { images: pair.images, text };
      const key = options.cache ? requestKey(backend.identity, pair.images, text) : '';
      const cached = options.cache?.get(key)?.slice(0, options.k) ?? [];
      let texts = cached;
      if (cached.length < options.k) {
        const fresh = await backend.sample(request, options.k - cached.length, { signal: options.signal });
        texts = [...cached, ...fresh];
        options.cache?.put(key, texts);
      }
      return { firstAt, samples: texts.map(parseSample), cached: cached.length };
    }),
  );
  return { judgements, ...tally(judgements) };
}

/** Votes, Voting@K and (for two orders) position consistency, all in the pair's numbering. */
export function tally(judgements: readonly OrderedJudgement[]): Omit<PairJudgement, 'judgements'> {
  const perOrder = judgements.map((j) => j.samples.map((s) => toPairChoice(s.choice, j.firstAt)));
  const all = perOrder.flat();
  const { ones, twos, unparseable } = countVotes(all);
  let consistent: boolean | null = null;
  if (perOrder.length === 2) {
    const [x, y] = perOrder.map((choices) => vote(choices));
    consistent = x == null || y == null ? null : x === y;
  }
  return { votes: { first: ones, second: twos, unparseable }, preferred: vote(all), consistent };
}
