// Durable append-only JSON-lines files (judgements, cache). Each record is one write() of one whole
// line, so a killed process leaves every finished record on disk; a torn last line (power loss)
// is cut off when the file is reopened, and only that record is redone.
import { existsSync } from 'node:fs';
import { type FileHandle, open, readFile, truncate } from 'node:fs/promises';

export interface ReadOptions {
  /** Cut a torn last line off the file (before appending to it); readers that only score leave it. */
  repair?: boolean;
  onTorn?: (bytes: number) => void;
}

/**
 * Reads every complete line of a JSON-lines file. A last line without its newline is torn (a write
 * cut short, or one still in progress): it is skipped, reported through `onTorn`, and with
 * `repair` cut off so that later appends start on a fresh line. A damaged line in the middle is an
 * error naming the line, because silently skipping it would lose data.
 */
export async function readJsonLines<T>(
  file: string,
  onRecord: (record: T, line: number) => void,
  options: ReadOptions = {},
): Promise<number> {
  if (!existsSync(file)) return 0;
  const buffer = await readFile(file);
  const end = buffer.lastIndexOf(0x0a) + 1;
  if (end < buffer.length) {
    options.onTorn?.(buffer.length - end);
    if (options.repair) await truncate(file, end);
  }
  let count = 0;
  let start = 0;
  let line = 0;
  while (start < end) {
    const newline = buffer.indexOf(0x0a, start);
    line++;
    const text = buffer.toString('utf8', start, newline).trim();
    start = newline + 1;
    if (text === '') continue;
    let record: T;
    try {
      record = JSON.parse(text) as T;
    } catch (error) {
      throw new Error(
        `${file}:${line} is not valid JSON (${(error as Error).message}); fix or delete that line, then rerun`,
      );
    }
    onRecord(record, line);
    count++;
  }
  return count;
}

/** Appends records as JSON lines; concurrent appends are batched into one write, in call order. */
export class AppendLog {
  private pending: string[] = [];
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private writing: Promise<void> | null = null;

  private constructor(
    private readonly handle: FileHandle,
    readonly file: string,
  ) {}

  static async open(file: string): Promise<AppendLog> {
    return new AppendLog(await open(file, 'a'), file);
  }

  /** Resolves once the line is written to the file (it then survives the process being killed). */
  append(record: unknown): Promise<void> {
    this.pending.push(`${JSON.stringify(record)}\n`);
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.writing ??= this.flush();
    return done;
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const text = this.pending.join('');
      const waiters = this.waiters;
      this.pending = [];
      this.waiters = [];
      try {
        await this.handle.appendFile(text);
        for (const w of waiters) w.resolve();
      } catch (error) {
        for (const w of waiters) w.reject(error);
      }
    }
    this.writing = null;
  }

  /** Waits for pending lines, syncs them to the disk and closes the file. */
  async close(): Promise<void> {
    await this.writing;
    await this.handle.datasync();
    await this.handle.close();
  }
}
