// Order protocols (issue 6): which response is shown as Response 1.
// - fixed:  the first response (for benchmarks, the human-preferred one) is Response 1, as the released evaluation;
// - random: a coin seeded by (seed, item id) decides, so reruns show the same order (the default);
// - both:   each item is judged in both orders, to measure position consistency.
import { createHash } from 'node:crypto';

export type OrderProtocol = 'fixed' | 'random' | 'both';
export const ORDER_PROTOCOLS: readonly OrderProtocol[] = ['fixed', 'random', 'both'];

/** Where the first response of a pair is shown (1 = as Response 1). */
export type Position = 1 | 2;

/** A fair coin per (seed, key), stable across runs and machines: the first bit of sha256. */
export function seededCoin(seed: number, key: string): 0 | 1 {
  return (createHash('sha256').update(`${seed}\u0000${key}`).digest()[0]! & 1) as 0 | 1;
}

/** Positions of the pair's first response, one per judgement the protocol asks for. */
export function positionsFor(order: OrderProtocol, seed: number, itemId: string): Position[] {
  switch (order) {
    case 'fixed':
      return [1];
    case 'random':
      return [seededCoin(seed, `order:${itemId}`) === 0 ? 1 : 2];
    case 'both':
      return [1, 2];
    default:
      throw new Error(`order must be one of ${ORDER_PROTOCOLS.join(', ')}, got ${String(order)}`);
  }
}

export function parseOrder(value: string): OrderProtocol {
  if (!(ORDER_PROTOCOLS as readonly string[]).includes(value))
    throw new Error(`--order must be one of ${ORDER_PROTOCOLS.join(', ')}, got ${JSON.stringify(value)}`);
  return value as OrderProtocol;
}
