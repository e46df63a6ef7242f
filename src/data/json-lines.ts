// Streaming JSONL: one record per line, blank lines ignored, every error names file and line.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { DataFormatError } from './errors.js';

/** One parsed line of a JSONL file, with its line number for error messages. */
export interface JsonLine {
  /** 1-based line number in the file. */
  line: number;
  record: Record<string, unknown>;
}

/**
 * Streams a JSONL file as objects; blank lines are skipped and a malformed line throws a DataFormatError
 * naming the file and line.
 */
export async function* readJsonLines(file: string): AsyncGenerator<JsonLine> {
  const lines = createInterface({
    input: createReadStream(file, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let line = 0;
  try {
    for await (const text of lines) {
      line += 1;
      if (text.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        throw new DataFormatError(file, line, undefined, `invalid JSON (${(error as Error).message})`);
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new DataFormatError(file, line, undefined, 'expected a JSON object on this line');
      }
      yield { line, record: value as Record<string, unknown> };
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DataFormatError(file, undefined, undefined, 'file not found');
    if (code === 'EISDIR')
      throw new DataFormatError(file, undefined, undefined, 'is a folder, not a data file');
    throw error;
  }
}
