// A judging request in the released R1-Reward prompt (what `bench run` and `judge` send an
// endpoint) becomes the prompt the checkpoint was trained with: the same question and responses in
// the checkpoint's judge template. A model trained here never saw the released 717-character
// prompt, and it does not fit a small model's context; any other text is left as it is.
import { parseR1RewardPrompt } from '../data/r1-reward-format.js';

/** The text the model reads, and whether it was rewritten from the released prompt. */
export interface ModelPromptText {
  text: string;
  rewritten: boolean;
}

/** The released prompt's question and responses substituted into `template` (one pass); other text as is. */
export function toModelPrompt(text: string, template: string): ModelPromptText {
  const fields = parseR1RewardPrompt(text);
  if (!fields) return { text, rewritten: false };
  const values: Record<string, string> = fields;
  const rendered = template.replace(/\{(question|answer1|answer2)\}/g, (_, key: string) => values[key]!);
  return { text: rendered, rewritten: true };
}
