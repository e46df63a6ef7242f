// The best-of-n data file: JSON lines {id, images, question, candidates[], reference?}. Every error names
// file, line and field. Relative image paths resolve under an images folder (default: the data file's
// folder) and may not leave it; absolute paths are used as given.
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { DataFormatError } from '../data/errors.js';
import { imageToDataUrl } from '../data/image-pipeline.js';
import { resolveItemImages } from '../data/item-images.js';
import { readJsonLines } from '../data/json-lines.js';
import { parseRecord } from '../data/record-fields.js';

/** One item of a best-of-n file: the candidates to rank for an image + question. */
export interface BestOfNItem {
  id: string;
  /** Image paths as the file gives them. */
  images: string[];
  question: string;
  candidates: string[];
  reference?: string;
  /** 1-based line in the data file. */
  line: number;
}

const ItemRecord = z.object({
  id: z.string().min(1),
  images: z.array(z.string().min(1)),
  question: z.string(),
  candidates: z.array(z.string()).min(1),
  reference: z.string().optional(),
});

/** Options of {@link readBestOfNItems}. */
export interface BestOfNReadOptions {
  /** Each item must carry a reference answer (the `reference` scheme). */
  requireReference?: boolean;
}

/**
 * Reads and checks every item of a best-of-n JSON-lines file. Throws a DataFormatError naming file, line
 * and field for a malformed line, a duplicate id, or (with `requireReference`) a missing reference.
 */
export async function readBestOfNItems(
  file: string,
  options: BestOfNReadOptions = {},
): Promise<BestOfNItem[]> {
  const items: BestOfNItem[] = [];
  const lineOf = new Map<string, number>();
  for await (const { line, record } of readJsonLines(file)) {
    const r = parseRecord(ItemRecord, record, { file, line });
    const earlier = lineOf.get(r.id);
    if (earlier !== undefined)
      throw new DataFormatError(file, line, 'id', `duplicate of line ${earlier}; give every item its own id`);
    if (options.requireReference && r.reference === undefined)
      throw new DataFormatError(
        file,
        line,
        'reference',
        'missing (the reference scheme needs a reference answer)',
      );
    lineOf.set(r.id, line);
    items.push({ ...r, line });
  }
  return items;
}

/** The folder relative image paths of `file` resolve under: the user's choice, else the file's folder. */
export function imagesFolderFor(file: string, images?: string): string {
  return resolve(images ?? dirname(file));
}

/**
 * An item's images as data URLs: relative paths under `root` (escapes rejected, symbolic links followed),
 * absolute paths as given; each file is checked (exists, decodes, within limits) and capped at `maxPixels`.
 */
export async function loadItemImages(
  item: Pick<BestOfNItem, 'id' | 'images'>,
  root: string,
  options: { maxPixels?: number } = {},
): Promise<string[]> {
  const urls: string[] = [];
  for (const path of item.images) {
    // An absolute path is its own root: the filesystem's, so it is used as given.
    const [full] = await resolveItemImages(
      item.id,
      [{ kind: 'path', path }],
      isAbsolute(path) ? '/' : root,
      {},
    );
    urls.push(
      await imageToDataUrl(full!, options.maxPixels === undefined ? {} : { maxPixels: options.maxPixels }),
    );
  }
  return urls;
}
