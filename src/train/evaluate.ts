// Held-out accuracy by greedy judging (temperature 0): the quantity SFT and RL are compared on.
import { parseJudgement } from '../algo/index.js';
import { generate } from '../model/generate.js';
import type { VisionLanguageModel } from '../model/model.js';
import { Rng } from '../model/random.js';
import type { Tokenizer } from '../model/tokenizer.js';
import type { EncodedItem } from './judge-items.js';

/**
 * Greedy held-out accuracy: the share of pairs judged right, the strict-format rate, unparseable outputs and
 * mean length.
 */
export interface HeldOutResult {
  accuracy: number;
  /** Share of outputs in the strict <think>…</think><answer>…</answer> format. */
  formatRate: number;
  unparseable: number;
  meanLength: number;
  items: number;
}

/**
 * Judges each held-out item greedily (temperature 0, one order per pair) and counts how many the model gets
 * right.
 */
export function heldOutAccuracy(
  model: VisionLanguageModel,
  tokenizer: Tokenizer,
  items: readonly EncodedItem[],
  options: { maxNewTokens: number; batchSize: number },
): HeldOutResult {
  let correct = 0;
  let strict = 0;
  let unparseable = 0;
  let length = 0;
  const rng = new Rng(0); // greedy decoding draws nothing; the generator is only a required argument
  for (let start = 0; start < items.length; start += options.batchSize) {
    const chunk = items.slice(start, start + options.batchSize);
    const outputs = generate(
      model,
      tokenizer,
      chunk.map((item) => ({ tokens: item.promptTokens, images: item.images })),
      { temperature: 0, maxNewTokens: options.maxNewTokens },
      rng,
    );
    outputs.forEach(([g], i) => {
      const parsed = parseJudgement(g!.text);
      if (parsed.choice === chunk[i]!.label) correct++;
      if (parsed.strictFormat) strict++;
      if (parsed.choice === null) unparseable++;
      length += g!.tokenIds.length;
    });
  }
  const n = Math.max(1, items.length);
  return {
    accuracy: correct / n,
    formatRate: strict / n,
    unparseable,
    meanLength: length / n,
    items: items.length,
  };
}
