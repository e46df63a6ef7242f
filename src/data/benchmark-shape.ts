// Which benchmark a data file looks like, from its first record, so that a file read under the
// wrong --benchmark is refused with the right name instead of being judged or scored as something
// else (a VL-RewardBench copy and MM-RLHF share their field names; only ids and paths differ).
import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import { MM_RLHF_CATEGORIES, vlRewardBenchSource } from './categories.js';
import { DataFormatError } from './errors.js';
import type { BenchmarkName } from './types.js';

const LABEL: Record<BenchmarkName, string> = {
  'vl-rewardbench': 'VL-RewardBench',
  'multimodal-rewardbench': 'Multimodal RewardBench',
  'mm-rlhf': 'MM-RLHF-RewardBench',
  synthetic: 'synthetic-world benchmark',
};

const withArticle = (b: BenchmarkName) => `${b === 'mm-rlhf' ? 'an' : 'a'} ${LABEL[b]}`;

/** Reads the first line of a JSONL file (up to 4 MiB); undefined when there is none that short. */
async function firstLine(file: string): Promise<string | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch {
    return undefined; // the reader reports a missing file itself
  }
  try {
    const buffer = Buffer.alloc(4 * 1024 * 1024);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const text = buffer.subarray(0, bytesRead).toString('utf8');
    return text.split('\n').find((line) => line.trim() !== '');
  } catch {
    return undefined; // a folder, say: the reader says what is wrong
  } finally {
    await handle.close();
  }
}

const firstSegment = (path: unknown) => (typeof path === 'string' ? (path.split('/')[0] ?? '') : '');

/** The benchmark a first record clearly belongs to, with the evidence; undefined when unsure. */
export function benchmarkOfRecord(
  record: Record<string, unknown>,
): { benchmark: BenchmarkName; why: string } | undefined {
  const has = (key: string) => key in record;
  if (has('ID') && has('Output1') && has('Better'))
    return { benchmark: 'multimodal-rewardbench', why: 'fields ID, Output1, Output2, Better' };
  if (typeof record['category'] === 'string') return { benchmark: 'synthetic', why: 'a `category` field' };
  if (has('video')) return { benchmark: 'mm-rlhf', why: 'a `video` field' };
  if ((MM_RLHF_CATEGORIES as readonly string[]).includes(firstSegment(record['image'])))
    return { benchmark: 'mm-rlhf', why: `image paths under ${MM_RLHF_CATEGORIES.join('/, ')}/` };
  const id = typeof record['id'] === 'string' ? record['id'] : '';
  // Any other prefix counts as vlfeedback in VL-RewardBench: only the named sources are evidence.
  if (vlRewardBenchSource(id) !== 'vlfeedback')
    return { benchmark: 'vl-rewardbench', why: `the id ${JSON.stringify(id)}` };
  return undefined;
}

/** Why a first record does not fit `declared`, or undefined when it fits (or nothing is sure). */
function mismatch(record: Record<string, unknown>, declared: BenchmarkName): string | undefined {
  const other = benchmarkOfRecord(record);
  const hint = other
    ? `; it looks like ${withArticle(other.benchmark)} file (${other.why}): pass --benchmark ${other.benchmark}`
    : '';
  if (declared === 'multimodal-rewardbench' && other && other.benchmark !== declared)
    return `Multimodal RewardBench is one JSON list (all_data.json), but this file holds one JSON object per line${hint}`;
  if (declared === 'synthetic' && typeof record['category'] !== 'string')
    return `a synthetic-world benchmark record has a \`category\` field and this one has none${hint}`;
  if (
    other &&
    other.benchmark !== declared &&
    !(declared === 'synthetic' && other.benchmark === 'vl-rewardbench')
  )
    return `this looks like ${withArticle(other.benchmark)} file (${other.why}), not ${LABEL[declared]}: pass --benchmark ${other.benchmark}`;
  return undefined;
}

/**
 * Refuses a file whose first line is a record of another benchmark than `declared`, naming the
 * benchmark it looks like and the flag to pass. Parquet files and JSON lists are left to their readers.
 */
export async function checkBenchmarkShape(declared: BenchmarkName, file: string): Promise<void> {
  if (extname(file).toLowerCase() === '.parquet') return;
  const line = await firstLine(file);
  let record: unknown;
  try {
    record = line === undefined ? undefined : JSON.parse(line);
  } catch {
    return; // a pretty-printed JSON list, or a syntax error the reader reports with its line
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return;
  const problem = mismatch(record as Record<string, unknown>, declared);
  if (problem) throw new DataFormatError(file, 1, undefined, problem);
}
