// The judge behind the policy reward server: the ranking library over a judge backend. Group mode
// ranks a prompt's rollouts with the chosen scheme; reference mode plays each rollout against the
// item's reference answer. One bounded cache is shared by all calls, so a retried or repeated
// rollout costs no judge call for a comparison already judged.
import type { JudgeBackend } from '../judge/backend.js';
import type { JudgementCache } from '../judge/cache.js';
import { rankCandidates } from '../rank/index.js';
import type { RankOrder, RankScheme } from '../rank/types.js';
import type { JudgeResponses } from './policy-reward-server.js';

/** How rollouts are compared: the group scheme, K samples per order, the orders, the seed, the cache. */
export interface PolicyJudgeSettings {
  /** Group mode's scheme (reference mode always plays against the reference). */
  scheme: Exclude<RankScheme, 'reference'>;
  k: number;
  order: RankOrder;
  seed: number;
  /** Swiss rounds. */
  rounds?: number;
  template?: string;
  cache: JudgementCache;
  /** Judge requests in flight at once per group (the backend bounds all groups together). */
  concurrency?: number;
}

/** {@link JudgeResponses} through `rankCandidates`. */
export function createPolicyJudge(backend: JudgeBackend, settings: PolicyJudgeSettings): JudgeResponses {
  return async (item, responses, mode, signal) => {
    const ranking = await rankCandidates(item, [...responses], backend, {
      scheme: mode === 'reference' ? 'reference' : settings.scheme,
      k: settings.k,
      order: settings.order,
      seed: settings.seed,
      cache: settings.cache,
      signal,
      ...(settings.rounds === undefined ? {} : { rounds: settings.rounds }),
      ...(settings.template === undefined ? {} : { template: settings.template }),
      ...(settings.concurrency === undefined ? {} : { concurrency: settings.concurrency }),
    });
    return {
      scores: ranking.candidates.map((c) => c.score),
      strengths: ranking.candidates.map((c) => c.strength),
      comparisons: ranking.candidates.map((c) => c.played),
      judgeCalls: ranking.calls.sent,
      consistency: ranking.consistency.rate,
    };
  };
}

/**
 * A format gate in front of a judge: a response that does not match `pattern` scores 0 without
 * being judged (strength 0, no comparisons); the others are judged among themselves (group mode)
 * or against the reference, as without the gate. Reward hacking against a judge often starts with
 * text the judge never saw in training (docs/downstream.md); a format check costs no judge call.
 */
export function gateResponses(judge: JudgeResponses, pattern: RegExp): JudgeResponses {
  const matcher = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
  return async (item, responses, mode, signal) => {
    const pass = responses.map((r) => matcher.test(r));
    const kept = responses.filter((_, i) => pass[i]);
    const judged =
      kept.length === 0
        ? { scores: [], strengths: [], comparisons: [], judgeCalls: 0, consistency: null }
        : await judge(item, kept, mode, signal);
    const spread = <T>(values: readonly T[], gated: T): T[] => {
      let next = 0;
      return pass.map((ok) => (ok ? values[next++]! : gated));
    };
    return {
      scores: spread(judged.scores, 0),
      strengths: spread(judged.strengths, 0),
      comparisons: spread(judged.comparisons, 0),
      judgeCalls: judged.judgeCalls,
      consistency: judged.consistency,
    };
  };
}
