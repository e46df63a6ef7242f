// Shared fixtures for the model tests: a small tokenizer, the tiny preset, generated images.

import { Rng } from '../../src/algo/random.js';
import { noGrad, tensor } from '../../src/engine/index.js';
import { type ModelConfig, type PositionEncoding, presetConfig } from '../../src/model/config.js';
import { type ImagePixels, VisionLanguageModel } from '../../src/model/model.js';
import { Tokenizer } from '../../src/model/tokenizer.js';

export const tokenizer = Tokenizer.train(
  [
    'Question: which response is better?\nResponse 1: a red square\nResponse 2: a blue circle\n',
    '<think>the image shows a red square</think><answer>1</answer>',
    '<think>the image shows a blue circle</think><answer>2</answer>',
  ],
  { vocabSize: 300 },
);

export const config = presetConfig('tiny', tokenizer.vocabSize);
export const perImage = 16; // (32 / 8)²

/** The tiny preset with rotary instead of learned LM positions. */
export const ropeConfig: ModelConfig = { ...config, positions: 'rope' };

export function tinyModel(
  seed = 1,
  positions: PositionEncoding = 'learned',
  extra: Partial<ModelConfig> = {},
): VisionLanguageModel {
  return new VisionLanguageModel(
    { ...(positions === 'rope' ? ropeConfig : config), ...extra },
    {
      seed,
      imageTokenId: tokenizer.id('image'),
    },
  );
}

/** A 3×32×32 image of seeded noise around a base colour. */
export function noiseImage(seed: number, base = 0.5): ImagePixels {
  const rng = new Rng(seed);
  return Float32Array.from({ length: 3 * 32 * 32 }, () =>
    Math.min(1, Math.max(0, base + (rng.next() - 0.5) * 0.6)),
  );
}

/** Prompt ids: `images` × 16 placeholders, then the text. */
export function promptIds(text: string, images: number): number[] {
  return [...new Array<number>(images * perImage).fill(tokenizer.id('image')), ...tokenizer.encode(text)];
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Local mixing's weights start at zero (no effect); random ones make the tests see them. */
export function withRandomMixing(m: VisionLanguageModel, seed: number): VisionLanguageModel {
  const rng = new Rng(seed);
  noGrad(() => {
    for (const [name, w] of m.namedParameters())
      if (name.endsWith('.mix.weight'))
        w.copy_(
          tensor(
            Float32Array.from({ length: w.numel() }, () => rng.next() * 2 - 1),
            { shape: w.shape },
          ),
        );
  });
  return m;
}
