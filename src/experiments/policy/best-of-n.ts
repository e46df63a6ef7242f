// Best-of-N against the truth, for one question: from the first N of a question's sampled answers,
// which one would each selector pick, and is it true? The selectors:
//   judge     the rank library's choice (each scheme) among the distinct answers
//   chance    one answer uniformly at random, as an exact expectation (share of true answers)
//   majority  the most frequent answer (self-consistency); a tie counts as a uniform pick among the tied
//   oracle    any true answer among the N
// The judge ranks distinct answers only: comparing two copies of one text teaches nothing, and each
// distinct pair costs its comparisons once.
import type { JudgeBackend } from '../../judge/backend.js';
import type { JudgementCache } from '../../judge/cache.js';
import { rankCandidates } from '../../rank/rank.js';
import type { RankItem, RankOrder, RankScheme } from '../../rank/types.js';

/** One sampled answer and its truth (from checkAnswer). */
export interface CheckedAnswer {
  text: string;
  correct: boolean;
  parsed: boolean;
}

/** The answers of the first `n` samples, distinct, in order of first appearance, with their counts. */
export function distinctAnswers(
  answers: readonly CheckedAnswer[],
  n: number,
): { answer: CheckedAnswer; count: number }[] {
  const out = new Map<string, { answer: CheckedAnswer; count: number }>();
  for (const a of answers.slice(0, n)) {
    const seen = out.get(a.text);
    if (seen) seen.count++;
    else out.set(a.text, { answer: a, count: 1 });
  }
  return [...out.values()];
}

/** The true accuracy of the baselines over the first `n` answers: chance, majority and oracle. */
export function baselinePicks(
  answers: readonly CheckedAnswer[],
  n: number,
): { chance: number; majority: number; oracle: number } {
  if (answers.length < n) throw new RangeError(`best-of-${n} needs ${n} answers, got ${answers.length}`);
  const first = answers.slice(0, n);
  const chance = first.filter((a) => a.correct).length / n;
  const groups = distinctAnswers(answers, n);
  const top = Math.max(...groups.map((g) => g.count));
  const tied = groups.filter((g) => g.count === top);
  const majority = tied.filter((g) => g.answer.correct).length / tied.length;
  const oracle = first.some((a) => a.correct) ? 1 : 0;
  return { chance, majority, oracle };
}

/** The judge's pick for one scheme and N: its truth and what it cost. */
export interface JudgePick {
  scheme: RankScheme;
  n: number;
  /** The picked answer's text. */
  text: string;
  correct: boolean;
  /** Distinct answers ranked. */
  distinct: number;
  /** Rendered judge requests the scheme played (comparisons × orders), cached or fresh. */
  requests: number;
  /** Unparseable judge samples. */
  unparseable: number;
}

/** Options of {@link judgePicks}: the rank library's settings. */
export interface JudgePickOptions {
  k: number;
  order: RankOrder;
  seed: number;
  template: string;
  cache: JudgementCache;
  concurrency?: number;
  signal?: AbortSignal;
}

/**
 * The judge's pick among the first N answers of `item`, for every scheme and N. The item's
 * `reference` (the faithful answer) is used by the `reference` scheme only.
 */
export async function judgePicks(
  item: RankItem,
  answers: readonly CheckedAnswer[],
  backend: JudgeBackend,
  schemes: readonly RankScheme[],
  ns: readonly number[],
  options: JudgePickOptions,
): Promise<JudgePick[]> {
  const out: JudgePick[] = [];
  for (const n of ns)
    for (const scheme of schemes) {
      const groups = distinctAnswers(answers, n);
      const ranking = await rankCandidates(
        item,
        groups.map((g) => g.answer.text),
        backend,
        {
          scheme,
          k: options.k,
          order: options.order,
          seed: options.seed,
          template: options.template,
          cache: options.cache,
          ...(options.concurrency ? { concurrency: options.concurrency } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        },
      );
      const picked = groups[ranking.best]!.answer;
      out.push({
        scheme,
        n,
        text: picked.text,
        correct: picked.correct,
        distinct: groups.length,
        requests: ranking.calls.requests,
        unparseable: ranking.unparseable,
      });
    }
  return out;
}
