// Input checks shared by the algorithm functions. Every failure is a RangeError that names the
// argument and the offending index, so a caller never receives a silent NaN (spec: bad input).

/** A batch of per-token values: one row per sequence, padded to a common or ragged length. */
export type Matrix = number[][];

export function fail(message: string): never {
  throw new RangeError(message);
}

export function assertFiniteNumber(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    fail(`${name} must be a finite number, got ${String(value)}`);
  }
}

export function assertVector(name: string, values: unknown, length?: number): asserts values is number[] {
  if (!Array.isArray(values)) fail(`${name} must be an array of numbers`);
  if (values.length === 0) fail(`${name} is empty: the batch needs at least one sequence`);
  if (length !== undefined && values.length !== length) {
    fail(`${name} has ${values.length} entries but the batch has ${length} sequences`);
  }
  for (let i = 0; i < values.length; i++) assertFiniteNumber(`${name}[${i}]`, values[i]);
}

/**
 * Checks a mask: a non-empty array of rows of 0/1 values, no row entirely 0.
 * Returns the index of the last valid token of each row (where a sequence-level reward lands).
 */
export function checkMask(mask: unknown, name = 'mask'): number[] {
  if (!Array.isArray(mask)) fail(`${name} must be an array of rows (number[][])`);
  if (mask.length === 0) fail(`${name} is empty: the batch needs at least one sequence`);
  const last: number[] = [];
  for (let i = 0; i < mask.length; i++) {
    const row: unknown = mask[i];
    if (!Array.isArray(row)) fail(`${name}[${i}] must be an array of 0/1 values`);
    let lastValid = -1;
    for (let t = 0; t < row.length; t++) {
      const m = row[t];
      if (m !== 0 && m !== 1) fail(`${name}[${i}][${t}] must be 0 or 1, got ${String(m)}`);
      if (m === 1) lastValid = t;
    }
    if (lastValid < 0) fail(`${name}[${i}] has no valid token (every entry is 0); drop that sequence`);
    last.push(lastValid);
  }
  return last;
}

/** Checks that `values` has the mask's shape and is finite wherever the mask is 1. */
export function checkMasked(
  name: string,
  values: unknown,
  mask: Matrix,
  maskName = 'mask',
): asserts values is Matrix {
  if (!Array.isArray(values)) fail(`${name} must be an array of rows (number[][])`);
  if (values.length !== mask.length) {
    fail(`${name} has ${values.length} rows but ${maskName} has ${mask.length}`);
  }
  for (let i = 0; i < mask.length; i++) {
    const row: unknown = values[i];
    const maskRow = mask[i]!;
    if (!Array.isArray(row)) fail(`${name}[${i}] must be an array of numbers`);
    if (row.length !== maskRow.length) {
      fail(`${name}[${i}] has length ${row.length} but ${maskName}[${i}] has length ${maskRow.length}`);
    }
    for (let t = 0; t < row.length; t++) {
      if (maskRow[t] === 1) assertFiniteNumber(`${name}[${i}][${t}]`, row[t]);
    }
  }
}

/** Applies `fn` at every valid position and 0 elsewhere, keeping the mask's (ragged) shape. */
export function mapMasked(mask: Matrix, fn: (i: number, t: number) => number): Matrix {
  return mask.map((row, i) => row.map((m, t) => (m === 1 ? fn(i, t) : 0)));
}

/** Spreads one value per sequence over that sequence's valid tokens (0 on padding). */
export function broadcastToTokens(values: number[], mask: Matrix): Matrix {
  checkMask(mask);
  assertVector('values', values, mask.length);
  return mapMasked(mask, (i) => values[i]!);
}
