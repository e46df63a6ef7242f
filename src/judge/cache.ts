// The content-keyed judgement cache: request key (backend identity + images + prompt text, see
// requestKey) → the samples drawn for it. Only successful samples are ever put here, so errors are
// never cached; a later, larger K reuses the samples already drawn and draws only the rest.
import { AppendLog, readJsonLines } from './append-log.js';

/**
 * The content-keyed judgement cache: request key → the samples drawn for it (only successful samples are
 * stored).
 */
export interface JudgementCache {
  get(key: string): readonly string[] | undefined;
  put(key: string, samples: readonly string[]): void;
}

interface CacheLine {
  key: string;
  samples: readonly string[];
}

/** A judgement cache held in memory only (the default of one rankCandidates call). */
export class MemoryJudgementCache implements JudgementCache {
  constructor(private readonly entries = new Map<string, readonly string[]>()) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): readonly string[] | undefined {
    return this.entries.get(key);
  }

  put(key: string, samples: readonly string[]): void {
    this.keep(key, samples);
  }

  /** Stores the samples unless as many are already known for the key; says whether it stored them. */
  protected keep(key: string, samples: readonly string[]): boolean {
    const known = this.entries.get(key);
    if (known && known.length >= samples.length) return false;
    this.entries.set(key, samples);
    return true;
  }
}

/** A cache kept in memory and appended to a JSON-lines file (the last line for a key wins). */
export class FileJudgementCache extends MemoryJudgementCache {
  private constructor(
    entries: Map<string, readonly string[]>,
    private readonly log: AppendLog,
  ) {
    super(entries);
  }

  static async open(file: string): Promise<FileJudgementCache> {
    const entries = new Map<string, readonly string[]>();
    await readJsonLines<CacheLine>(
      file,
      (line) => {
        if (typeof line?.key === 'string' && Array.isArray(line.samples)) entries.set(line.key, line.samples);
      },
      { repair: true },
    );
    return new FileJudgementCache(entries, await AppendLog.open(file));
  }

  override put(key: string, samples: readonly string[]): void {
    if (this.keep(key, samples)) this.log.append({ key, samples } satisfies CacheLine);
  }

  close(): Promise<void> {
    return this.log.close();
  }
}
