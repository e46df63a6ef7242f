// A checkpoint trained here, ready to answer requests: text + image URLs → the model's prompt
// (image tokens first, as encodeJudgePrompt lays them out), and a dynamic batcher in front of the
// sampler. Shared by `serve --model` and the judge's in-process backend.
import type { LoadedCheckpoint, Prompt } from '../model/index.js';
import { tokensPerImage } from '../model/index.js';
import { type BatcherOptions, GenerationBatcher } from './batcher.js';
import { ImageInputError, type ImageSourcePolicy, imageUrlToPixels } from './image-input.js';

/** Options of {@link LocalModel}: the batcher's options and the image policy. */
export interface LocalModelOptions extends BatcherOptions {
  images?: ImageSourcePolicy;
}

/**
 * A checkpoint ready to answer requests: text + image URLs → the model's prompt, and a dynamic batcher in
 * front of the sampler (shared by `serve --model` and {@link LocalModelBackend}).
 */
export class LocalModel {
  readonly batcher: GenerationBatcher;
  readonly maxSeqLen: number;

  constructor(
    readonly checkpoint: LoadedCheckpoint,
    private readonly options: LocalModelOptions = {},
  ) {
    this.batcher = new GenerationBatcher(checkpoint.model, checkpoint.tokenizer, options);
    this.maxSeqLen = checkpoint.config.maxSeqLen;
  }

  /** Prompt ids and pixels: every image's placeholder tokens first, then the tokenized text. */
  encode(text: string, images: readonly { url: string; field: string }[]): Promise<Prompt> {
    return this.batcher.prepare(() => this.encodeNow(text, images));
  }

  private async encodeNow(text: string, images: readonly { url: string; field: string }[]): Promise<Prompt> {
    const { tokenizer, config } = this.checkpoint;
    const vision = config.vision;
    if (images.length > 0 && vision === null)
      throw new ImageInputError(
        'this model has no vision encoder (a text-only checkpoint); send text only',
        images[0]!.field,
      );
    const pixels = vision
      ? await Promise.all(
          images.map((image) =>
            imageUrlToPixels(image.url, vision.imageSize, this.options.images ?? {}, image.field),
          ),
        )
      : [];
    const imageId = tokenizer.id('image');
    const textIds = tokenizer.encode(text);
    // A placeholder typed into the text would not match the images sent and break the whole batch.
    if (textIds.includes(imageId))
      throw new ImageInputError(
        'the text contains the image placeholder token <|image|>; send images as image_url parts instead',
        'body/messages',
      );
    const imageTokens = vision ? images.length * tokensPerImage(vision) : 0;
    const tokens = [...new Array<number>(imageTokens).fill(imageId), ...textIds];
    return pixels.length > 0 ? { tokens, images: pixels } : { tokens };
  }
}
