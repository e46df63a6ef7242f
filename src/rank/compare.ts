// One debiased comparison of two contestants: judged in both orders (or one seeded random order),
// K samples per order through judgePair, each order decided by its own majority. The two orders
// must agree for a winner; disagreement or an order without a majority is a tie.
import { createHash } from 'node:crypto';
import pLimit, { type LimitFunction } from 'p-limit';
import { vote } from '../algo/index.js';
import type { JudgeBackend } from '../judge/backend.js';
import type { JudgementCache } from '../judge/cache.js';
import { type JudgedSample, judgePair } from '../judge/judge.js';
import { seededCoin } from '../judge/order.js';
import { seededCache } from './cache.js';
import type { Comparison, Contestant, OrderVerdict, RankItem, RankOrder } from './types.js';

/** Everything a comparison needs: the item, the candidates, the backend and the judging settings. */
export interface Judging {
  item: RankItem;
  candidates: readonly string[];
  backend: JudgeBackend;
  k: number;
  order: RankOrder;
  seed: number;
  template?: string;
  /** Already keyed by the sample seed. */
  cache: JudgementCache;
  signal?: AbortSignal;
  limit: LimitFunction;
  /**
   * Requests of this ranking by shown texts: a request already asked for (even one still in flight) is
   * answered once, so identical candidate texts never reach the backend twice.
   */
  requests: Map<string, Promise<{ samples: JudgedSample[]; fresh: number }>>;
}

/** The settings of {@link makeJudging}. */
export interface JudgingSettings {
  k: number;
  order: RankOrder;
  seed: number;
  template?: string;
  cache: JudgementCache;
  signal?: AbortSignal;
  concurrency: number;
}

export function makeJudging(
  item: RankItem,
  candidates: readonly string[],
  backend: JudgeBackend,
  settings: JudgingSettings,
): Judging {
  return {
    item,
    candidates,
    backend,
    k: settings.k,
    order: settings.order,
    seed: settings.seed,
    ...(settings.template !== undefined ? { template: settings.template } : {}),
    cache: seededCache(settings.cache, settings.seed),
    ...(settings.signal ? { signal: settings.signal } : {}),
    limit: pLimit(settings.concurrency),
    requests: new Map(),
  };
}

function textOf(judging: Judging, who: Contestant): string {
  if (who === 'reference') {
    if (judging.item.reference === undefined)
      throw new Error(`item ${judging.item.id} has no reference answer`);
    return judging.item.reference;
  }
  return judging.candidates[who]!;
}

/** K samples with `first` shown as Response 1 and `second` as Response 2, and that order's verdict. */
async function judgeOrder(judging: Judging, first: Contestant, second: Contestant): Promise<OrderVerdict> {
  const shown = [textOf(judging, first), textOf(judging, second)] as const;
  const key = JSON.stringify(shown);
  let request = judging.requests.get(key);
  const repeated = request !== undefined;
  if (!request) {
    const { item, backend, k, seed, template, cache, signal } = judging;
    // Order `fixed` shows the responses as given: this module decides the orders itself.
    const id = createHash('sha256').update(key).digest('hex');
    request = judging.limit(async () => {
      const result = await judgePair(
        { id, images: item.images, question: item.question, responses: shown },
        backend,
        {
          k,
          order: 'fixed',
          seed,
          cache,
          ...(template !== undefined ? { template } : {}),
          ...(signal ? { signal } : {}),
        },
      );
      const [judgement] = result.judgements;
      return { samples: judgement!.samples, fresh: k - judgement!.cached };
    });
    judging.requests.set(key, request);
  }
  const { samples, fresh } = await request;
  const picks = samples.map((s) => (s.choice === null ? null : s.choice === 1 ? first : second));
  const choice = vote(samples.map((s) => s.choice));
  const freshSamples = repeated ? 0 : fresh;
  return {
    shownFirst: first,
    shownSecond: second,
    samples,
    picks,
    verdict: choice === null ? null : choice === 1 ? first : second,
    freshSamples,
    cachedSamples: samples.length - freshSamples,
  };
}

/**
 * The orders a comparison of `a` and `b` is shown in. `random` flips a coin seeded by the seed, the item
 * and the two texts (not their indices), so identical candidates meet an opponent in the same order and
 * share its cached samples.
 */
export function shownOrders(judging: Judging, a: Contestant, b: Contestant): [Contestant, Contestant][] {
  if (judging.order === 'both')
    return [
      [a, b],
      [b, a],
    ];
  const [ta, tb] = [textOf(judging, a), textOf(judging, b)];
  const [low, high] = ta <= tb ? [a, b] : [b, a];
  const coin = seededCoin(judging.seed, `order:${judging.item.id}\u0000${JSON.stringify([ta, tb].sort())}`);
  return [coin === 0 ? [low, high] : [high, low]];
}

/** Judges `a` against `b` in the orders of the protocol and applies the tie rule. */
export async function compare(
  judging: Judging,
  a: Contestant,
  b: Contestant,
  round: number,
): Promise<Comparison> {
  const orders = await Promise.all(shownOrders(judging, a, b).map(([x, y]) => judgeOrder(judging, x, y)));
  const verdicts = orders.map((o) => o.verdict);
  const decided = verdicts.every((v) => v !== null) && new Set(verdicts).size === 1;
  const consistent =
    orders.length === 2
      ? verdicts[0] === null || verdicts[1] === null
        ? null
        : verdicts[0] === verdicts[1]
      : null;
  return { a, b, round, orders, winner: decided ? verdicts[0]! : null, consistent };
}

/** Points `who` took from a comparison it played: 1, ½ (tie) or 0. */
export function pointsOf(comparison: Comparison, who: Contestant): 0 | 0.5 | 1 {
  if (comparison.winner === null) return 0.5;
  return comparison.winner === who ? 1 : 0;
}

/** Parsed samples for `who` minus those for its opponent, over both orders (a tie-break finer than the verdict). */
export function voteMargin(comparison: Comparison, who: Contestant): number {
  let margin = 0;
  for (const order of comparison.orders)
    for (const pick of order.picks) if (pick !== null) margin += pick === who ? 1 : -1;
  return margin;
}
