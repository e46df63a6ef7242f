// Builds judged records by hand for the scorer tests: each order is [where the preferred response
// was shown, then the picked positions (null = unparseable, 'f1'/'f2' = picked by the fallback)].
import type { Choice } from '../../src/algo/index.js';
import type { JudgedItemRecord } from '../../src/eval/record.js';
import type { JudgedSample } from '../../src/judge/judge.js';
import type { OrderProtocol, Position } from '../../src/judge/order.js';

export type Pick = Choice | null | 'f1' | 'f2';

function sample(pick: Pick): JudgedSample {
  if (pick === 'f1' || pick === 'f2') {
    const choice = pick === 'f1' ? 1 : 2;
    return { text: `Response ${choice}`, choice, via: 'fallback', strictFormat: false };
  }
  if (pick === null) return { text: 'no verdict', choice: null, via: 'none', strictFormat: false };
  return { text: `<think>x</think><answer>${pick}</answer>`, choice: pick, via: 'tag', strictFormat: true };
}

export function record(
  id: string,
  orders: [Position, ...Pick[]][],
  extra: { category?: string; meta?: Record<string, unknown>; order?: OrderProtocol } = {},
): JudgedItemRecord {
  const k = orders[0]!.length - 1;
  return {
    id,
    ...(extra.category !== undefined ? { category: extra.category } : {}),
    ...(extra.meta !== undefined ? { meta: extra.meta } : {}),
    order: extra.order ?? (orders.length === 2 ? 'both' : 'fixed'),
    k,
    judgements: orders.map(([firstAt, ...picks]) => ({ firstAt, samples: picks.map(sample), cached: 0 })),
    ms: 1,
  };
}

/** K samples that pick the preferred response (`right`) or the other one, shown at `firstAt`. */
export function picks(firstAt: Position, pattern: string): [Position, ...Pick[]] {
  return [
    firstAt,
    ...[...pattern].map((c): Pick => {
      if (c === 'R') return firstAt;
      if (c === 'W') return firstAt === 1 ? 2 : 1;
      return null;
    }),
  ];
}
