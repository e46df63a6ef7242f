// VL-RewardBench: the R1-Reward copy (JSONL: id, prompt, chosen, rejected, image + an image folder)
// and the official Hugging Face parquet (id, query, response[2], image{bytes,path}, human_ranking, …).
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { z } from 'zod';
import { vlRewardBenchCategory, vlRewardBenchR1CompatCategory, vlRewardBenchSource } from '../categories.js';
import { DataFormatError } from '../errors.js';
import { type ImageRef, type ReadOptions, UniqueIds } from '../item-images.js';
import { readJsonLines } from '../json-lines.js';
import { parseRecord } from '../record-fields.js';
import type { PreferencePair } from '../types.js';
import { extraFields, imagesRootFor, type RawPair, withImages } from './read-pairs.js';

const imageField = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

const CopyRecord = z.object({
  id: z.string().min(1),
  prompt: z.string(),
  chosen: z.string(),
  rejected: z.string(),
  image: imageField,
});

const COPY_FIELDS = ['id', 'prompt', 'chosen', 'rejected', 'image'];

function vlMeta(id: string, sourceId: string): Record<string, unknown> {
  return {
    source: vlRewardBenchSource(sourceId),
    r1CompatCategory: vlRewardBenchR1CompatCategory(sourceId),
    ...(id !== sourceId ? { sourceId } : {}),
  };
}

/**
 * Pairs in the VL-RewardBench-copy JSONL shape. `categoryFrom: 'official'` derives the category
 * from the id (VL-RewardBench); `'record'` reads a required `category` field (the synthetic split).
 */
export async function* readPairJsonl(
  file: string,
  options: ReadOptions,
  categoryFrom: 'official' | 'record',
): AsyncGenerator<PreferencePair> {
  const ids = new UniqueIds();
  const schema = categoryFrom === 'record' ? CopyRecord.extend({ category: z.string().min(1) }) : CopyRecord;
  async function* items(): AsyncGenerator<RawPair> {
    for await (const { line, record } of readJsonLines(file)) {
      const r = parseRecord(schema, record, { file, line }) as z.infer<typeof CopyRecord> & {
        category?: string;
      };
      const id = ids.next(r.id);
      const paths = typeof r.image === 'string' ? [r.image] : r.image;
      const extra = extraFields(record, [...COPY_FIELDS, 'category']);
      const meta =
        categoryFrom === 'official'
          ? { ...vlMeta(id, r.id), ...extra }
          : { ...extra, ...(id !== r.id ? { sourceId: r.id } : {}) };
      yield {
        item: {
          id,
          question: r.prompt,
          chosen: r.chosen,
          rejected: r.rejected,
          category: categoryFrom === 'official' ? vlRewardBenchCategory(r.id) : r.category,
          meta,
        },
        refs: paths.map((path): ImageRef => ({ kind: 'path', path })),
      };
    }
  }
  yield* withImages(items(), imagesRootFor(file, options), options);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** Parquet text may arrive as bytes when a column lacks the UTF8 annotation. */
const text = z.preprocess((v) => (v instanceof Uint8Array ? utf8.decode(v) : v), z.string());
const rank = z.preprocess((v) => (typeof v === 'bigint' ? Number(v) : v), z.number().int());
const bytes = z.instanceof(Uint8Array);

const ParquetRow = z.object({
  id: text.pipe(z.string().min(1)),
  query: text,
  response: z.array(text).length(2),
  image: z.union([z.object({ bytes: bytes.nullish(), path: text.nullish() }), bytes]).nullish(),
  human_ranking: z.array(rank).length(2),
});

const PARQUET_FIELDS = ['id', 'query', 'response', 'image', 'human_ranking'];

/** Extra parquet values made JSON-safe for `meta`: bigint → number, UTF-8 bytes → text. */
function plainValue(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Uint8Array) {
    try {
      return utf8.decode(value);
    } catch {
      return `<${value.byteLength} bytes>`;
    }
  }
  if (Array.isArray(value)) return value.map(plainValue);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainValue(v)]));
  }
  return value;
}

/** Reads the official VL-RewardBench parquet row group by row group, so the embedded images never all sit in memory. */
export async function* readVlRewardBenchParquet(
  file: string,
  options: ReadOptions = {},
): AsyncGenerator<PreferencePair> {
  const buffer = await asyncBufferFromFile(file);
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    metadata = await parquetMetadataAsync(buffer);
  } catch (error) {
    throw new DataFormatError(
      file,
      undefined,
      undefined,
      `not a readable parquet file (${(error as Error).message})`,
    );
  }
  const total = Number(metadata.num_rows);
  const ids = new UniqueIds();
  async function* items(): AsyncGenerator<RawPair> {
    // One row group at a time: hyparquet decodes whole row groups, so reading by group keeps each
    // group decoded once and only one group's images in memory.
    let start = 0;
    for (const group of metadata.row_groups) {
      const end = Math.min(total, start + Number(group.num_rows));
      const rows = await parquetReadObjects({
        file: buffer,
        metadata,
        rowStart: start,
        rowEnd: end,
        utf8: false,
      });
      for (const [offset, row] of rows.entries()) {
        const place = { file, line: start + offset + 1, unit: 'row' as const };
        const r = parseRecord(ParquetRow, row, place);
        const [first, second] = r.human_ranking as [number, number];
        if (first === second) {
          throw new DataFormatError(
            file,
            place.line,
            'human_ranking',
            `is a tie ${JSON.stringify([first, second])}`,
            'row',
          );
        }
        // human_ranking holds each response's rank: 0 = preferred (as the official scripts read it).
        const chosenIndex = first < second ? 0 : 1;
        const id = ids.next(r.id);
        const imageBytes = r.image instanceof Uint8Array ? r.image : (r.image?.bytes ?? undefined);
        const extra = plainValue(extraFields(row, PARQUET_FIELDS)) as Record<string, unknown>;
        yield {
          item: {
            id,
            question: r.query,
            chosen: r.response[chosenIndex]!,
            rejected: r.response[1 - chosenIndex]!,
            category: vlRewardBenchCategory(r.id),
            meta: {
              ...vlMeta(id, r.id),
              chosenPosition: chosenIndex + 1,
              ...(r.image instanceof Uint8Array || !r.image?.path ? {} : { imagePath: r.image.path }),
              ...extra,
            },
          },
          refs: [{ kind: 'bytes', bytes: imageBytes }],
        };
      }
      start = end;
    }
  }
  yield* withImages(items(), imagesRootFor(file, options), options);
}
