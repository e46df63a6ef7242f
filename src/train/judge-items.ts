// Training and held-out data as the trainer sees it: judging items (question, two responses, the
// preferred position, images, and for SFT the teacher's trace) read from R1-Reward-format JSONL or
// a benchmark file, then encoded with the compact judge template into token ids and image pixels.

import { Rng } from '../algo/random.js';
import { type Caption, readCaptions } from '../data/captions.js';
import { imageToFloatPixels } from '../data/image-pipeline.js';
import { readBenchmark } from '../data/index.js';
import { readR1RewardData } from '../data/r1-reward-format.js';
import type { BenchmarkName, ImageInput } from '../data/types.js';
import type { VisionConfig } from '../model/config.js';
import {
  encodeImagePrompt,
  encodeJudgement,
  encodeJudgePrompt,
  renderCompactPrompt,
} from '../model/judge-format.js';
import type { Tokenizer } from '../model/tokenizer.js';

/**
 * One training or held-out item in the trainers' shape: question, two responses, the preferred position,
 * images and (SFT) the teacher's trace.
 */
export interface JudgeItem {
  id: string;
  question: string;
  response1: string;
  response2: string;
  /** The preferred response's position. */
  label: 1 | 2;
  images: ImageInput[];
  /** The teacher's judgement `<think>…</think><answer>N</answer>` (SFT data only). */
  trace?: string;
}

/** The id suffix of an item shown in the other response order ({@link withBothOrders}). */
export const SWAPPED_SUFFIX = '#swapped';

/**
 * Every item followed by itself in the other response order (responses swapped, label flipped), so
 * the preferred position is 1 and 2 equally often and a position preference earns no reward.
 * @example withBothOrders([{ id: 'a', response1: 'x', response2: 'y', label: 1, … }]) // [a, { id: 'a#swapped', response1: 'y', response2: 'x', label: 2, … }]
 */
export function withBothOrders(items: readonly JudgeItem[]): JudgeItem[] {
  return items.flatMap((item) => {
    const { trace: _trace, ...rest } = item;
    const swapped: JudgeItem = {
      ...rest,
      id: `${item.id}${SWAPPED_SUFFIX}`,
      response1: item.response2,
      response2: item.response1,
      label: item.label === 1 ? 2 : 1,
    };
    return [item, swapped];
  });
}

/** Where a split comes from: R1-Reward JSONL (SFT/RL splits) or a benchmark file (held-out). */
export interface DataSource {
  file: string;
  /** 'r1-reward' (default) or a benchmark name such as 'synthetic'. */
  format?: 'r1-reward' | BenchmarkName;
  /** Read at most this many items (the first ones). */
  limit?: number;
  imagesRoot?: string;
}

/**
 * Reads a split. Benchmark pairs (chosen/rejected) get their positions from a seeded balanced
 * shuffle, so exactly half of the items have the preferred response first.
 */
export async function readJudgeItems(source: DataSource, seed = 0): Promise<JudgeItem[]> {
  const items: JudgeItem[] = [];
  const limit = source.limit ?? Number.POSITIVE_INFINITY;
  const options = source.imagesRoot === undefined ? {} : { imagesRoot: source.imagesRoot };
  const format = source.format ?? 'r1-reward';
  if (format === 'r1-reward') {
    for await (const s of readR1RewardData(source.file, options)) {
      if (items.length >= limit) break;
      const trace = s.extra['response'];
      items.push({
        id: s.id,
        question: s.question,
        response1: s.response1,
        response2: s.response2,
        label: s.label,
        images: s.images,
        ...(typeof trace === 'string' ? { trace } : {}),
      });
    }
    return items;
  }
  const pairs = [];
  for await (const pair of readBenchmark(format, source.file, options)) {
    if (pairs.length >= limit) break;
    pairs.push(pair);
  }
  const positions = new Rng(seed).shuffle(pairs.map((_, i) => (i % 2 === 0 ? 1 : 2) as 1 | 2));
  return pairs.map((p, i) => {
    const label = positions[i]!;
    const [response1, response2] = label === 1 ? [p.chosen, p.rejected] : [p.rejected, p.chosen];
    return { id: p.id, question: p.question, response1, response2, label, images: p.images };
  });
}

/** One item ready for the model. */
export interface EncodedItem {
  id: string;
  /** The preferred position (judging items; caption items carry 1, which nothing reads). */
  label: 1 | 2;
  promptTokens: number[];
  /** CHW float pixels, one per image placeholder group (empty for a text-only model). */
  images: Float32Array[];
  /** Teacher trace + end of sequence (SFT only). */
  targetTokens?: number[];
}

export interface EncodeResult {
  items: EncodedItem[];
  /** Items dropped because prompt + response would not fit `maxSeqLen`. */
  tooLong: number;
}

/**
 * Encodes items; an item whose prompt plus `responseBudget` tokens (or plus its trace, for SFT)
 * exceeds `maxSeqLen` is dropped and counted. A text-only model (vision null) ignores images.
 */
export async function encodeItems(
  items: readonly JudgeItem[],
  tokenizer: Tokenizer,
  model: { vision: VisionConfig | null; maxSeqLen: number },
  options: { withTrace: boolean; responseBudget: number },
): Promise<EncodeResult> {
  const out: EncodedItem[] = [];
  let tooLong = 0;
  const pixelCache = new Map<ImageInput, Float32Array>();
  for (const item of items) {
    const numImages = model.vision ? item.images.length : 0;
    const promptTokens = encodeJudgePrompt(tokenizer, { ...item, numImages }, model.vision);
    let targetTokens: number[] | undefined;
    if (options.withTrace) {
      if (item.trace === undefined)
        throw new RangeError(
          `item ${item.id} has no teacher trace (the 'response' field): SFT needs R1-Reward data with analyses, e.g. the synthetic world's sft.jsonl`,
        );
      targetTokens = encodeJudgement(tokenizer, item.trace);
    }
    const budget = targetTokens ? targetTokens.length : options.responseBudget;
    if (promptTokens.length + budget > model.maxSeqLen) {
      tooLong++;
      continue;
    }
    const images = await loadPixels(item.images, model.vision, pixelCache);
    out.push({
      id: item.id,
      label: item.label,
      promptTokens,
      images,
      ...(targetTokens ? { targetTokens } : {}),
    });
  }
  return { items: out, tooLong };
}

/** Pixels of an item's images at the model's size (none for a text-only model), decoded once each. */
async function loadPixels(
  images: readonly ImageInput[],
  vision: VisionConfig | null,
  cache: Map<ImageInput, Float32Array>,
): Promise<Float32Array[]> {
  if (!vision) return [];
  const out: Float32Array[] = [];
  for (const image of images) {
    let pixels = cache.get(image);
    if (!pixels) {
      pixels = (await imageToFloatPixels(image, { width: vision.imageSize, height: vision.imageSize })).data;
      cache.set(image, pixels);
    }
    out.push(pixels);
  }
  return out;
}

/** The instruction of a caption item (after its images). */
export const CAPTION_PROMPT = 'Describe the image.\n';

/**
 * Encodes captions (perception pretraining): images, then the item's prompt ({@link CAPTION_PROMPT}
 * unless it has its own, e.g. a question for a policy); the target is the caption and end of sequence. Items longer than `maxSeqLen` are dropped and counted.
 */
export async function encodeCaptions(
  captions: readonly Caption[],
  tokenizer: Tokenizer,
  model: { vision: VisionConfig | null; maxSeqLen: number },
): Promise<EncodeResult> {
  if (!model.vision) throw new RangeError('caption pretraining needs a model with vision (config.vision)');
  const out: EncodedItem[] = [];
  let tooLong = 0;
  const pixelCache = new Map<ImageInput, Float32Array>();
  for (const c of captions) {
    const promptTokens = encodeImagePrompt(
      tokenizer,
      c.images.length,
      model.vision,
      c.prompt ?? CAPTION_PROMPT,
    );
    const targetTokens = encodeJudgement(tokenizer, c.caption);
    if (promptTokens.length + targetTokens.length > model.maxSeqLen) {
      tooLong++;
      continue;
    }
    const images = await loadPixels(c.images, model.vision, pixelCache);
    out.push({ id: c.id, label: 1, promptTokens, images, targetTokens });
  }
  return { items: out, tooLong };
}

/** Reads a captions file (src/data/captions.ts), at most `limit` items. */
export async function readCaptionItems(
  source: Pick<DataSource, 'file' | 'limit' | 'imagesRoot'>,
): Promise<Caption[]> {
  const out: Caption[] = [];
  const options = source.imagesRoot === undefined ? {} : { imagesRoot: source.imagesRoot };
  for await (const c of readCaptions(source.file, options)) {
    if (out.length >= (source.limit ?? Number.POSITIVE_INFINITY)) break;
    out.push(c);
  }
  return out;
}

/** Every text the tokenizer should be trained on: prompts and traces. */
export function tokenizerCorpus(items: readonly JudgeItem[]): string[] {
  return items.flatMap((i) => [renderCompactPrompt(i), ...(i.trace ? [i.trace] : [])]);
}
