// Image descriptions (captions) as JSONL: `{"id": "...", "image": "images/x.png", "caption": "..."}`
// (or `"images": [...]` for several; an optional `"prompt"` replaces the caption instruction, so the
// same data path trains a policy on question → answer). The data of the perception pretraining stage that precedes the
// judge's SFT, as LLaVA-style models are aligned on captions before instruction tuning; the synthetic
// world writes one per training scene (captions.jsonl).
import { z } from 'zod';
import { imagesOrSkip, type ReadOptions } from './item-images.js';
import { readJsonLines } from './json-lines.js';
import { imagesRootFor } from './loaders/read-pairs.js';
import { parseRecord } from './record-fields.js';
import type { ImageInput } from './types.js';

/** One image description: its id, its image(s) (checked) and the caption text. */
export interface Caption {
  id: string;
  images: ImageInput[];
  caption: string;
  /** The instruction after the images (default: the caption prompt): a question, for a policy's answers. */
  prompt?: string;
}

const CaptionRecord = z
  .object({
    id: z.string().min(1),
    image: z.string().min(1).optional(),
    images: z.array(z.string().min(1)).min(1).optional(),
    caption: z.string().min(1),
    prompt: z.string().min(1).optional(),
  })
  .refine((r) => (r.image === undefined) !== (r.images === undefined), {
    message: "give exactly one of 'image' (a path) or 'images' (a list of paths)",
    path: ['image'],
  });

/** Streams a captions file; errors name the file, line and field. */
export async function* readCaptions(file: string, options: ReadOptions = {}): AsyncGenerator<Caption> {
  const root = imagesRootFor(file, options);
  for await (const { line, record } of readJsonLines(file)) {
    const r = parseRecord(CaptionRecord, record, { file, line });
    const paths = r.images ?? [r.image!];
    const refs = paths.map((path) => ({ kind: 'path' as const, path }));
    const images = await imagesOrSkip(r.id, refs, root, options);
    if (images) yield { id: r.id, images, caption: r.caption, ...(r.prompt ? { prompt: r.prompt } : {}) };
  }
}
