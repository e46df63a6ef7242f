// Reading a judge's output and a referee's reply (docs/spec.md §2 "Parsing a judgement", §3 "Consistency").

/** A response position in the judge prompt: 1 = Response 1, 2 = Response 2. */
export type Choice = 1 | 2;

/**
 * What {@link parseJudgement} reads from a judge's output: the choice, how it was found and whether the
 * output is in the strict format.
 */
export interface ParsedJudgement {
  /** The chosen response, or null when the output is unparseable. */
  choice: Choice | null;
  /** How the choice was found: the first <answer> tag, the released scripts' last-digit fallback, or not at all. */
  via: 'tag' | 'fallback' | 'none';
  /** Whole output is exactly <think>…</think><answer>…</answer> with one of each opening tag (the format reward). */
  strictFormat: boolean;
  /** The text inside <think>…</think>, when present. */
  analysis: string | null;
}

const STRICT_FORMAT = /^<think>[\s\S]*?<\/think><answer>[\s\S]*?<\/answer>$/;
const ANSWER_TAG = /<answer>([\s\S]*?)<\/answer>/;
const THINK_TAG = /<think>([\s\S]*?)<\/think>/;

function occurrences(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/** Strict format check used by the format reward F (docs/spec.md §2). */
export function isStrictFormat(text: string): boolean {
  return (
    STRICT_FORMAT.test(text) && occurrences(text, '<think>') === 1 && occurrences(text, '<answer>') === 1
  );
}

/**
 * Parses a judgement. Never throws: any input that is not a string is treated as empty text.
 * @example parseJudgement('<think>2 misses the dog.</think><answer>1</answer>') // { choice: 1, via: 'tag', strictFormat: true, … }
 */
export function parseJudgement(text: string): ParsedJudgement {
  const s = typeof text === 'string' ? text : '';
  const strictFormat = isStrictFormat(s);
  const analysis = THINK_TAG.exec(s)?.[1] ?? null;
  const tag = ANSWER_TAG.exec(s);
  if (tag) {
    const content = tag[1]!.trim();
    if (content === '1' || content === '2')
      return { choice: Number(content) as Choice, via: 'tag', strictFormat, analysis };
    return { choice: null, via: 'none', strictFormat, analysis };
  }
  // Released scripts: without an answer tag, take the last '1' or '2' anywhere in the text.
  for (let i = s.length - 1; i >= 0; i--) {
    if (s[i] === '1' || s[i] === '2')
      return { choice: Number(s[i]) as Choice, via: 'fallback', strictFormat, analysis };
  }
  return { choice: null, via: 'none', strictFormat, analysis };
}

/**
 * Maps one referee reply to the consistency reward C (docs/spec.md §3, released mapping):
 * "1" → +1 (analysis supports the answer), "0" → −1; otherwise a reply containing '0' → −1,
 * else containing '1' → +1; anything else, or no reply (referee failed), → 0.
 * @example consistencyFromReferee(' 1\n') // 1
 */
export function consistencyFromReferee(reply: string | null | undefined): -1 | 0 | 1 {
  if (typeof reply !== 'string') return 0;
  const s = reply.trim();
  if (s === '1') return 1;
  if (s === '0') return -1;
  if (s.includes('0')) return -1;
  if (s.includes('1')) return 1;
  return 0;
}
