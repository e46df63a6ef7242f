// Human labels for the reward server: from the request body, or looked up by prompt in an
// R1-Reward RL JSONL file (docs/spec.md §5: `message` is a JSON string of a chat — the prompt OpenRLHF
// sends back —, `answer` is like ["<answer>2</answer>"]).
// Separate from the data area's `readR1RewardData` on purpose: the server keys labels by the raw
// `message` string (exactly what the trainer sends back), accepts any prompt text, and never opens
// images, while `readR1RewardData` parses the judge prompt and checks every image path.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Choice } from '../algo/judgement.js';

/** The accepted choices for one sample (a released label is a list; usually one element). */
export type Label = readonly Choice[];

function choiceFrom(value: unknown): Choice | null {
  if (value === 1 || value === 2) return value;
  if (typeof value !== 'string') return null;
  const tag = /<answer>([\s\S]*?)<\/answer>/.exec(value);
  const text = (tag ? tag[1]! : value).trim();
  return text === '1' ? 1 : text === '2' ? 2 : null;
}

/**
 * Reads a label as R1-Reward data and OpenRLHF send it: 1 | 2, "2", "<answer>2</answer>", or a
 * list of those (["<answer>2</answer>"]). Returns null when it holds no choice 1 or 2.
 * @example labelFromValue(['<answer>2</answer>']) // [2]
 */
export function labelFromValue(value: unknown): Label | null {
  const items = Array.isArray(value) ? value : [value];
  const choices = items.map(choiceFrom);
  if (choices.length === 0 || choices.some((c) => c === null)) return null;
  return [...new Set(choices as Choice[])];
}

/** The most similar known prompt and its similarity (the nearest-prompt fallback). */
export interface NearestMatch {
  prompt: string;
  label: Label;
  /** Dice similarity of word bigrams, in [0, 1]. */
  similarity: number;
}

/** Prompt → label lookup built from a labels file (`serve-reward --labels`). */
export interface LabelIndex {
  readonly size: number;
  readonly source: string;
  get(prompt: string): Label | undefined;
  /** The most similar known prompt (the released server's fallback), or null when there is none. */
  nearest(prompt: string): NearestMatch | null;
}

// Word-bigram fingerprints (words = runs of letters and digits, so JSON chats tokenise too): a sorted set of 32-bit hashes per prompt, compared by Dice overlap.
// Cheaper than the released Levenshtein ratio (linear per candidate, not quadratic) and, like it,
// only a fallback for prompts that should have been found exactly.
function fingerprint(text: string): Uint32Array {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const hashes = new Set<number>();
  for (let i = 0; i < Math.max(1, words.length - 1); i++) {
    let h = 0x811c9dc5; // FNV-1a
    const gram = `${words[i] ?? ''} ${words[i + 1] ?? ''}`;
    for (let j = 0; j < gram.length; j++) h = Math.imul(h ^ gram.charCodeAt(j), 0x01000193);
    hashes.add(h >>> 0);
  }
  return Uint32Array.from(hashes).sort();
}

function dice(a: Uint32Array, b: Uint32Array): number {
  let i = 0;
  let j = 0;
  let shared = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      shared++;
      i++;
      j++;
    } else if (a[i]! < b[j]!) i++;
    else j++;
  }
  return a.length + b.length === 0 ? 0 : (2 * shared) / (a.length + b.length);
}

export function labelIndexFromMap(labels: Map<string, Label>, source: string): LabelIndex {
  let prints: { prompt: string; print: Uint32Array }[] | null = null;
  return {
    size: labels.size,
    source,
    get: (prompt) => labels.get(prompt),
    nearest(prompt) {
      prints ??= [...labels.keys()].map((p) => ({ prompt: p, print: fingerprint(p) }));
      const query = fingerprint(prompt);
      let best: NearestMatch | null = null;
      for (const { prompt: p, print } of prints) {
        const similarity = dice(query, print);
        if (!best || similarity > best.similarity) best = { prompt: p, label: labels.get(p)!, similarity };
      }
      return best;
    },
  };
}

/**
 * Reads an R1-Reward RL JSONL file into a prompt → label index. Every line is a JSON object with
 * a string `promptKey` (default `message`) and an `answer` label; blank lines are skipped; a prompt
 * listed twice with different labels is an error naming both lines.
 */
export async function readRewardLabels(path: string, promptKey = 'message'): Promise<LabelIndex> {
  const labels = new Map<string, Label>();
  const lineOf = new Map<string, number>();
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === '') continue;
    const where = `${path}:${n}`;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (error) {
      throw new Error(
        `${where}: not valid JSON (${(error as Error).message}); each line must be one JSON object`,
      );
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record))
      throw new Error(`${where}: expected a JSON object with '${promptKey}' and 'answer'`);
    const fields = record as Record<string, unknown>;
    const prompt = fields[promptKey];
    if (typeof prompt !== 'string')
      throw new Error(
        `${where}: '${promptKey}' must be a string (the prompt the trainer sends), got ${prompt === undefined ? 'nothing' : typeof prompt}; choose another field with --prompt-key`,
      );
    const label = labelFromValue(fields['answer']);
    if (!label)
      throw new Error(
        `${where}: 'answer' must be 1, 2, "<answer>1</answer>", "<answer>2</answer>" or a list of those, got ${JSON.stringify(fields['answer'])?.slice(0, 80)}`,
      );
    const seen = labels.get(prompt);
    if (seen && seen.join() !== label.join())
      throw new Error(
        `${where}: this prompt is also on line ${lineOf.get(prompt)} with a different label (${seen.join('/')} vs ${label.join('/')}); fix the file`,
      );
    if (!seen) {
      labels.set(prompt, label);
      lineOf.set(prompt, n);
    }
  }
  if (labels.size === 0) throw new Error(`${path}: no labelled prompts found`);
  return labelIndexFromMap(labels, path);
}
