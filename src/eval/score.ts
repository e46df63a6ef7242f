// Recomputes a run's metrics from its saved judgements (docs/spec.md §6, §7). The benchmark rules live in
// scoring-rules.ts; this file collects votes per item, applies them at every K, and counts.
import { anyCorrect, type Choice } from '../algo/index.js';
import type { BenchmarkName } from '../data/types.js';
import { type OrderedJudgement, tally, toPairChoice } from '../judge/judge.js';
import type { OrderProtocol } from '../judge/order.js';
import type { JudgedItemRecord } from './record.js';
import { type ScoreProtocol, scoringRules } from './scoring-rules.js';

/** Options of {@link scoreRecords}: the benchmark's rules, the protocol, and the run's order, K and seed. */
export interface ScoreOptions {
  benchmark: BenchmarkName;
  protocol: ScoreProtocol;
  order: OrderProtocol;
  k: number;
  /** The run's seed (Multimodal RewardBench coin flips). */
  seed: number;
}

/** One category's accuracy and its denominator. */
export interface CategoryScore {
  /** Items in the denominator. */
  items: number;
  accuracy: number | null;
}

/** How many samples of all samples had a property (unparseable, parsed by the fallback), and the rate. */
export interface SampleCount {
  count: number;
  samples: number;
  rate: number | null;
}

/** metrics.json: exactly these keys. Accuracies are fractions in [0, 1]. */
export interface Metrics {
  benchmark: BenchmarkName;
  protocol: ScoreProtocol;
  order: OrderProtocol;
  k: number;
  items: number;
  overall: number | null;
  macro: number | null;
  categories: Record<string, CategoryScore>;
  accPlus: number | null;
  unparseable: SampleCount;
  fallbackParsed: SampleCount;
  positionConsistency: {
    rate: number | null;
    consistent: number;
    disagreements: number;
    compared: number;
  } | null;
  votingAtK: Record<string, number | null>;
  anyAtK: Record<string, number | null>;
}

/** What the report shows beyond metrics.json. */
export interface ScoreDetails {
  /** Items left out of the denominator (VL-RewardBench: no majority). */
  dropped: number;
  correct: number;
  counted: number;
  categoryCorrect: Record<string, number>;
  accPlusGroups: { correct: number; total: number } | null;
  positionBias: PositionBias;
}

/**
 * Position bias: how often the judge answered "1", and its accuracy with the preferred response shown first
 * and second.
 */
export interface PositionBias {
  /** Parsed samples that answered "1". */
  answeredOne: number;
  parsed: number;
  /** Per-sample accuracy when the preferred response was shown first / second. */
  shownFirst: { correct: number; parsed: number };
  shownSecond: { correct: number; parsed: number };
}

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);

/** The judgements a protocol reads: r1-compat only the one that showed the preferred response first. */
function judgementsFor(record: JudgedItemRecord, protocol: ScoreProtocol): OrderedJudgement[] {
  if (protocol === 'official') return record.judgements;
  const first = record.judgements.find((j) => j.firstAt === 1);
  if (!first)
    throw new Error(
      `item ${record.id} was only judged with the rejected response first; r1-compat reproduces the released ` +
        'evaluation (preferred response first), so score a run made with --order fixed or --order both',
    );
  return [first];
}

/** The first K samples of each order as votes in the pair's numbering, interleaved across orders. */
export function itemVotes(judgements: readonly OrderedJudgement[], K: number): (Choice | null)[] {
  const votes: (Choice | null)[] = [];
  for (let i = 0; i < K; i++)
    for (const j of judgements) {
      const sample = j.samples[i];
      if (sample) votes.push(toPairChoice(sample.choice, j.firstAt));
    }
  return votes;
}

interface Pass {
  overall: number | null;
  macro: number | null;
  categories: Record<string, CategoryScore>;
  accPlus: number | null;
  details: Omit<ScoreDetails, 'positionBias'>;
}

/**
 * Computes a run's metrics from its judged records under a benchmark's official or r1-compat rules (spec
 * §6–7): overall, categories, macro, Acc+, Voting@K, Any@K, unparseable rates, position consistency.
 */
export function scoreRecords(
  records: readonly JudgedItemRecord[],
  options: ScoreOptions,
): { metrics: Metrics; details: ScoreDetails } {
  const { benchmark, protocol, order, k, seed } = options;
  const rules = scoringRules(benchmark, protocol, seed);
  const chosen = records.map((r) => judgementsFor(r, protocol));

  function pass(K: number): Pass {
    const perCategory = new Map<string, { correct: number; items: number }>();
    const groups = new Map<string, boolean>();
    let correct = 0;
    let counted = 0;
    records.forEach((record, i) => {
      const verdict = rules.verdict(itemVotes(chosen[i]!, K), record);
      if (rules.groupOf) {
        const group = rules.groupOf(record);
        groups.set(group, (groups.get(group) ?? true) && verdict === true);
      }
      if (verdict === null) return;
      counted++;
      if (verdict) correct++;
      for (const name of rules.categories(record)) {
        const c = perCategory.get(name) ?? { correct: 0, items: 0 };
        c.items++;
        if (verdict) c.correct++;
        perCategory.set(name, c);
      }
    });
    const categories: Record<string, CategoryScore> = {};
    const categoryCorrect: Record<string, number> = {};
    for (const [name, c] of [...perCategory].sort(([a], [b]) => a.localeCompare(b))) {
      categories[name] = { items: c.items, accuracy: ratio(c.correct, c.items) };
      categoryCorrect[name] = c.correct;
    }
    const macroParts = (rules.macroOver ?? []).map((name) => categories[name]?.accuracy ?? null);
    const macro =
      rules.macroOver && macroParts.every((a) => a !== null)
        ? macroParts.reduce<number>((s, a) => s + a!, 0) / macroParts.length
        : null;
    const groupsCorrect = [...groups.values()].filter(Boolean).length;
    return {
      overall: ratio(correct, counted),
      macro,
      categories,
      accPlus: rules.groupOf ? ratio(groupsCorrect, groups.size) : null,
      details: {
        dropped: records.length - counted,
        correct,
        counted,
        categoryCorrect,
        accPlusGroups: rules.groupOf ? { correct: groupsCorrect, total: groups.size } : null,
      },
    };
  }

  // r1-compat reproduces one sample per item; Voting@K still shows what more samples would give.
  const main = pass(protocol === 'r1-compat' ? 1 : k);
  const votingAtK: Record<string, number | null> = {};
  const anyAtK: Record<string, number | null> = {};
  for (let K = 1; K <= k; K++) {
    votingAtK[K] = K === (protocol === 'r1-compat' ? 1 : k) ? main.overall : pass(K).overall;
    const hits = chosen.filter((js) => anyCorrect(itemVotes(js, K), 1)).length;
    anyAtK[K] = ratio(hits, records.length);
  }

  const used = chosen.map((js) =>
    protocol === 'r1-compat' ? js.map((j) => ({ ...j, samples: j.samples.slice(0, 1) })) : js,
  );
  let samples = 0;
  let unparseable = 0;
  let fallback = 0;
  for (const js of used)
    for (const j of js)
      for (const s of j.samples) {
        samples++;
        if (s.choice === null) unparseable++;
        else if (s.via === 'fallback') fallback++;
      }

  let positionConsistency: Metrics['positionConsistency'] = null;
  if (order === 'both') {
    let consistent = 0;
    let compared = 0;
    for (const record of records) {
      const verdict = tally(record.judgements).consistent;
      if (verdict === null) continue;
      compared++;
      if (verdict) consistent++;
    }
    positionConsistency = {
      rate: ratio(consistent, compared),
      consistent,
      disagreements: compared - consistent,
      compared,
    };
  }

  const metrics: Metrics = {
    benchmark,
    protocol,
    order,
    k,
    items: records.length,
    overall: main.overall,
    macro: main.macro,
    categories: main.categories,
    accPlus: main.accPlus,
    unparseable: { count: unparseable, samples, rate: ratio(unparseable, samples) },
    fallbackParsed: { count: fallback, samples, rate: ratio(fallback, samples) },
    positionConsistency,
    votingAtK,
    anyAtK,
  };
  return { metrics, details: { ...main.details, positionBias: positionBias(used.flat()) } };
}

/** How much the judge leans to a position: answer-1 rate and accuracy by where the preferred response sat. */
export function positionBias(judgements: readonly OrderedJudgement[]): PositionBias {
  const bias: PositionBias = {
    answeredOne: 0,
    parsed: 0,
    shownFirst: { correct: 0, parsed: 0 },
    shownSecond: { correct: 0, parsed: 0 },
  };
  for (const j of judgements) {
    const side = j.firstAt === 1 ? bias.shownFirst : bias.shownSecond;
    for (const s of j.samples) {
      if (s.choice === null) continue;
      bias.parsed++;
      if (s.choice === 1) bias.answeredOne++;
      side.parsed++;
      if (s.choice === j.firstAt) side.correct++;
    }
  }
  return bias;
}
