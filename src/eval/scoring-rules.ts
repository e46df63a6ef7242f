// How each benchmark turns an item's votes into a verdict and groups items (docs/spec.md §7).
// Votes are in the pair's numbering: 1 = the human-preferred response was picked, 2 = the rejected
// one, null = unparseable. A verdict is true (correct), false (wrong) or null (left out).
import { type Choice, countVotes, vote } from '../algo/index.js';
import {
  type VlRewardBenchCategory,
  vlRewardBenchCategory,
  vlRewardBenchR1CompatCategory,
} from '../data/categories.js';
import type { BenchmarkName } from '../data/types.js';
import { seededCoin } from '../judge/order.js';
import type { JudgedItemRecord } from './record.js';

/**
 * `official`: each benchmark's official rules; `r1-compat`: the released R1-Reward evaluation's rules (spec
 * §7).
 */
export type ScoreProtocol = 'official' | 'r1-compat';
/** Every {@link ScoreProtocol}. */
export const SCORE_PROTOCOLS: readonly ScoreProtocol[] = ['official', 'r1-compat'];

/**
 * A benchmark's scoring rules under one protocol: the item verdict, its categories, the Acc+ group and the
 * macro average.
 */
export interface ScoringRules {
  /** The item's verdict from its votes. */
  verdict(votes: readonly (Choice | null)[], record: JudgedItemRecord): boolean | null;
  /** The categories the item counts in (a split category counts in its parent too). */
  categories(record: JudgedItemRecord): string[];
  /** Categories whose mean is `macro` (VL-RewardBench only); null where the benchmark defines none. */
  macroOver: readonly string[] | null;
  /** Question id for Acc+ (MM-RLHF), else null. */
  groupOf: ((record: JudgedItemRecord) => string) | null;
}

/**
 * VL-RewardBench official: an item agrees when more than half of its k calls pick the preferred
 * response, disagrees when more than half pick the other; otherwise (unparseable calls, no
 * majority) it leaves the denominator.
 */
export function vlRewardBenchVerdict(votes: readonly (Choice | null)[]): boolean | null {
  const { ones, twos } = countVotes(votes);
  if (ones > votes.length / 2) return true;
  if (twos > votes.length / 2) return false;
  return null;
}

/** The official group of a record: its category (the loader's), else from its raw id (docs/spec.md §7 prefix rule). */
export function vlOfficialGroup(record: JudgedItemRecord): VlRewardBenchCategory {
  const category = record.category;
  if (category === 'general' || category === 'hallucination' || category === 'reasoning') return category;
  return vlRewardBenchCategory(rawId(record));
}

/**
 * The released R1-Reward evaluation's grouping: a case-sensitive substring test on the raw id, so the
 * upper-case RLAIF-V… / RLHF-V… ids fall into general (484 / 448 / 318).
 */
export function r1CompatGroup(record: JudgedItemRecord): VlRewardBenchCategory {
  return vlRewardBenchR1CompatCategory(rawId(record));
}

function rawId(record: JudgedItemRecord): string {
  return typeof record.meta?.sourceId === 'string' ? record.meta.sourceId : record.id;
}

/** Majority of parsed votes (ties and all-unparseable: no majority) must pick the preferred response. */
function strictVerdict(votes: readonly (Choice | null)[]): boolean {
  return vote(votes) === 1;
}

function recordCategory(record: JudgedItemRecord): string[] {
  return [record.category ?? 'uncategorised'];
}

/**
 * Multimodal RewardBench categories: a split category written `parent/child` (reasoning/math,
 * safety/bias, …) counts in the child and in its parent.
 */
function withParent(record: JudgedItemRecord): string[] {
  const category = record.category ?? 'uncategorised';
  const slash = category.indexOf('/');
  return slash > 0 ? [category.slice(0, slash), category] : [category];
}

/**
 * The scoring rules of a benchmark under a protocol; `seed` seeds Multimodal RewardBench's coin flips for
 * undecided items.
 */
export function scoringRules(benchmark: BenchmarkName, protocol: ScoreProtocol, seed: number): ScoringRules {
  if (protocol === 'r1-compat') {
    // One greedy sample, human-preferred first, unparseable = wrong (handled by strictVerdict).
    return {
      verdict: strictVerdict,
      categories: benchmark === 'vl-rewardbench' ? (r) => [r1CompatGroup(r)] : withParent,
      macroOver: benchmark === 'vl-rewardbench' ? ['general', 'hallucination', 'reasoning'] : null,
      groupOf: benchmark === 'mm-rlhf' ? groupId : null,
    };
  }
  switch (benchmark) {
    case 'vl-rewardbench':
      return {
        verdict: vlRewardBenchVerdict,
        categories: (r) => [vlOfficialGroup(r)],
        macroOver: ['general', 'hallucination', 'reasoning'],
        groupOf: null,
      };
    case 'multimodal-rewardbench':
      return {
        // An unparseable or undecided verdict is a coin flip, seeded per item so rescoring is stable.
        verdict: (votes, record) => {
          const majority = vote(votes);
          return majority === null ? seededCoin(seed, `coin:${record.id}`) === 1 : majority === 1;
        },
        categories: withParent,
        macroOver: null,
        groupOf: null,
      };
    case 'mm-rlhf':
      return { verdict: strictVerdict, categories: recordCategory, macroOver: null, groupOf: groupId };
    case 'synthetic':
      return { verdict: strictVerdict, categories: recordCategory, macroOver: null, groupOf: null };
    default:
      throw new Error(`unknown benchmark ${String(benchmark)}`);
  }
}

function groupId(record: JudgedItemRecord): string {
  const id = record.meta?.groupId;
  if (typeof id !== 'string' && typeof id !== 'number')
    throw new Error(`MM-RLHF item ${record.id} has no meta.groupId (the question id Acc+ groups by)`);
  return String(id);
}
