// One line of RUN_DIR/judgements.jsonl: everything needed to rescore an item without the judge.
import type { OrderedJudgement } from '../judge/judge.js';
import type { OrderProtocol } from '../judge/order.js';

/** One line of RUN_DIR/judgements.jsonl: everything needed to rescore an item without the judge. */
export interface JudgedItemRecord {
  id: string;
  /** Official category from the loader (docs/spec.md §7), when known. */
  category?: string;
  /** The loader's meta: source (VL-RewardBench fine source), groupId (MM-RLHF question id), sourceId (raw id). */
  meta?: Record<string, unknown>;
  order: OrderProtocol;
  k: number;
  /**
   * One entry per order judged (two for order `both`). The pair's first response is the
   * human-preferred one, so `firstAt` is where the chosen response was shown; each sample keeps its
   * raw text, parsed position choice and parse route.
   */
  judgements: OrderedJudgement[];
  /** Wall time spent on the item, milliseconds. */
  ms: number;
}

export const JUDGEMENTS_FILE = 'judgements.jsonl';
export const RUN_FILE = 'run.json';
export { CACHE_FILE, ERRORS_FILE } from '../judge/item-run.js';
