// From judged rollouts to what a trainer reads: `scores` = the rollout's win rate in [0, 1]
// (against its group, or against the reference answer), `rewards` = that win rate centred (on the
// group's mean win rate, or on 0.5, a tie with the reference), and one `extra_logs` value per rollout.
// A group whose judging failed or ran past its deadline gets the neutral score 0.5 and reward 0
// (counted in extra_logs.judge_failed), because a trainer dies after 5 unanswered tries.
import type { CloseReason, MemberOutcome } from './rollout-groups.js';

/** What judging one group (or one rollout against its reference) tells the server. */
export interface JudgedGroup {
  /** Per response, in the order given: its win rate in [0, 1]. */
  scores: number[];
  /** Per response: Bradley–Terry strength (geometric mean 1 over the group; the reference = 1). */
  strengths: number[];
  /** Per response: the comparisons it took part in. */
  comparisons: number[];
  /** Judge calls the group cost (samples not found in the cache). */
  judgeCalls: number;
  /** Share of two-order comparisons whose orders agreed, or null when there were none. */
  consistency: number | null;
}

/** One rollout's reward, score and the numbers behind them. */
export interface RolloutScore {
  reward: number;
  score: number;
  strength: number;
  comparisons: number;
  /** The group's judge calls divided among its members. */
  judgeCalls: number;
  consistency: number | null;
  failed: boolean;
}

/** Centred rewards of a group: score − mean score (a group of one gets 0). */
export function groupScores(judged: JudgedGroup): RolloutScore[] {
  const n = judged.scores.length;
  const mean = judged.scores.reduce((a, b) => a + b, 0) / Math.max(1, n);
  return judged.scores.map((score, i) => ({
    reward: score - mean,
    score,
    strength: judged.strengths[i] ?? 1,
    comparisons: judged.comparisons[i] ?? 0,
    judgeCalls: judged.judgeCalls / Math.max(1, n),
    consistency: judged.consistency,
    failed: false,
  }));
}

/** A rollout against the reference answer: reward = win rate − 0.5. */
export function referenceScore(judged: JudgedGroup): RolloutScore {
  const score = judged.scores[0] ?? 0.5;
  return {
    reward: score - 0.5,
    score,
    strength: judged.strengths[0] ?? 1,
    comparisons: judged.comparisons[0] ?? 0,
    judgeCalls: judged.judgeCalls,
    consistency: judged.consistency,
    failed: false,
  };
}

/** The neutral outcome of a rollout whose judging failed. */
export function failedScore(): RolloutScore {
  return {
    reward: 0,
    score: 0.5,
    strength: 1,
    comparisons: 0,
    judgeCalls: 0,
    consistency: null,
    failed: true,
  };
}

/** A judged rollout with where it came from, for extra_logs. */
export interface ScoredRollout {
  outcome: MemberOutcome<RolloutScore>;
  itemSource: 'data' | 'label' | 'nearest';
  headerFound: boolean;
}

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;
const flag = (yes: boolean) => (yes ? 1 : 0);
const reasonIs = (reason: CloseReason, which: CloseReason) => flag(reason === which);

/**
 * `extra_logs` for OpenRLHF: one value per rollout under each key (OpenRLHF concatenates them by
 * sample like `rewards` and logs their means).
 */
export function policyExtraLogs(rollouts: readonly ScoredRollout[]): Record<string, number[]> {
  const column = (f: (r: ScoredRollout) => number) => rollouts.map(f);
  return {
    win_rate: column((r) => round(r.outcome.result.score)),
    bt_strength: column((r) => round(r.outcome.result.strength)),
    group_size: column((r) => r.outcome.groupSize),
    group_complete: column((r) => reasonIs(r.outcome.reason, 'full')),
    group_timed_out: column((r) => reasonIs(r.outcome.reason, 'timeout')),
    group_flushed: column((r) => reasonIs(r.outcome.reason, 'flush')),
    held_ms: column((r) => Math.round(r.outcome.heldMs)),
    comparisons: column((r) => r.outcome.result.comparisons),
    judge_calls: column((r) => round(r.outcome.result.judgeCalls, 3)),
    consistency: column((r) => round(r.outcome.result.consistency ?? 0)),
    judge_failed: column((r) => flag(r.outcome.result.failed)),
    item_from_label: column((r) => flag(r.itemSource === 'label')),
    item_nearest: column((r) => flag(r.itemSource === 'nearest')),
    response_header_missing: column((r) => flag(!r.headerFound)),
  };
}
