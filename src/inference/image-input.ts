// Image URLs from clients (OpenAI `image_url` parts, judge requests) → the local model's float pixels.
// Data URLs are always accepted; local files only under an allowed root (symbolic links followed,
// `..` refused); remote http(s) only when enabled. Byte and pixel limits are checked before decoding
// (byte size before base64-decoding or downloading, declared pixels before decoding the image).

import { fileURLToPath } from 'node:url';
import { type ImageLimits, imageToFloatPixels } from '../data/image-pipeline.js';
import { checkedRealPath } from '../data/images-root.js';
import { R1RewardError } from '../errors.js';
import type { ImagePixels } from '../model/index.js';

/**
 * Where image URLs may come from: data URLs always, local files only under `allowedRoot`, with size limits.
 */
export interface ImageSourcePolicy extends ImageLimits {
  /** Local files (file:// URLs or paths) are read only inside this folder; undefined: refused. */
  allowedRoot?: string | undefined;
  /** Fetch http(s) URLs (default false). */
  allowRemote?: boolean;
  /** Timeout of one remote fetch (default 10 000 ms). */
  remoteTimeoutMs?: number;
}

/** Bad image input: the message says what and how to fix it; `field` is where in the request. */
export class ImageInputError extends R1RewardError {
  override name = 'ImageInputError';
  constructor(
    message: string,
    readonly field: string,
  ) {
    super('image_input', message);
  }
}

export const DEFAULT_IMAGE_BYTES = 16 * 1024 * 1024;
export const DEFAULT_IMAGE_PIXELS = 40_000_000;

const DATA_URL = /^data:(image\/[a-z0-9.+-]+)?(;[a-z0-9=.+-]+)*;base64,/i;

async function fetchBytes(url: string, maxBytes: number, timeoutMs: number, field: string): Promise<Buffer> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  } catch (error) {
    throw new ImageInputError(`cannot fetch ${url}: ${(error as Error).message}`, field);
  }
  if (!response.ok) throw new ImageInputError(`fetching ${url} gave HTTP ${response.status}`, field);
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes)
    throw new ImageInputError(`${url} is ${declared} bytes, above the image limit of ${maxBytes}`, field);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.byteLength;
    // Throwing out of the loop cancels the download (the iterator's return()).
    if (size > maxBytes)
      throw new ImageInputError(`${url} is more than ${maxBytes} bytes, the image limit`, field);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/** The bytes (or checked file path) an image URL names, under the policy. */
async function imageSource(url: string, policy: ImageSourcePolicy, field: string): Promise<Buffer | string> {
  const maxBytes = policy.maxInputBytes ?? DEFAULT_IMAGE_BYTES;
  const data = DATA_URL.exec(url);
  if (data) {
    const base64 = url.slice(data[0].length);
    // 4 base64 characters carry 3 bytes: refuse before decoding anything.
    if (Math.floor((base64.length * 3) / 4) > maxBytes + 2)
      throw new ImageInputError(
        `the data URL holds about ${Math.floor((base64.length * 3) / 4)} bytes, above the image limit of ${maxBytes}; send a smaller image`,
        field,
      );
    return Buffer.from(base64, 'base64');
  }
  if (url.startsWith('data:'))
    throw new ImageInputError(
      'a data URL must be base64-encoded: data:image/png;base64,<bytes> (or jpeg, webp, gif)',
      field,
    );
  if (/^https?:\/\//i.test(url)) {
    if (!policy.allowRemote)
      throw new ImageInputError(
        'remote image URLs are off on this server; send the image as a data URL (or start serve with --allow-remote-images)',
        field,
      );
    return fetchBytes(url, maxBytes, policy.remoteTimeoutMs ?? 10_000, field);
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(url) && !url.startsWith('file:'))
    throw new ImageInputError(
      `unsupported image URL scheme in ${JSON.stringify(url.slice(0, 40))}; use a data URL`,
      field,
    );
  if (policy.allowedRoot === undefined)
    throw new ImageInputError(
      'local image files are off on this server; send the image as a data URL (or start serve with --image-root DIR)',
      field,
    );
  let path: string;
  try {
    path = url.startsWith('file:') ? fileURLToPath(url) : decodeURIComponent(url);
  } catch (error) {
    throw new ImageInputError(`bad file URL: ${(error as Error).message}`, field);
  }
  try {
    return await checkedRealPath(policy.allowedRoot, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ImageInputError(`image file ${JSON.stringify(path)} not found`, field);
    // Path escapes are reported without echoing the server's root.
    if ((error as Error).name === 'PathEscapeError')
      throw new ImageInputError(
        `image path ${JSON.stringify(path)} is outside the allowed image folder; use a path inside it (relative paths are resolved there)`,
        field,
      );
    throw new ImageInputError(
      `cannot read image ${JSON.stringify(path)}: ${(error as Error).message}`,
      field,
    );
  }
}

/** Decodes one image URL into `size × size` RGB float pixels (CHW in [0, 1]) for the model. */
export async function imageUrlToPixels(
  url: string,
  size: number,
  policy: ImageSourcePolicy,
  field: string,
): Promise<ImagePixels> {
  const source = await imageSource(url, policy, field);
  try {
    const pixels = await imageToFloatPixels(source, {
      width: size,
      height: size,
      maxInputBytes: policy.maxInputBytes ?? DEFAULT_IMAGE_BYTES,
      maxInputPixels: policy.maxInputPixels ?? DEFAULT_IMAGE_PIXELS,
    });
    return pixels.data;
  } catch (error) {
    // ImageError names the path or "<embedded N bytes>"; the field says which part of the request.
    // A file is named as the client named it, so the server's folders never show.
    const message = (error as Error).message;
    throw new ImageInputError(
      typeof source === 'string' ? message.replaceAll(source, JSON.stringify(url)) : message,
      field,
    );
  }
}
