// Order protocols: which response is shown as Response 1.
// - fixed:  the first response (for benchmarks, the human-preferred one) is Response 1, as the released evaluation;
// - random: a coin seeded by (seed, item id) decides, so reruns show the same order (the default);
// - both:   each item is judged in both orders, to measure position consistency;
// - stored: the order the benchmark file stores (Multimodal RewardBench's official protocol).
import { createHash } from 'node:crypto';

/**
 * Which response is shown as Response 1: `fixed` (the pair's first, as the released evaluation), `random` (a
 * coin seeded by seed and item id; the default), `both` (each order, for position consistency), `stored` (the
 * benchmark file's order).
 */
export type OrderProtocol = 'fixed' | 'random' | 'both' | 'stored';
/** Every {@link OrderProtocol}. */
export const ORDER_PROTOCOLS: readonly OrderProtocol[] = ['fixed', 'random', 'both', 'stored'];

/** Where the first response of a pair is shown (1 = as Response 1). */
export type Position = 1 | 2;

/** A fair coin per (seed, key), stable across runs and machines: the first bit of sha256. */
export function seededCoin(seed: number, key: string): 0 | 1 {
  return (createHash('sha256').update(`${seed}\u0000${key}`).digest()[0]! & 1) as 0 | 1;
}

/**
 * Positions of the pair's first response, one per judgement the protocol asks for. `stored` is
 * where the file put it (for benchmarks, the loader's meta.chosenPosition).
 */
export function positionsFor(
  order: OrderProtocol,
  seed: number,
  itemId: string,
  stored?: Position,
): Position[] {
  switch (order) {
    case 'fixed':
      return [1];
    case 'random':
      return [seededCoin(seed, `order:${itemId}`) === 0 ? 1 : 2];
    case 'both':
      return [1, 2];
    case 'stored':
      if (stored !== 1 && stored !== 2)
        throw new Error(
          `item ${itemId} has no stored order; --order stored needs a benchmark whose file fixes it (multimodal-rewardbench)`,
        );
      return [stored];
    default:
      throw new Error(`order must be one of ${ORDER_PROTOCOLS.join(', ')}, got ${String(order)}`);
  }
}

/** Checks a command-line order value; throws naming the allowed values. */
export function parseOrder(value: string): OrderProtocol {
  if (!(ORDER_PROTOCOLS as readonly string[]).includes(value))
    throw new Error(`--order must be one of ${ORDER_PROTOCOLS.join(', ')}, got ${JSON.stringify(value)}`);
  return value as OrderProtocol;
}
