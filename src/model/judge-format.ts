// How a judging example becomes a token sequence for the in-process model.
//
// The byte-exact R1-Reward prompt (717 characters, docs/spec.md §2) is for real models behind an endpoint;
// on 2 CPU cores every prompt token costs training time, so the local model uses this compact
// template (a configuration choice, spec compute budget). The answer format is the paper's:
// <think>…</think><answer>1|2</answer>, then end of sequence.
import type { VisionConfig } from './config.js';
import { tokensPerImage } from './config.js';
import type { Tokenizer } from './tokenizer.js';

/** One judge input for the local model: question, two responses and how many images precede them. */
export interface JudgeExample {
  question: string;
  response1: string;
  response2: string;
  /** Number of images (video frames count one each); each expands to the vision encoder's tokens. */
  numImages: number;
}

/**
 * The compact judge prompt the local model is trained on (every token costs training time on a CPU);
 * endpoints get the released prompt instead.
 */
export const COMPACT_TEMPLATE =
  'Question: {question}\nResponse 1: {answer1}\nResponse 2: {answer2}\nWhich response is better?\n';

/** {@link COMPACT_TEMPLATE} with the question and responses substituted in one pass. */
export function renderCompactPrompt(example: Omit<JudgeExample, 'numImages'>): string {
  // Replace all three in one pass so a response containing "{answer2}" is not substituted again.
  const values: Record<string, string> = {
    question: example.question,
    answer1: example.response1,
    answer2: example.response2,
  };
  return COMPACT_TEMPLATE.replace(/\{(question|answer1|answer2)\}/g, (_, key: string) => values[key]!);
}

/** Prompt token ids: every image's placeholder tokens first (images precede text, as in R1-Reward). */
export function encodeJudgePrompt(
  tokenizer: Tokenizer,
  example: JudgeExample,
  vision: VisionConfig | null,
): number[] {
  return encodeImagePrompt(tokenizer, example.numImages, vision, renderCompactPrompt(example));
}

/**
 * `numImages` images' placeholder tokens (each expands to the vision encoder's tokens), then `text`:
 * the layout of every prompt of the local model (judging, captions).
 */
export function encodeImagePrompt(
  tokenizer: Tokenizer,
  numImages: number,
  vision: VisionConfig | null,
  text: string,
): number[] {
  if (!Number.isInteger(numImages) || numImages < 0) {
    throw new RangeError(`numImages must be an integer ≥ 0, got ${numImages}`);
  }
  if (numImages > 0 && vision === null)
    throw new RangeError('this model has no vision encoder but the example has images');
  const imageTokens = vision ? numImages * tokensPerImage(vision) : 0;
  return [...new Array<number>(imageTokens).fill(tokenizer.id('image')), ...tokenizer.encode(text)];
}

/** Target ids of a judgement (analysis + answer), ended by the end-of-sequence token. */
export function encodeJudgement(tokenizer: Tokenizer, judgement: string): number[] {
  return [...tokenizer.encode(judgement), tokenizer.id('eos')];
}
