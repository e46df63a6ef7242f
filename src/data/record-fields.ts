// Checks one record against its zod schema and turns the first problem into a DataFormatError
// naming file, line and field ("field 'chosen': missing (expected string)").
import type { z } from 'zod';
import { DataFormatError } from './errors.js';

export interface RecordPlace {
  file: string;
  line: number;
  unit?: 'line' | 'item' | 'row';
}

function valueAt(record: unknown, path: readonly PropertyKey[]): unknown {
  let value = record;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

export function parseRecord<T>(schema: z.ZodType<T>, record: unknown, place: RecordPlace): T {
  const result = schema.safeParse(record);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.length > 0 ? issue.path.map(String).join('.') : undefined;
  const value = valueAt(record, issue.path);
  let detail = issue.message;
  if (issue.code === 'invalid_type') {
    detail =
      value === undefined
        ? `missing (expected ${issue.expected})`
        : `expected ${issue.expected}, got ${describe(value)}`;
  }
  throw new DataFormatError(place.file, place.line, field, detail, place.unit ?? 'line');
}
