// RL data = the hard samples (docs/spec.md §5). The paper measures difficulty by how many attempts the
// teacher (GPT-4o) needed; in our own pipeline the starting policy stands in for the teacher: each
// RL prompt is judged `samples` times at the rollout temperature, and only the prompts it does not
// always get right are kept — the ones whose rollouts carry a learning signal.
import { existsSync, readFileSync } from 'node:fs';
import { writeJsonAtomic } from '../io/atomic-write.js';
import { generate } from '../model/generate.js';
import type { VisionLanguageModel } from '../model/model.js';
import { Rng } from '../model/random.js';
import type { Tokenizer } from '../model/tokenizer.js';
import { scoreJudgements } from '../reward/rewards.js';
import type { EncodedItem } from './judge-items.js';

/** The run folder's record of the selection. */
export const HARD_PROMPTS_FILE = 'hard-prompts.json';

/** How the prompts were judged and which were kept: written once per run, read back on resume. */
export interface HardSelection {
  samples: number;
  temperature: number;
  /** Fraction of the `samples` judgements that chose the preferred response, by item id. */
  passRates: Record<string, number>;
  kept: number;
  total: number;
}

/** How {@link passRates} samples: judgements per prompt, temperature, length, seed, batch size. */
export interface HardSelectionOptions {
  samples: number;
  temperature: number;
  maxNewTokens: number;
  seed: number;
  /** Prompts generated together (each with `samples` samples). */
  batchPrompts?: number;
  /** Called after each generated batch: prompts judged so far, of all. */
  onProgress?: (done: number, total: number) => void;
}

/** {@link selectHardPrompts}' options: the sampling, the file that records the selection, and pairing. */
export interface HardSelectOptions extends HardSelectionOptions {
  /** Where the selection is saved (and read back on resume). */
  file: string;
  /** Prompts come as pairs (an item, then itself in the other order): a pair is kept whole if either is hard. */
  pairs?: boolean;
}

/** Each prompt's pass rate: the fraction of `samples` sampled judgements whose choice is the label. */
export async function passRates(
  model: VisionLanguageModel,
  tokenizer: Tokenizer,
  prompts: readonly EncodedItem[],
  options: HardSelectionOptions,
): Promise<number[]> {
  const { samples, batchPrompts = 16 } = options;
  const rng = new Rng(options.seed);
  const rates: number[] = [];
  for (let i = 0; i < prompts.length; i += batchPrompts) {
    const batch = prompts.slice(i, i + batchPrompts);
    const generations = generate(
      model,
      tokenizer,
      batch.map((p) => ({ tokens: p.promptTokens, images: p.images })),
      { temperature: options.temperature, maxNewTokens: options.maxNewTokens, n: samples },
      rng,
    ).flat();
    const labels = batch.flatMap((p) => new Array<1 | 2>(samples).fill(p.label));
    const { scored } = await scoreJudgements(
      generations.map((g) => g.text),
      labels,
      { referee: null },
    );
    for (let j = 0; j < batch.length; j++) {
      const right = scored.slice(j * samples, (j + 1) * samples).filter((s) => s.result === 1).length;
      rates.push(right / samples);
    }
    options.onProgress?.(rates.length, prompts.length);
  }
  return rates;
}

/**
 * The hard prompts (pass rate < 1), computed once and saved to `file` so that a resumed run trains
 * on the same set. Throws when the policy solves every prompt: there is nothing left to learn from.
 */
export async function selectHardPrompts(
  model: VisionLanguageModel,
  tokenizer: Tokenizer,
  prompts: readonly EncodedItem[],
  options: HardSelectOptions,
): Promise<{ prompts: EncodedItem[]; selection: HardSelection }> {
  const saved = existsSync(options.file);
  let rates: Record<string, number>;
  if (saved) rates = (JSON.parse(readFileSync(options.file, 'utf8')) as HardSelection).passRates;
  else {
    const measured = await passRates(model, tokenizer, prompts, options);
    rates = Object.fromEntries(prompts.map((p, i) => [p.id, measured[i]!]));
  }
  const hard = keepHard(prompts, rates, options.pairs ?? false);
  const selection: HardSelection = {
    samples: options.samples,
    temperature: options.temperature,
    passRates: rates,
    kept: hard.length,
    total: prompts.length,
  };
  if (!saved) writeJsonAtomic(options.file, selection);
  if (hard.length === 0)
    throw new Error(
      `selectHard: the starting policy chose right in all ${options.samples} samples of each of the ` +
        `${prompts.length} RL prompts, so none is hard; use more RL data, more samples, or selectHard 0`,
    );
  return { prompts: hard, selection };
}

function keepHard(
  prompts: readonly EncodedItem[],
  rates: Record<string, number>,
  pairs: boolean,
): EncodedItem[] {
  const hard = (p: EncodedItem) => (rates[p.id] ?? 1) < 1;
  if (!pairs) return prompts.filter(hard);
  const kept: EncodedItem[] = [];
  for (let i = 0; i + 1 < prompts.length; i += 2)
    if (hard(prompts[i]!) || hard(prompts[i + 1]!)) kept.push(prompts[i]!, prompts[i + 1]!);
  return kept;
}
