// Durable append-only JSON-lines files (judgements, cache). Each record is one write() of one whole
// line, so a killed process leaves every finished record on disk; a torn last line (power loss)
// is cut off when the file is reopened, and only that record is redone.
import { closeSync, existsSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { readFile, truncate } from 'node:fs/promises';

/** Options of {@link readJudgementLines}. */
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

/**
 * Appends records as JSON lines with one synchronous write() each: a short line lands in the page
 * cache in microseconds, so this costs less CPU than a thread-pool round trip per record, keeps
 * lines in call order, and a record is on disk (safe from a kill) as soon as append returns.
 */
export class AppendLog {
  private constructor(
    private readonly fd: number,
    readonly file: string,
  ) {}

  static async open(file: string): Promise<AppendLog> {
    return new AppendLog(openSync(file, 'a'), file);
  }

  append(record: unknown): void {
    const bytes = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(this.fd, bytes, offset);
  }

  /** Syncs the lines to the disk (power-loss safety) and closes the file. */
  async close(): Promise<void> {
    fdatasyncSync(this.fd);
    closeSync(this.fd);
  }
}
