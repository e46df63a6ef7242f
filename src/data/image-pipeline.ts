// The image pipeline (sharp): check and decode PNG/JPEG/WebP/GIF (first frame), refuse oversized input
// before decoding it, cap the pixel count keeping the aspect ratio, and hand the result on as a base64
// data URL (for endpoints) or as a float pixel array (for the local model).
import { readFile, stat } from 'node:fs/promises';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { ImageError } from './errors.js';
import type { ImageInput } from './types.js';

/** Formats the pipeline accepts. GIF is read as its first frame. */
export const IMAGE_FORMATS = ['png', 'jpeg', 'webp', 'gif'] as const;
/** An image format of {@link IMAGE_FORMATS}. */
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

/** Encoded size above which an image is refused without reading it (a guard against huge files). */
export const DEFAULT_MAX_INPUT_BYTES = 64 * 1024 * 1024;
/** Declared width × height above which an image is refused before decoding (decompression bombs). */
export const DEFAULT_MAX_INPUT_PIXELS = 64_000_000;
/** The released R1-Reward evaluation's max_pixels (docs/spec.md §2). */
export const R1_EVAL_MAX_PIXELS = 501_760;

/** Size limits checked before an image is decoded (the defaults guard against decompression bombs). */
export interface ImageLimits {
  /** Refuse files (or embedded bytes) larger than this many bytes. */
  maxInputBytes?: number;
  /** Refuse images whose header declares more than this many pixels, before decoding them. */
  maxInputPixels?: number;
}

/** What {@link inspectImage} reads from an image's header, without decoding it. */
export interface ImageInfo {
  format: ImageFormat;
  width: number;
  height: number;
}

const MIME: Record<ImageFormat, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
};

function label(image: ImageInput): string {
  return typeof image === 'string' ? image : `<embedded ${image.byteLength} bytes>`;
}

/** Refuses input above `maxBytes` without reading it (files: by their size on disk). */
async function checkByteSize(image: ImageInput, maxBytes: number, itemId: string): Promise<void> {
  let size: number;
  if (typeof image !== 'string') {
    size = image.byteLength;
  } else {
    try {
      const info = await stat(image);
      if (!info.isFile()) throw new ImageError(itemId, image, 'not a regular file');
      size = info.size;
    } catch (error) {
      if (error instanceof ImageError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      throw new ImageError(
        itemId,
        image,
        code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? error})`,
      );
    }
  }
  if (size > maxBytes) {
    throw new ImageError(
      itemId,
      label(image),
      `${size} bytes is above maxInputBytes=${maxBytes}; raise the limit if you trust it`,
    );
  }
}

/**
 * Reads an image's header (not its pixels) and checks format and size limits. Throws `ImageError`
 * naming the item and path when the file is missing, undecodable, of another format or too large.
 */
export async function inspectImage(
  image: ImageInput,
  limits: ImageLimits = {},
  itemId = '',
): Promise<ImageInfo> {
  const maxPixels = limits.maxInputPixels ?? DEFAULT_MAX_INPUT_PIXELS;
  await checkByteSize(image, limits.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES, itemId);
  let metadata: Metadata;
  try {
    // Header only: no pixels are decoded here, so the pixel limit is checked below with a clear message.
    metadata = await sharp(image, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw new ImageError(itemId, label(image), `cannot decode (${(error as Error).message})`);
  }
  const format = metadata.format as string | undefined;
  if (!IMAGE_FORMATS.includes(format as ImageFormat)) {
    throw new ImageError(
      itemId,
      label(image),
      `format ${format ?? 'unknown'} is not one of ${IMAGE_FORMATS.join(', ')}`,
    );
  }
  const width = metadata.width ?? 0;
  const height = metadata.height ?? 0;
  if (width * height > maxPixels) {
    throw new ImageError(
      itemId,
      label(image),
      `${width}×${height} = ${width * height} pixels is above maxInputPixels=${maxPixels} (refused before decoding)`,
    );
  }
  return { format: format as ImageFormat, width, height };
}

/** `inspectImage`, then the encoded bytes (read only once the checks pass). */
async function loadImage(image: ImageInput, limits: ImageLimits): Promise<ImageInfo & { bytes: Uint8Array }> {
  const info = await inspectImage(image, limits);
  const bytes = typeof image === 'string' ? await readFile(image) : image;
  const maxBytes = limits.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES;
  if (bytes.byteLength > maxBytes) {
    throw new ImageError('', label(image), `${bytes.byteLength} bytes is above maxInputBytes=${maxBytes}`);
  }
  return { ...info, bytes };
}

/** The largest size with at most `maxPixels` pixels and the same aspect ratio; never upscales. */
export function capPixels(
  width: number,
  height: number,
  maxPixels: number,
): { width: number; height: number } {
  if (!(maxPixels >= 1)) throw new RangeError(`maxPixels must be ≥ 1, got ${maxPixels}`);
  if (width * height <= maxPixels) return { width, height };
  const scale = Math.sqrt(maxPixels / (width * height));
  return { width: Math.max(1, Math.floor(width * scale)), height: Math.max(1, Math.floor(height * scale)) };
}

function decoder(info: { bytes: Uint8Array }, maxInputPixels: number): Sharp {
  // `pages: 1` reads the first frame of animated GIF/WebP; the pixel limit is sharp's own guard too.
  return sharp(info.bytes, { pages: 1, limitInputPixels: maxInputPixels }).rotate();
}

/**
 * Options of {@link imageToDataUrl}: the size limits and an optional pixel cap (resize keeping the aspect
 * ratio).
 */
export interface DataUrlOptions extends ImageLimits {
  /** Cap on width × height (the aspect ratio is kept). Default: no cap. */
  maxPixels?: number;
}

/**
 * A `data:` URL for an OpenAI-compatible endpoint. PNG/JPEG/WebP that fit `maxPixels` are passed on
 * byte for byte; a GIF becomes its first frame as PNG; larger images are downscaled (JPEG stays JPEG,
 * everything else becomes PNG).
 */
export async function imageToDataUrl(image: ImageInput, options: DataUrlOptions = {}): Promise<string> {
  const info = await loadImage(image, options);
  const target = capPixels(info.width, info.height, options.maxPixels ?? Number.POSITIVE_INFINITY);
  const resized = target.width !== info.width || target.height !== info.height;
  if (!resized && info.format !== 'gif') {
    return `data:${MIME[info.format]};base64,${Buffer.from(info.bytes).toString('base64')}`;
  }
  let pipeline = decoder(info, options.maxInputPixels ?? DEFAULT_MAX_INPUT_PIXELS);
  if (resized) pipeline = pipeline.resize(target.width, target.height, { fit: 'fill' });
  const asJpeg = info.format === 'jpeg';
  try {
    const out = await (asJpeg ? pipeline.jpeg({ quality: 90 }) : pipeline.png()).toBuffer();
    return `data:${asJpeg ? MIME.jpeg : MIME.png};base64,${out.toString('base64')}`;
  } catch (error) {
    throw new ImageError('', label(image), `cannot decode (${(error as Error).message})`);
  }
}

/** Options of {@link imageToFloatPixels}: the size limits and the square output side. */
export interface FloatPixelsOptions extends ImageLimits {
  /** Output width and height: the image is resized to fit inside, keeping its aspect ratio, and padded. */
  width: number;
  height: number;
  /** Padding colour for `contain`, 0–255 per channel. Default black. */
  background?: [number, number, number];
}

/** RGB pixels as floats in [0, 1], channel-major (CHW): data[c·H·W + y·W + x]. */
export interface FloatPixels {
  data: Float32Array;
  channels: 3;
  width: number;
  height: number;
}

/** Decodes an image into a fixed-size RGB float array for the local model (alpha dropped, first frame). */
export async function imageToFloatPixels(
  image: ImageInput,
  options: FloatPixelsOptions,
): Promise<FloatPixels> {
  const { width, height } = options;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`width and height must be positive integers, got ${width}×${height}`);
  }
  const info = await loadImage(image, options);
  const [r, g, b] = options.background ?? [0, 0, 0];
  let raw: Buffer;
  try {
    raw = await decoder(info, options.maxInputPixels ?? DEFAULT_MAX_INPUT_PIXELS)
      .flatten({ background: { r, g, b } })
      .resize(width, height, { fit: 'contain', background: { r, g, b } })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer();
  } catch (error) {
    throw new ImageError('', label(image), `cannot decode (${(error as Error).message})`);
  }
  const plane = width * height;
  const data = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) data[c * plane + i] = raw[i * 3 + c]! / 255;
  }
  return { data, channels: 3, width, height };
}
