// Human labels for the reward server: from the request body, or looked up by prompt in an
// R1-Reward RL JSONL file (docs/spec.md §5: `message` is a JSON string of a chat — the prompt OpenRLHF
// sends back —, `answer` is like ["<answer>2</answer>"]).
// Separate from the data area's `readR1RewardData` on purpose: the server keys labels by the raw
// `message` string (exactly what the trainer sends back), accepts any prompt text, and never opens
// images, while `readR1RewardData` parses the judge prompt and checks every image path.
import type { Choice } from '../algo/judgement.js';
import { type PromptIndex, promptIndexFromMap, readPromptKeyedFile } from './prompt-index.js';

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

function labelIndex(prompts: PromptIndex<Label>): LabelIndex {
  return {
    size: prompts.size,
    source: prompts.source,
    get: (prompt) => prompts.get(prompt),
    nearest(prompt) {
      const match = prompts.nearest(prompt);
      return match && { prompt: match.prompt, label: match.value, similarity: match.similarity };
    },
  };
}

export function labelIndexFromMap(labels: Map<string, Label>, source: string): LabelIndex {
  return labelIndex(promptIndexFromMap(labels, source));
}

/**
 * Reads an R1-Reward RL JSONL file into a prompt → label index. Every line is a JSON object with
 * a string `promptKey` (default `message`) and an `answer` label; blank lines are skipped; a prompt
 * listed twice with different labels is an error naming both lines.
 */
export async function readRewardLabels(path: string, promptKey = 'message'): Promise<LabelIndex> {
  const prompts = await readPromptKeyedFile<Label>(path, {
    promptKey,
    otherFields: "'answer'",
    noun: 'label',
    empty: 'no labelled prompts found',
    read(fields, where) {
      const label = labelFromValue(fields['answer']);
      if (!label)
        throw new Error(
          `${where}: 'answer' must be 1, 2, "<answer>1</answer>", "<answer>2</answer>" or a list of those, got ${JSON.stringify(fields['answer'])?.slice(0, 80)}`,
        );
      return label;
    },
    same: (a, b) => a.join() === b.join(),
    show: (label) => label.join('/'),
  });
  return labelIndex(prompts);
}
