// The shared last step of every benchmark reader: resolve each item's images, skip or fail.
import { dirname, resolve } from 'node:path';
import { type ImageRef, imagesOrSkip, type ReadOptions } from '../item-images.js';
import type { ImageInput, PreferencePair } from '../types.js';

/** A parsed item whose images are still references. */
export interface RawItem<T extends { id: string }> {
  item: T;
  refs: ImageRef[];
}
export type RawPair = RawItem<Omit<PreferencePair, 'images'>>;

/** The images root for `file`: the user's choice, else the data file's folder. */
export function imagesRootFor(file: string, options: ReadOptions): string {
  return resolve(options.imagesRoot ?? dirname(file));
}

export async function* withImages<T extends { id: string }>(
  items: AsyncIterable<RawItem<T>> | Iterable<RawItem<T>>,
  root: string,
  options: ReadOptions,
): AsyncGenerator<T & { images: ImageInput[] }> {
  for await (const { item, refs } of items) {
    const images = await imagesOrSkip(item.id, refs, root, options);
    if (images !== undefined) yield { ...item, images };
  }
}

/** Extra fields of a record, for `meta` (everything but the ones the pair already carries). */
export function extraFields(
  record: Record<string, unknown>,
  used: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) if (!used.includes(key)) out[key] = value;
  return out;
}
