// The RL reward of a batch of judgements (docs/spec.md §3): format F, result R, consistency C from a
// referee, and R × (1 + 0.5·C) + 0.5·F. A referee failure is C = 0 and counted, never a crash;
// a judgement whose choice needed the released last-digit fallback, or none could be read, is counted.
import { isStrictFormat, parseJudgement, r1Reward } from '../algo/index.js';
import { judgeBatch, type Referee, refereeInputFromJudgement } from './referees/index.js';

/** One judgement's reward and its parts (F, R, C), its choice and whether the referee failed. */
export interface ScoredJudgement {
  reward: number;
  format: 0 | 1;
  result: 0 | 1;
  consistency: -1 | 0 | 1;
  choice: 1 | 2 | null;
  /** The referee could not give a verdict (C fell back to 0). */
  refereeFailed: boolean;
}

/** {@link scoreJudgements}'s result: each judgement's reward and the batch's rates. */
export interface RewardBatch {
  scored: ScoredJudgement[];
  rewards: number[];
  /** Rates over the batch: F = 1, R = 1, C = +1, C = −1 (the inconsistency rate). */
  formatRate: number;
  resultRate: number;
  consistentRate: number;
  inconsistentRate: number;
  refereeFailures: number;
  /** Choices read by the released last-digit fallback; outputs with no readable choice. */
  fallbackChoices: number;
  unparseable: number;
}

/** Options of {@link scoreJudgements}: the referee (null: C = 0) and the reward weights. */
export interface RewardOptions {
  /** null: no referee, C = 0 for every judgement (the "w/o consistency" ablation). */
  referee: Referee | null;
  consistencyWeight?: number;
  formatWeight?: number;
  signal?: AbortSignal;
}

/**
 * Scores judgements against their labels.
 * @example await scoreJudgements(['<think>2 is wrong.</think><answer>1</answer>'], [1], { referee: null }) // rewards [1.5]
 */
export async function scoreJudgements(
  texts: readonly string[],
  labels: readonly (1 | 2)[],
  options: RewardOptions,
): Promise<RewardBatch> {
  if (texts.length !== labels.length)
    throw new RangeError(`scoreJudgements: ${texts.length} judgements but ${labels.length} labels`);
  const parsed = texts.map((t) => parseJudgement(t));
  const verdicts = options.referee
    ? await judgeBatch(
        options.referee,
        texts.map((t) => refereeInputFromJudgement(t)),
        options.signal,
      )
    : null;
  const weights = {
    consistencyWeight: options.consistencyWeight ?? 0.5,
    formatWeight: options.formatWeight ?? 0.5,
  };
  const scored = parsed.map((p, i): ScoredJudgement => {
    const format = isStrictFormat(texts[i]!) ? 1 : 0;
    const result = p.choice !== null && p.choice === labels[i] ? 1 : 0;
    const verdict = verdicts?.[i];
    const consistency = verdict?.consistency ?? 0;
    return {
      reward: r1Reward({ format, result, consistency }, weights),
      format,
      result,
      consistency,
      choice: p.choice,
      refereeFailed: verdict !== undefined && verdict.failure !== null,
    };
  });
  const n = scored.length || 1;
  const rate = (f: (s: ScoredJudgement) => boolean) => scored.filter(f).length / n;
  return {
    scored,
    rewards: scored.map((s) => s.reward),
    formatRate: rate((s) => s.format === 1),
    resultRate: rate((s) => s.result === 1),
    consistentRate: rate((s) => s.consistency === 1),
    inconsistentRate: rate((s) => s.consistency === -1),
    refereeFailures: scored.filter((s) => s.refereeFailed).length,
    fallbackChoices: parsed.filter((p) => p.via === 'fallback').length,
    unparseable: parsed.filter((p) => p.choice === null).length,
  };
}
