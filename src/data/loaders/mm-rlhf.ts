// MM-RLHF-RewardBench (JSONL): id, image | video, prompt, chosen, rejected, chosen_reason,
// rejected_reason. `id` is a question id shared by several pairs (the Acc+ group), so each pair gets
// `${id}#${k}` and the question id is kept as `meta.groupId`. A video is a folder of frames.
import { z } from 'zod';
import { mmRlhfCategory } from '../categories.js';
import { DataFormatError } from '../errors.js';
import type { ReadOptions } from '../item-images.js';
import { readJsonLines } from '../json-lines.js';
import { parseRecord } from '../record-fields.js';
import type { PreferencePair } from '../types.js';
import { extraFields, imagesRootFor, type RawPair, withImages } from './read-pairs.js';

const Item = z.object({
  id: z.string().min(1),
  prompt: z.string(),
  chosen: z.string(),
  rejected: z.string(),
  image: z.string().min(1).optional(),
  video: z.string().min(1).optional(),
});

const FIELDS = ['id', 'prompt', 'chosen', 'rejected', 'image', 'video'];

export async function* readMmRlhfRewardBench(
  file: string,
  options: ReadOptions = {},
): AsyncGenerator<PreferencePair> {
  const perGroup = new Map<string, number>();
  async function* items(): AsyncGenerator<RawPair> {
    for await (const { line, record } of readJsonLines(file)) {
      const r = parseRecord(Item, record, { file, line });
      if ((r.image === undefined) === (r.video === undefined)) {
        throw new DataFormatError(file, line, 'image', 'an item needs exactly one of `image` and `video`');
      }
      const k = (perGroup.get(r.id) ?? 0) + 1;
      perGroup.set(r.id, k);
      const path = (r.image ?? r.video)!;
      const category = mmRlhfCategory(path);
      yield {
        item: {
          id: `${r.id}#${k}`,
          question: r.prompt,
          chosen: r.chosen,
          rejected: r.rejected,
          ...(category === undefined ? {} : { category }),
          meta: {
            groupId: r.id,
            sourceId: r.id,
            ...(r.video === undefined ? {} : { video: r.video }),
            ...extraFields(record, FIELDS),
          },
        },
        refs: [r.video === undefined ? { kind: 'path', path } : { kind: 'video', path }],
      };
    }
  }
  yield* withImages(items(), imagesRootFor(file, options), options);
}
