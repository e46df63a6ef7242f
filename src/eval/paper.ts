// The paper's R1-Reward numbers (docs/spec.md §7), shown beside ours in reports. Percentages.
// The VL-RewardBench category row uses the released evaluation's case-sensitive split
// (484 / 448 / 318), so only its Overall is comparable with an official-protocol run.
import type { BenchmarkName } from '../data/types.js';

/** One benchmark's R1-Reward numbers from the paper (percentages), shown beside ours in reports. */
export interface PaperRow {
  /** Single sample. */
  overall: number;
  /** Voting@15. */
  votingAt15: number;
  macro?: number;
  categories?: Record<string, number>;
  accPlus?: number;
  accPlusVotingAt15?: number;
  /** The protocol whose category split the paper's categories and macro use (all protocols when absent). */
  categoriesProtocol?: 'r1-compat';
  note: string;
}

/**
 * The paper's R1-Reward results per benchmark (docs/spec.md §7); the VL-RewardBench categories use the released
 * case-sensitive split.
 */
export const PAPER_RESULTS: Partial<Record<BenchmarkName, PaperRow>> = {
  'vl-rewardbench': {
    overall: 71.92,
    votingAt15: 76.46,
    macro: 71.44,
    categories: { general: 63.84, hallucination: 85.71, reasoning: 64.78 },
    categoriesProtocol: 'r1-compat',
    note: 'the paper scored one sample with the preferred response first and the released case-sensitive grouping (484 / 448 / 318); its categories and macro are shown only beside --protocol r1-compat, and only its Overall compares with other judges',
  },
  'multimodal-rewardbench': {
    overall: 82.2,
    votingAt15: 83.3,
    note: 'overall accuracy on the public release',
  },
  'mm-rlhf': {
    overall: 80.59,
    votingAt15: 86.47,
    // 34/42, 33/37, 28/34, 24/32, 18/25 correct (Acc 137/170; Acc+ 25/46)
    categories: {
      mcq: (100 * 34) / 42,
      long: (100 * 33) / 37,
      short: (100 * 28) / 34,
      safety: (100 * 24) / 32,
      video: (100 * 18) / 25,
    },
    accPlus: 54.35,
    accPlusVotingAt15: 67.39,
    note: 'Acc = correct / 170; Acc+ = question ids whose every pair is correct',
  },
};
