// A tiny checkpoint for server and backend tests: random weights, a tokenizer trained on a few
// judging strings. The tests check the plumbing (HTTP, batching, images), not the model's answers.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { presetConfig, saveCheckpoint, Tokenizer, VisionLanguageModel } from '../../src/model/index.js';

export const JUDGE_TEXT =
  'Question: what is shown?\nResponse 1: a red square\nResponse 2: a blue circle\nWhich response is better?\n';

/** Writes a tiny-preset checkpoint (32×32 images, 16 tokens each, maxSeqLen 256) and returns its folder. */
export function writeTinyCheckpoint(seed = 1): string {
  const tokenizer = Tokenizer.train(
    [
      JUDGE_TEXT,
      '<think>the image shows a red square</think><answer>1</answer>',
      '<think>the image shows a blue circle</think><answer>2</answer>',
      'héllo wörld ✓ 日本',
    ],
    { vocabSize: 300 },
  );
  const config = presetConfig('tiny', tokenizer.vocabSize);
  const model = new VisionLanguageModel(config, { seed, imageTokenId: tokenizer.id('image') });
  const dir = join(mkdtempSync(join(tmpdir(), 'r1-tiny-ckpt-')), 'tiny-judge');
  saveCheckpoint(dir, model, tokenizer);
  return dir;
}

/** A PNG of one colour. */
export function png(width: number, height: number, rgb: [number, number, number] = [200, 30, 30]) {
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
    .png()
    .toBuffer();
}

export async function pngDataUrl(width = 32, height = 32, rgb?: [number, number, number]): Promise<string> {
  return `data:image/png;base64,${(await png(width, height, rgb)).toString('base64')}`;
}
