// Turns the image references of one item (paths, embedded bytes, video frame folders) into checked
// `ImageInput`s, or explains why it cannot: missing, undecodable, oversized, outside the root.
import { readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { ImageError, PathEscapeError } from './errors.js';
import { inspectImage } from './image-pipeline.js';
import { checkedRealPath, resolveUnderRoot } from './images-root.js';
import type { ImageInput } from './types.js';

/** Options every benchmark reader takes. */
export interface ReadOptions {
  /** Folder that image paths in the file are relative to. Default: the data file's folder. */
  imagesRoot?: string;
  /** Skip items whose images are missing or undecodable (reported through `onSkip`) instead of failing. */
  skipMissing?: boolean;
  onSkip?: (id: string, reason: string) => void;
  /**
   * `false`: resolve image paths under the root (paths that escape it are still rejected) but never
   * open them — for reading the text of a benchmark whose images are not at hand. Video items then
   * carry the resolved frame folder instead of sampled frames. Default `true`.
   */
  checkImages?: boolean;
  /** Refuse image files larger than this (bytes). */
  maxInputBytes?: number;
  /** Refuse images whose header declares more pixels than this, before decoding. */
  maxInputPixels?: number;
  /** Frames sampled from a video item's folder (released R1-Reward: 32). */
  videoFrames?: number;
}

export type ImageRef =
  | { kind: 'path'; path: string }
  | { kind: 'bytes'; bytes: Uint8Array | undefined }
  | { kind: 'video'; path: string };

const FRAME_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.gif']);

/**
 * Indices of `count` frames sampled uniformly from `total`, as the released R1-Reward code does:
 * `np.linspace(0, total - 1, count, dtype=int)` (truncation; repeats frames when total < count).
 */
export function uniformFrameIndices(total: number, count: number): number[] {
  if (total < 1) return [];
  if (count === 1) return [0];
  const step = (total - 1) / (count - 1);
  return Array.from({ length: count }, (_, i) => (i === count - 1 ? total - 1 : Math.trunc(i * step)));
}

async function videoFrames(itemId: string, folder: string, count: number): Promise<string[]> {
  let names: string[];
  try {
    const entries = await readdir(folder, { withFileTypes: true });
    names = entries
      .filter(
        (e) => e.isFile() && !e.name.startsWith('.') && FRAME_EXTENSIONS.has(extname(e.name).toLowerCase()),
      )
      .map((e) => e.name)
      .sort();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'video frame folder not found'
        : code === 'ENOTDIR'
          ? 'a video must be a folder of frames (extract frames from video files first)'
          : `cannot list the video frame folder (${code ?? error})`;
    throw new ImageError(itemId, folder, reason);
  }
  if (names.length === 0)
    throw new ImageError(itemId, folder, 'video frame folder has no PNG/JPEG/WebP/GIF frames');
  return uniformFrameIndices(names.length, count).map((i) => join(folder, names[i]!));
}

/** Resolves and (unless `checkImages` is false) checks every image of one item. */
export async function resolveItemImages(
  itemId: string,
  refs: readonly ImageRef[],
  root: string,
  options: ReadOptions,
): Promise<ImageInput[]> {
  const check = options.checkImages !== false;
  const out: ImageInput[] = [];
  for (const ref of refs) {
    if (ref.kind === 'bytes') {
      if (ref.bytes === undefined || ref.bytes.byteLength === 0) {
        throw new ImageError(itemId, '<embedded bytes>', 'the item has no image bytes');
      }
      if (check) await inspectImage(ref.bytes, options, itemId);
      out.push(ref.bytes);
      continue;
    }
    const full = resolveUnderRoot(root, ref.path);
    if (!check) {
      out.push(full);
      continue;
    }
    if (ref.kind === 'video') {
      for (const frame of await videoFrames(itemId, full, options.videoFrames ?? 32)) {
        await inspectImage(frame, options, itemId);
        out.push(frame);
      }
      continue;
    }
    try {
      await checkedRealPath(root, ref.path);
    } catch (error) {
      if (error instanceof PathEscapeError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      throw new ImageError(
        itemId,
        full,
        code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? error})`,
      );
    }
    await inspectImage(full, options, itemId);
    out.push(full);
  }
  return out;
}

/**
 * Runs `resolveItemImages`; with `skipMissing`, an item whose image is missing, undecodable or
 * outside the images folder is skipped (returns undefined and calls `onSkip`); without it, it throws.
 */
export async function imagesOrSkip(
  itemId: string,
  refs: readonly ImageRef[],
  root: string,
  options: ReadOptions,
): Promise<ImageInput[] | undefined> {
  try {
    return await resolveItemImages(itemId, refs, root, options);
  } catch (error) {
    if (!(error instanceof ImageError || error instanceof PathEscapeError) || !options.skipMissing)
      throw error;
    options.onSkip?.(itemId, error.message);
    return undefined;
  }
}

/** Makes ids unique within a file: the first occurrence keeps its id, repeats get `#2`, `#3`, … */
export class UniqueIds {
  private readonly seen = new Set<string>();
  next(raw: string): string {
    let id = raw;
    for (let k = 2; this.seen.has(id); k++) id = `${raw}#${k}`;
    this.seen.add(id);
    return id;
  }
}
