// One batch of R1-Reward rewards (docs/spec.md §3), independent of HTTP: cut each response out of its
// query, find its label, parse it, ask the referee about the whole batch at once, and combine
// R × (1 + 0.5·C) + 0.5·F with the algorithm's own functions.

import { isStrictFormat, parseJudgement } from '../algo/judgement.js';
import { r1Reward } from '../algo/reward.js';
import { R1RewardError } from '../errors.js';
import {
  judgeBatch,
  type Referee,
  type RefereeVerdict,
  refereeInputFromJudgement,
} from '../reward/referees/index.js';
import { cutResponse, type TemplateFamily } from './chat-template.js';
import { type Label, type LabelIndex, labelFromValue } from './reward-labels.js';

/**
 * The body OpenRLHF / verl send to the reward server: full decoded sequences, their prompts and (current
 * protocol) labels.
 */
export interface RewardRequest {
  query: string[];
  prompts?: (string | null)[];
  /** Present (even as nulls) in the current protocol; absent in the legacy one. */
  labels?: unknown[];
}

/** A request the server must refuse with 400: `field` names the offending part of the body. */
export class RewardInputError extends R1RewardError {
  override name = 'RewardInputError';
  constructor(
    message: string,
    readonly field: string,
  ) {
    super('reward_input', message);
  }
}

/** One scored sequence: its response, the reward parts F, R, C, the reward and where its label came from. */
export interface ScoredSample {
  response: string;
  format: 0 | 1;
  result: 0 | 1;
  consistency: -1 | 0 | 1;
  reward: number;
  label: Label;
  labelSource: 'body' | 'file' | 'nearest';
  choiceVia: 'tag' | 'fallback' | 'none';
  headerFound: boolean;
  verdict: RefereeVerdict;
}

/**
 * Options of {@link scoreBatch}: the referee, label index, nearest-prompt fallback, template and the
 * deadline's abort signal.
 */
export interface RewardBatchOptions {
  referee: Referee;
  labels?: LabelIndex;
  /** Fall back to the most similar known prompt instead of refusing an unknown one. */
  nearest?: boolean;
  template?: TemplateFamily;
  /** Aborting it (the request deadline) turns every unfinished referee call into C = 0. */
  signal?: AbortSignal;
}

function short(text: string): string {
  return text.length > 120 ? `${JSON.stringify(text.slice(0, 120))}…` : JSON.stringify(text);
}

/** Every sample's label, or a RewardInputError naming the first sample that has none. */
export function resolveLabels(
  request: RewardRequest,
  labels: LabelIndex | undefined,
  nearest: boolean,
): { label: Label; source: ScoredSample['labelSource'] }[] {
  const n = request.query.length;
  for (const key of ['prompts', 'labels'] as const) {
    const list = request[key];
    if (list !== undefined && list.length !== n)
      throw new RewardInputError(
        `${key} has ${list.length} items but query has ${n}; send one per query`,
        key,
      );
  }
  return request.query.map((_, i) => {
    const sent = request.labels?.[i];
    if (sent !== undefined && sent !== null) {
      const label = labelFromValue(sent);
      if (!label)
        throw new RewardInputError(
          `labels/${i} must be 1, 2, "<answer>1</answer>", "<answer>2</answer>" or a list of those, got ${JSON.stringify(sent).slice(0, 80)}`,
          `labels/${i}`,
        );
      return { label, source: 'body' };
    }
    const prompt = request.prompts?.[i];
    if (typeof prompt !== 'string')
      throw new RewardInputError(
        `query ${i} has no label: send labels/${i}, or prompts/${i} to look it up in --labels`,
        `prompts/${i}`,
      );
    if (!labels)
      throw new RewardInputError(
        `query ${i} has no label in the body and the server has no --labels file to look prompts/${i} up in`,
        `labels/${i}`,
      );
    const known = labels.get(prompt);
    if (known) return { label: known, source: 'file' };
    const match = nearest ? labels.nearest(prompt) : null;
    if (match) return { label: match.label, source: 'nearest' };
    throw new RewardInputError(
      `prompts/${i} is not in ${labels.source} (${labels.size} prompts): ${short(prompt)}; send its label, fix the prompt key (--prompt-key), or start the server with --nearest`,
      `prompts/${i}`,
    );
  });
}

/**
 * Scores a reward request: cuts each response out of its query, finds its label, asks the referee for
 * consistency (concurrently, bounded) and computes R × (1 + 0.5·C) + 0.5·F.
 */
export async function scoreBatch(
  request: RewardRequest,
  options: RewardBatchOptions,
): Promise<ScoredSample[]> {
  const labels = resolveLabels(request, options.labels, options.nearest ?? false);
  const cut = request.query.map((q) => cutResponse(q, options.template ?? 'auto'));
  const verdicts = await judgeBatch(
    options.referee,
    cut.map((c) => refereeInputFromJudgement(c.response)),
    options.signal,
  );
  return cut.map(({ response, family }, i) => {
    const parsed = parseJudgement(response);
    const { label, source } = labels[i]!;
    const format = isStrictFormat(response) ? 1 : 0;
    const result = parsed.choice !== null && label.includes(parsed.choice) ? 1 : 0;
    const verdict = verdicts[i]!;
    return {
      response,
      format,
      result,
      consistency: verdict.consistency,
      reward: r1Reward({ format, result, consistency: verdict.consistency }),
      label,
      labelSource: source,
      choiceVia: parsed.via,
      headerFound: family !== null,
      verdict,
    };
  });
}

/**
 * `extra_logs` for OpenRLHF: one value per sample under each key (OpenRLHF concatenates and splits
 * them by sample like `rewards`, and logs their means — the format/result/consistency rates).
 */
export function extraLogs(samples: readonly ScoredSample[]): Record<string, number[]> {
  const column = (f: (s: ScoredSample) => number) => samples.map(f);
  return {
    format: column((s) => s.format),
    result: column((s) => s.result),
    consistency: column((s) => s.consistency),
    inconsistent: column((s) => (s.consistency === -1 ? 1 : 0)),
    referee_failed: column((s) => (s.verdict.failure ? 1 : 0)),
    referee_latency_ms: column((s) => Math.round(s.verdict.latencyMs * 10) / 10),
    referee_attempts: column((s) => s.verdict.attempts),
    choice_fallback: column((s) => (s.choiceVia === 'fallback' ? 1 : 0)),
    choice_unparseable: column((s) => (s.choiceVia === 'none' ? 1 : 0)),
    label_nearest: column((s) => (s.labelSource === 'nearest' ? 1 : 0)),
    response_header_missing: column((s) => (s.headerFound ? 0 : 1)),
  };
}
