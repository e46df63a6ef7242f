// Multimodal RewardBench: one JSON list of {ID, Text, Image, Output1, Output2, Better, Category}.
// The file is a single JSON document, so it is parsed whole; items are then yielded one by one.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { multimodalRewardBenchCategory } from '../categories.js';
import { DataFormatError } from '../errors.js';
import { type ReadOptions, UniqueIds } from '../item-images.js';
import { parseRecord } from '../record-fields.js';
import type { PreferencePair } from '../types.js';
import { extraFields, imagesRootFor, type RawPair, withImages } from './read-pairs.js';

const Item = z.object({
  ID: z.string().min(1),
  Text: z.string(),
  Image: z.string().min(1),
  Output1: z.string(),
  Output2: z.string(),
  Better: z.enum(['Output1', 'Output2']),
  Category: z.string().min(1),
});

const FIELDS = ['ID', 'Text', 'Image', 'Output1', 'Output2', 'Better', 'Category'];

/**
 * Line number of a JSON.parse error, so syntax errors point into the file. V8 reports either
 * "at position N", or (Node 20+) a quoted excerpt starting 10 characters before the bad token.
 */
function lineOfJsonError(source: string, message: string): number | undefined {
  let position: number | undefined;
  const at = /position (\d+)/.exec(message);
  if (at) position = Number(at[1]);
  const excerpt = /^Unexpected token '(.)', (\.\.\.)?"([\s\S]*?)"(?:\.\.\.)? is not valid JSON$/.exec(
    message,
  );
  if (position === undefined && excerpt) {
    const start = source.indexOf(excerpt[3]!);
    if (start >= 0) {
      position = start + (excerpt[2] ? Math.min(10, excerpt[3]!.length - 1) : 0);
      while (position < start + excerpt[3]!.length && source[position] !== excerpt[1]) position++;
    }
  }
  if (position === undefined) return undefined;
  let line = 1;
  for (let i = 0; i < position && i < source.length; i++) if (source.charCodeAt(i) === 10) line++;
  return line;
}

export async function* readMultimodalRewardBench(
  file: string,
  options: ReadOptions = {},
): AsyncGenerator<PreferencePair> {
  const source = await readFile(file, 'utf8');
  let list: unknown;
  try {
    list = JSON.parse(source);
  } catch (error) {
    const message = (error as Error).message;
    throw new DataFormatError(file, lineOfJsonError(source, message), undefined, `invalid JSON (${message})`);
  }
  if (!Array.isArray(list)) {
    throw new DataFormatError(
      file,
      undefined,
      undefined,
      'expected a JSON list of items (Multimodal RewardBench all_data.json)',
    );
  }
  const ids = new UniqueIds();
  function* items(): Generator<RawPair> {
    for (const [index, record] of (list as unknown[]).entries()) {
      const r = parseRecord(Item, record, { file, line: index + 1, unit: 'item' });
      const id = ids.next(r.ID);
      const chosenPosition = r.Better === 'Output1' ? 1 : 2;
      yield {
        item: {
          id,
          question: r.Text,
          chosen: chosenPosition === 1 ? r.Output1 : r.Output2,
          rejected: chosenPosition === 1 ? r.Output2 : r.Output1,
          category: multimodalRewardBenchCategory(r.ID, r.Category),
          meta: {
            // The official scorer shows the responses in stored order: Output1 is Response 1.
            chosenPosition,
            sourceCategory: r.Category,
            ...(id !== r.ID ? { sourceId: r.ID } : {}),
            ...extraFields(record as Record<string, unknown>, FIELDS),
          },
        },
        refs: [{ kind: 'path', path: r.Image }],
      };
    }
  }
  yield* withImages(items(), imagesRootFor(file, options), options);
}
