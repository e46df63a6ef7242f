// What the policy reward server judges a rollout on: the item (images, question, optional reference
// answer) of the prompt it answers. Items come from the policy's prompt file (`--data`, indexed
// once by the prompt the trainer sends back), or from the request's label as JSON; label fields
// override the file's. Images are paths under an images root or data URLs; a path is read and
// encoded once, then kept in a byte-bounded cache, so requests never re-read or re-encode it.
import { type DataUrlOptions, imageToDataUrl } from '../data/image-pipeline.js';
import { checkedRealPath, resolveUnderRoot } from '../data/images-root.js';
import { type PromptIndex, readPromptKeyedFile } from './prompt-index.js';

/** One prompt's item before its images are loaded: image references are paths or data URLs. */
export interface PolicyItemSpec {
  /** The line's `id`, else `file:line`; for an item in a label, its `id` or the label itself. */
  id: string;
  question: string;
  /** Absolute paths (already checked to lie under the images root) or data URLs, in prompt order. */
  imageRefs: readonly string[];
  reference?: string;
}

/** An item as the judge sees it: images as data URLs. */
export interface PolicyItem {
  id: string;
  images: readonly string[];
  question: string;
  reference?: string;
}

/** Where the fields of a `--data` line are. */
export interface PolicyDataOptions {
  /** The field holding the prompt the trainer sends (OpenRLHF's input_key; default `message`). */
  promptKey?: string;
  /** The field holding the reference answer (default `reference`). */
  referenceKey?: string;
  /** Folder that image paths are relative to (default: the data file's folder). */
  imagesRoot: string;
  /** Refuse lines without a reference (reference mode). */
  requireReference?: boolean;
}

/** A field of a label or data line is wrong; `field` names it relative to the label (`images/0`). */
export class ItemFieldError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

function isDataUrl(ref: string): boolean {
  return ref.startsWith('data:');
}

/** Checks image references: a data URL stays, a path is resolved under the root (never outside it). */
function imageRefs(value: unknown, root: string, field: string): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.some((v) => typeof v !== 'string' || v === ''))
    throw new ItemFieldError(`${field} must be a list of image paths or data URLs`, field);
  return (list as string[]).map((ref, i) => {
    if (isDataUrl(ref)) return ref;
    try {
      return resolveUnderRoot(root, ref);
    } catch {
      throw new ItemFieldError(
        `${field}/${i} (${JSON.stringify(ref).slice(0, 80)}) is not a path inside the images root ${root}; give paths relative to it (--images-root)`,
        `${field}/${i}`,
      );
    }
  });
}

type ChatPart = { type?: unknown; text?: unknown; image?: unknown; image_url?: { url?: unknown } };

/** Question text and image references of a prompt that is a JSON chat (R1-Reward / OpenAI style), or null. */
function fromChat(prompt: string): { question: string; images: string[] } | null {
  if (!prompt.startsWith('[')) return null;
  let chat: unknown;
  try {
    chat = JSON.parse(prompt);
  } catch {
    return null;
  }
  if (!Array.isArray(chat)) return null;
  const texts: string[] = [];
  const images: string[] = [];
  for (const turn of chat as { role?: unknown; content?: unknown }[]) {
    if (turn?.role !== 'user') continue;
    if (typeof turn.content === 'string') texts.push(turn.content);
    else if (Array.isArray(turn.content))
      for (const part of turn.content as ChatPart[]) {
        if (part?.type === 'text' && typeof part.text === 'string') texts.push(part.text);
        else if (part?.type === 'image' && typeof part.image === 'string') images.push(part.image);
        else if (part?.type === 'image_url' && typeof part.image_url?.url === 'string')
          images.push(part.image_url.url);
      }
  }
  return texts.length === 0 ? null : { question: texts.join('\n'), images };
}

/**
 * The item of one `--data` line: `question` (else the user text of a JSON-chat prompt, else the
 * prompt itself), `images` (else the chat's image parts), the reference field, `id`.
 */
export function itemFromDataLine(
  fields: Record<string, unknown>,
  prompt: string,
  where: string,
  options: PolicyDataOptions,
): PolicyItemSpec {
  const referenceKey = options.referenceKey ?? 'reference';
  const chat = fields['question'] === undefined || fields['images'] === undefined ? fromChat(prompt) : null;
  const question = fields['question'] ?? chat?.question ?? prompt;
  if (typeof question !== 'string') throw new Error(`${where}: 'question' must be a string`);
  const reference = fields[referenceKey];
  if (reference !== undefined && typeof reference !== 'string')
    throw new Error(`${where}: '${referenceKey}' must be a string (the reference answer)`);
  if (reference === undefined && options.requireReference)
    throw new Error(
      `${where}: no '${referenceKey}' (the reference answer that --mode reference compares against); add it, choose the field with --reference-key, or use --mode group`,
    );
  let refs: string[];
  try {
    refs = imageRefs(fields['images'] ?? fields['image'] ?? chat?.images ?? [], options.imagesRoot, 'images');
  } catch (error) {
    throw new Error(`${where}: ${(error as Error).message}`);
  }
  const id = typeof fields['id'] === 'string' && fields['id'] !== '' ? fields['id'] : where;
  return { id, question, imageRefs: refs, ...(reference === undefined ? {} : { reference }) };
}

/** Reads the policy's prompt file into a prompt → item index (same matching rules as serve-reward's labels). */
export function readPolicyItems(
  path: string,
  options: PolicyDataOptions,
): Promise<PromptIndex<PolicyItemSpec>> {
  const promptKey = options.promptKey ?? 'message';
  return readPromptKeyedFile<PolicyItemSpec>(path, {
    promptKey,
    otherFields: "'question', 'images' and the reference",
    noun: 'item',
    empty: 'no prompts found',
    read: (fields, where) => itemFromDataLine(fields, fields[promptKey] as string, where, options),
    same: (a, b) => JSON.stringify(a) === JSON.stringify({ ...b, id: a.id }),
    show: (item) => JSON.stringify(item.question).slice(0, 60),
  });
}

/**
 * A label as an item: a JSON object (or its JSON string) with `question`, `images`, `reference`,
 * `id` — its fields override `base` (the prompt's item in --data); without a base, a missing
 * question and images come from the prompt as a --data line's would. Any other non-empty string
 * is the reference answer. Returns `base` for an empty label.
 */
export function itemFromLabel(
  label: unknown,
  base: PolicyItemSpec | undefined,
  imagesRoot: string,
  prompt?: string | null,
): PolicyItemSpec | undefined {
  if (label === undefined || label === null || label === '') return base;
  let fields: unknown = label;
  if (typeof label === 'string') {
    const text = label.trimStart();
    if (!text.startsWith('{')) return withReference(base, label);
    try {
      fields = JSON.parse(label);
    } catch (error) {
      throw new ItemFieldError(`is not valid JSON (${(error as Error).message})`, '');
    }
  }
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields))
    throw new ItemFieldError(
      'must be a JSON object {"question", "images", "reference"}, a reference answer string, or null',
      '',
    );
  const f = fields as Record<string, unknown>;
  for (const key of ['question', 'reference', 'id'] as const)
    if (f[key] !== undefined && typeof f[key] !== 'string')
      throw new ItemFieldError(`${key} must be a string`, key);
  const chat = base || typeof prompt !== 'string' ? null : fromChat(prompt);
  const question = (f['question'] as string | undefined) ?? base?.question ?? chat?.question ?? prompt;
  if (typeof question !== 'string')
    throw new ItemFieldError(
      'has no question, and no prompt was sent to take it from; put "question" (and "images") in the label',
      'question',
    );
  const reference = (f['reference'] as string | undefined) ?? base?.reference;
  const images = f['images'] ?? f['image'];
  const id =
    (f['id'] as string | undefined) ??
    base?.id ??
    (typeof label === 'string' ? label : JSON.stringify(label));
  return {
    id,
    question,
    imageRefs:
      images !== undefined
        ? imageRefs(images, imagesRoot, 'images')
        : (base?.imageRefs ?? imageRefs(chat?.images ?? [], imagesRoot, 'images')),
    ...(reference === undefined ? {} : { reference }),
  };
}

function withReference(base: PolicyItemSpec | undefined, reference: string): PolicyItemSpec {
  if (!base)
    throw new ItemFieldError(
      'is a reference answer but its prompt is not in --data; send the item as JSON {"question", "images", "reference"}',
      '',
    );
  return { ...base, reference };
}

/** Options of {@link ItemImages}: the image pipeline's limits and the cache's byte budget. */
export interface ItemImagesOptions extends DataUrlOptions {
  imagesRoot: string;
  /** Data URL bytes kept in memory at most (default 512 MiB); the least recently used go first. */
  maxCachedBytes?: number;
}

interface CachedImages {
  urls: Promise<readonly string[]>;
  bytes: number;
}

/**
 * Loads items' images as data URLs: each list of paths is read and encoded once and kept in a
 * byte-bounded LRU, and the same list object is handed out again, so the judge's request keys
 * hash its images once (see requestKey).
 */
export class ItemImages {
  private readonly cache = new Map<string, CachedImages>();
  private cachedBytes = 0;

  constructor(private readonly options: ItemImagesOptions) {}

  /** The item with its images as data URLs. */
  async load(spec: PolicyItemSpec): Promise<PolicyItem> {
    return {
      id: spec.id,
      images: await this.urls(spec.imageRefs),
      question: spec.question,
      ...(spec.reference === undefined ? {} : { reference: spec.reference }),
    };
  }

  private urls(refs: readonly string[]): Promise<readonly string[]> {
    if (refs.every(isDataUrl)) return Promise.resolve(refs);
    const key = refs.join('\n');
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit.urls;
    }
    const entry: CachedImages = {
      urls: Promise.all(refs.map((ref) => (isDataUrl(ref) ? ref : this.encode(ref)))),
      bytes: 0,
    };
    this.cache.set(key, entry);
    entry.urls.then(
      (urls) => {
        if (this.cache.get(key) !== entry) return;
        entry.bytes = urls.reduce((sum, url) => sum + url.length, 0);
        this.cachedBytes += entry.bytes;
        this.evict();
      },
      // A failed load is not kept: the next request tries again (the file may have been fixed).
      () => this.cache.get(key) === entry && this.cache.delete(key),
    );
    return entry.urls;
  }

  private async encode(path: string): Promise<string> {
    await checkedRealPath(this.options.imagesRoot, path);
    return imageToDataUrl(path, this.options);
  }

  private evict(): void {
    const budget = this.options.maxCachedBytes ?? 512 * 1024 * 1024;
    for (const [key, entry] of this.cache) {
      if (this.cachedBytes <= budget || this.cache.size <= 1) break;
      this.cache.delete(key);
      this.cachedBytes -= entry.bytes;
    }
  }
}
