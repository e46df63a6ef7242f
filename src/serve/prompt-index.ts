// Prompt → value lookup for the reward servers: a trainer sends back the prompt exactly as its
// dataset holds it, so a JSONL file is indexed once by one field (the prompt key) and every request
// is one Map lookup. The nearest-prompt fallback (word-bigram similarity) is for prompts that should
// have been found exactly; it is linear in the file and only runs when asked for.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/** The most similar known prompt, its value and the similarity. */
export interface NearestPrompt<T> {
  prompt: string;
  value: T;
  /** Dice similarity of word bigrams, in [0, 1]. */
  similarity: number;
}

/** Prompt → value lookup built from a JSONL file (`--labels` of serve-reward, `--data` of serve-policy-reward). */
export interface PromptIndex<T> {
  readonly size: number;
  /** The file it was read from (named in error messages). */
  readonly source: string;
  get(prompt: string): T | undefined;
  /** The most similar known prompt, or null when there is none. */
  nearest(prompt: string): NearestPrompt<T> | null;
}

// Word-bigram fingerprints (words = runs of letters and digits, so JSON chats tokenise too): a sorted set of 32-bit hashes per prompt, compared by Dice overlap.
// Cheaper than the released Levenshtein ratio (linear per candidate, not quadratic).
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

/** A {@link PromptIndex} over a map; fingerprints are computed on the first `nearest` call only. */
export function promptIndexFromMap<T>(values: ReadonlyMap<string, T>, source: string): PromptIndex<T> {
  let prints: { prompt: string; print: Uint32Array }[] | null = null;
  return {
    size: values.size,
    source,
    get: (prompt) => values.get(prompt),
    nearest(prompt) {
      prints ??= [...values.keys()].map((p) => ({ prompt: p, print: fingerprint(p) }));
      const query = fingerprint(prompt);
      let best: NearestPrompt<T> | null = null;
      for (const { prompt: p, print } of prints) {
        const similarity = dice(query, print);
        if (!best || similarity > best.similarity) best = { prompt: p, value: values.get(p)!, similarity };
      }
      return best;
    },
  };
}

/** How {@link readPromptKeyedFile} turns one line into a value. */
export interface PromptKeyedReader<T> {
  /** The field holding the prompt the trainer sends (`--prompt-key`). */
  promptKey: string;
  /** What the other fields are, for the "expected a JSON object with …" message. */
  otherFields: string;
  /** The line's value; throws an Error whose message starts with `where` when a field is wrong. */
  read(fields: Record<string, unknown>, where: string, line: number): T;
  /** Two lines with the same prompt must agree; otherwise the file is refused. */
  same(a: T, b: T): boolean;
  /** The value as shown in the "different …" message. */
  show(value: T): string;
  /** What a value is called in messages ("label", "item"). */
  noun: string;
  /** The message for a file without any prompt (after "<path>: "). */
  empty: string;
}

/**
 * Reads a JSONL file into a prompt → value index. Every line is a JSON object with a string
 * prompt field; blank lines are skipped; a prompt listed twice with different values is an error
 * naming both lines; a file with no prompt is an error.
 */
export async function readPromptKeyedFile<T>(
  path: string,
  reader: PromptKeyedReader<T>,
): Promise<PromptIndex<T>> {
  const { promptKey, noun } = reader;
  const values = new Map<string, T>();
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
      throw new Error(`${where}: expected a JSON object with '${promptKey}' and ${reader.otherFields}`);
    const fields = record as Record<string, unknown>;
    const prompt = fields[promptKey];
    if (typeof prompt !== 'string')
      throw new Error(
        `${where}: '${promptKey}' must be a string (the prompt the trainer sends), got ${prompt === undefined ? 'nothing' : typeof prompt}; choose another field with --prompt-key`,
      );
    const value = reader.read(fields, where, n);
    const seen = values.get(prompt);
    if (seen !== undefined && !reader.same(seen, value))
      throw new Error(
        `${where}: this prompt is also on line ${lineOf.get(prompt)} with a different ${noun} (${reader.show(seen)} vs ${reader.show(value)}); fix the file`,
      );
    if (seen === undefined) {
      values.set(prompt, value);
      lineOf.set(prompt, n);
    }
  }
  if (values.size === 0) throw new Error(`${path}: ${reader.empty}`);
  return promptIndexFromMap(values, path);
}
