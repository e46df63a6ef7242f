// The consistency referee (docs/spec.md §3): does the judgement's analysis support its final choice?
// A referee returns C ∈ {−1, 0, +1}; it never throws into the caller — a failure is C = 0 with a
// reason, so an RL step (or a reward server request) survives a referee that is down.
import { setMaxListeners } from 'node:events';
import { type Choice, parseJudgement } from '../../algo/judgement.js';

/** The consistency reward C: +1 the analysis supports the choice, −1 it contradicts it, 0 no verdict. */
export type Consistency = -1 | 0 | 1;

/** What a referee sees of one judgement. */
export interface RefereeInput {
  /**
   * The judgement's text before its first `<answer>` tag, trimmed — the released referee's view
   * (so a `<think>` tag may still be in it). Without an answer tag it is the whole judgement.
   */
  analysis: string;
  /** The judgement's final choice (parsed as in docs/spec.md §2), or null when unparseable. */
  choice: Choice | null;
  /** The trimmed content of the first `<answer>…</answer>`, or null when there is no answer tag. */
  answer: string | null;
}

/** Why a referee could not give a verdict; the verdict is then C = 0. */
export type RefereeFailure =
  | 'timeout' // every attempt ran past the per-attempt timeout
  | 'http' // the endpoint answered with an HTTP error status
  | 'network' // connection refused / reset
  | 'garbage' // every reply contained neither '0' nor '1'
  | 'deadline' // the caller's deadline passed (or it aborted) before a verdict
  | 'internal'; // a bug in the referee itself (still never thrown)

/** A referee's verdict on one judgement: C, its reply, and why it failed if it did. */
export interface RefereeVerdict {
  consistency: Consistency;
  /** The referee's last raw reply (the rule referee: the sentence that decided, or a note). */
  reply: string | null;
  /** Calls made to the referee (0 when it never started, e.g. the deadline had already passed). */
  attempts: number;
  latencyMs: number;
  /** Null on success; otherwise why C fell back to 0. */
  failure: RefereeFailure | null;
  /** Human-readable detail of the failure (last error message). */
  failureMessage?: string;
}

/**
 * The consistency referee (docs/spec.md §3): does a judgement's analysis support its final choice? It never throws
 * into the caller: a failure is C = 0 with a reason.
 */
export interface Referee {
  /** 'rule' or the endpoint's base URL, for logs. */
  readonly name: string;
  /** Never rejects. `signal` aborts waiting calls (they resolve with failure 'deadline'). */
  judge(input: RefereeInput, signal?: AbortSignal): Promise<RefereeVerdict>;
  /** Calls running now and calls waiting for a slot (referees that queue, for metrics). */
  load?(): { active: number; pending: number };
}

/**
 * Splits a judgement into what the referee sees.
 * @example refereeInputFromJudgement('<think>a\nb</think><answer>2</answer>') // { analysis: '<think>a\nb</think>', choice: 2, answer: '2' }
 */
export function refereeInputFromJudgement(judgement: string): RefereeInput {
  const text = typeof judgement === 'string' ? judgement : '';
  const tag = /<answer>([\s\S]*?)<\/answer>/.exec(text);
  return {
    analysis: text.split('<answer>')[0]!.trim(),
    choice: parseJudgement(text).choice,
    answer: tag ? tag[1]!.trim() : null,
  };
}

/** Runs a referee and converts anything it throws into a C = 0 verdict (defence in depth). */
export async function judgeSafely(
  referee: Referee,
  input: RefereeInput,
  signal?: AbortSignal,
): Promise<RefereeVerdict> {
  const start = performance.now();
  try {
    return await referee.judge(input, signal);
  } catch (error) {
    return {
      consistency: 0,
      reply: null,
      attempts: 0,
      latencyMs: performance.now() - start,
      failure: 'internal',
      failureMessage: error instanceof Error ? error.message : String(error),
    };
  }
}

/** Judges a whole batch at once; the referee's own limiter bounds how many calls run together. */
export function judgeBatch(
  referee: Referee,
  inputs: readonly RefereeInput[],
  signal?: AbortSignal,
): Promise<RefereeVerdict[]> {
  // Every call in flight listens to the one deadline signal; that many listeners is expected.
  if (signal) setMaxListeners(0, signal);
  return Promise.all(inputs.map((input) => judgeSafely(referee, input, signal)));
}
