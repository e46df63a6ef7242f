// A byte-level BPE tokenizer, trainable on our corpora and saved as `tokenizer.json`.
//
// Why by hand: the well-kept JS tokenizer packages only *load* tokenizers trained elsewhere (in
// Python); none trains one, and none is small. Byte-level BPE (as in GPT-2) round-trips any UTF-8
// text exactly, and trained on the synthetic world it reaches near word-level compression, which
// keeps prompt + image + answer short on a 2-core machine.
//
// Layout of ids: special tokens first (pad = 0), then the 256 bytes, then one id per merge.

/** The tokenizer's special tokens (pad = id 0, image placeholder, think / answer tags, …). */
export const SPECIAL_TOKENS = {
  pad: '<|pad|>',
  eos: '<|endoftext|>',
  image: '<|image|>',
  thinkOpen: '<think>',
  thinkClose: '</think>',
  answerOpen: '<answer>',
  answerClose: '</answer>',
} as const;

/** A key of {@link SPECIAL_TOKENS}. */
export type SpecialTokenName = keyof typeof SPECIAL_TOKENS;

/** Splits text into chunks that merges never cross (GPT-2's rule: words keep their leading space). */
const PRETOKENIZE = /'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** The saved form of a {@link Tokenizer} (tokenizer.json). */
export interface TokenizerJson {
  type: 'byte-bpe';
  version: 1;
  specialTokens: string[];
  merges: [number, number][];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

/**
 * A byte-level BPE tokenizer (GPT-2's pre-tokenisation), trained with {@link Tokenizer.train}; special tokens
 * first, then the 256 bytes, then the merges.
 */
export class Tokenizer {
  readonly specialTokens: readonly string[];
  readonly merges: readonly [number, number][];
  private readonly specialIds = new Map<string, number>();
  private readonly mergeRank = new Map<string, number>();
  /** Bytes of every non-special id. */
  private readonly pieces: Uint8Array[] = [];
  private readonly chunkCache = new Map<string, number[]>();
  private readonly specialSplit: RegExp;

  constructor(json: TokenizerJson) {
    if (json?.type !== 'byte-bpe' || json.version !== 1) {
      throw new Error(
        `tokenizer.json: expected {"type":"byte-bpe","version":1}, got type=${String(json?.type)} version=${String(json?.version)}`,
      );
    }
    if (!Array.isArray(json.specialTokens) || !Array.isArray(json.merges)) {
      throw new Error('tokenizer.json: "specialTokens" and "merges" must be arrays');
    }
    this.specialTokens = json.specialTokens;
    this.merges = json.merges;
    json.specialTokens.forEach((tok, i) => {
      if (typeof tok !== 'string' || tok.length === 0)
        throw new Error(`tokenizer.json: specialTokens[${i}] must be a non-empty string`);
      if (this.specialIds.has(tok))
        throw new Error(`tokenizer.json: special token ${JSON.stringify(tok)} appears twice`);
      this.specialIds.set(tok, i);
    });
    for (const name of Object.keys(SPECIAL_TOKENS) as SpecialTokenName[]) {
      if (!this.specialIds.has(SPECIAL_TOKENS[name])) {
        throw new Error(`tokenizer.json: missing the special token ${SPECIAL_TOKENS[name]} (${name})`);
      }
    }
    for (let b = 0; b < 256; b++) this.pieces.push(Uint8Array.of(b));
    json.merges.forEach(([a, b], rank) => {
      const id = this.byteOffset + this.pieces.length;
      const pa = this.pieceOf(a);
      const pb = this.pieceOf(b);
      if (!pa || !pb || a >= id || b >= id) {
        throw new Error(
          `tokenizer.json: merges[${rank}] = [${a}, ${b}] refers to an id that is not defined before it`,
        );
      }
      const joined = new Uint8Array(pa.length + pb.length);
      joined.set(pa, 0);
      joined.set(pb, pa.length);
      this.pieces.push(joined);
      this.mergeRank.set(`${a},${b}`, rank);
    });
    const escaped = [...this.specialIds.keys()]
      .sort((x, y) => y.length - x.length)
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    this.specialSplit = new RegExp(`(${escaped.join('|')})`);
  }

  /** Trains merges on a corpus until the vocabulary reaches `vocabSize` (or no pair repeats). */
  static train(corpus: Iterable<string>, options: { vocabSize: number; minFrequency?: number }): Tokenizer {
    const specialTokens = Object.values(SPECIAL_TOKENS);
    const byteOffset = specialTokens.length;
    const { vocabSize, minFrequency = 2 } = options;
    if (!Number.isInteger(vocabSize) || vocabSize < byteOffset + 256) {
      throw new RangeError(
        `vocabSize must be an integer ≥ ${byteOffset + 256} (special tokens + 256 bytes), got ${vocabSize}`,
      );
    }
    // Count pre-tokenized chunks once; merges then operate on the distinct chunks.
    const counts = new Map<string, number>();
    const special = new RegExp(
      `(${specialTokens.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`,
    );
    for (const text of corpus) {
      for (const part of text.split(special)) {
        if (specialTokens.includes(part as (typeof specialTokens)[number])) continue;
        for (const chunk of part.match(PRETOKENIZE) ?? []) counts.set(chunk, (counts.get(chunk) ?? 0) + 1);
      }
    }
    const words = [...counts.entries()].map(([chunk, count]) => ({
      ids: [...encoder.encode(chunk)].map((b) => b + byteOffset),
      count,
    }));
    const merges: [number, number][] = [];
    while (byteOffset + 256 + merges.length < vocabSize) {
      const pairs = new Map<string, number>();
      for (const { ids, count } of words) {
        for (let i = 0; i + 1 < ids.length; i++) {
          const key = `${ids[i]},${ids[i + 1]}`;
          pairs.set(key, (pairs.get(key) ?? 0) + count);
        }
      }
      let best: string | null = null;
      let bestCount = 0;
      for (const [key, count] of pairs) {
        // Ties go to the smallest pair key, so training is deterministic.
        if (count > bestCount || (count === bestCount && best !== null && key < best)) {
          best = key;
          bestCount = count;
        }
      }
      if (best === null || bestCount < minFrequency) break;
      const [a, b] = best.split(',').map(Number) as [number, number];
      const newId = byteOffset + 256 + merges.length;
      merges.push([a, b]);
      for (const word of words) word.ids = mergePair(word.ids, a, b, newId);
    }
    return new Tokenizer({ type: 'byte-bpe', version: 1, specialTokens, merges });
  }

  get vocabSize(): number {
    return this.byteOffset + this.pieces.length;
  }

  /** Id of a special token by name (e.g. `eos`, `image`). */
  id(name: SpecialTokenName): number {
    return this.specialIds.get(SPECIAL_TOKENS[name])!;
  }

  /** Encodes text; special-token strings inside it become their single ids. */
  encode(text: string): number[] {
    const out: number[] = [];
    for (const part of text.split(this.specialSplit)) {
      if (part === '') continue;
      const special = this.specialIds.get(part);
      if (special !== undefined) {
        out.push(special);
        continue;
      }
      for (const chunk of part.match(PRETOKENIZE) ?? []) out.push(...this.encodeChunk(chunk));
    }
    return out;
  }

  /** Decodes ids back to text; `skipSpecial` drops special tokens (e.g. padding, end of sequence). */
  decode(ids: readonly number[], options: { skipSpecial?: boolean } = {}): string {
    let text = '';
    let bytes: number[] = [];
    const flush = () => {
      if (bytes.length > 0) text += decoder.decode(Uint8Array.from(bytes));
      bytes = [];
    };
    for (const [i, id] of ids.entries()) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new RangeError(`decode: ids[${i}] = ${id} is outside the vocabulary [0, ${this.vocabSize})`);
      }
      if (id < this.byteOffset) {
        flush();
        if (!options.skipSpecial) text += this.specialTokens[id];
      } else {
        for (const b of this.pieces[id - this.byteOffset]!) bytes.push(b);
      }
    }
    flush();
    return text;
  }

  toJSON(): TokenizerJson {
    return {
      type: 'byte-bpe',
      version: 1,
      specialTokens: [...this.specialTokens],
      merges: this.merges.map(([a, b]) => [a, b]),
    };
  }

  private get byteOffset(): number {
    return this.specialTokens.length;
  }

  private pieceOf(id: number): Uint8Array | undefined {
    return id >= this.byteOffset ? this.pieces[id - this.byteOffset] : undefined;
  }

  private encodeChunk(chunk: string): number[] {
    const cached = this.chunkCache.get(chunk);
    if (cached) return cached;
    let ids = [...encoder.encode(chunk)].map((b) => b + this.byteOffset);
    // Standard BPE: repeatedly apply the lowest-ranked merge present.
    for (;;) {
      let bestRank = Number.POSITIVE_INFINITY;
      let bestAt = -1;
      for (let i = 0; i + 1 < ids.length; i++) {
        const rank = this.mergeRank.get(`${ids[i]},${ids[i + 1]}`);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          bestAt = i;
        }
      }
      if (bestAt < 0) break;
      const [a, b] = this.merges[bestRank]!;
      ids = mergePair(ids, a, b, this.byteOffset + 256 + bestRank);
    }
    if (this.chunkCache.size < 100_000) this.chunkCache.set(chunk, ids);
    return ids;
  }
}

function mergePair(ids: number[], a: number, b: number, merged: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    if (i + 1 < ids.length && ids[i] === a && ids[i + 1] === b) {
      out.push(merged);
      i++;
    } else {
      out.push(ids[i]!);
    }
  }
  return out;
}
