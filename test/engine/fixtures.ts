// Reads test/fixtures/engine/golden.json (written by scripts/make-engine-fixtures.py) and compares
// tensors with it; also says whether the engine can run here at all.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { type DType, engineAvailable, probeLibtorch, type Tensor, tensor } from '../../src/engine/index.js';

export interface Encoded {
  dtype: DType;
  shape: number[];
  data: (number | boolean | string)[];
}

export interface GoldenCase {
  name: string;
  inputs: Encoded[];
  differentiable: number[];
  outputs: Encoded[];
  upstream?: Encoded[];
  grads?: Encoded[];
}

export interface Golden {
  torch: string;
  cases: GoldenCase[];
  random: Record<string, Encoded>;
  optim: Record<string, unknown> & { p0: Encoded; c: Encoded };
}

export function loadGolden(): Golden {
  return JSON.parse(
    readFileSync(new URL('../fixtures/engine/golden.json', import.meta.url), 'utf8'),
  ) as Golden;
}

const decodeNumber = (v: number | boolean | string): number | boolean =>
  v === 'nan'
    ? Number.NaN
    : v === 'inf'
      ? Number.POSITIVE_INFINITY
      : v === '-inf'
        ? Number.NEGATIVE_INFINITY
        : (v as number | boolean);

export function decode(e: Encoded, dtype: DType = e.dtype): Tensor {
  const flat = e.data.map(decodeNumber);
  if (dtype === 'bool') return tensor(Uint8Array.from(flat, Number), { shape: e.shape, dtype: 'bool' });
  if (dtype === 'float64' || dtype === 'float32') {
    return tensor(Float64Array.from(flat, Number), { shape: e.shape }).to(dtype);
  }
  return tensor(
    BigInt64Array.from(flat, (v) => BigInt(Number(v))),
    { shape: e.shape },
  ).to(dtype);
}

/** Asserts same dtype, shape and values (relative + absolute tolerance; NaN and ±inf must match). */
export function assertClose(actual: Tensor, expected: Encoded, what: string, rtol = 1e-5, atol = 1e-6): void {
  assert.equal(actual.dtype, expected.dtype, `${what}: dtype`);
  assert.deepEqual([...actual.shape], expected.shape, `${what}: shape`);
  const got = actual.toFlatArray();
  expected.data.forEach((raw, i) => {
    const want = decodeNumber(raw);
    const have = got[i];
    if (typeof want === 'boolean' || typeof have === 'boolean') {
      assert.equal(have, want, `${what}[${i}]`);
      return;
    }
    const h = have as number;
    if (Number.isNaN(want) || !Number.isFinite(want)) {
      assert.ok(
        Object.is(h, want) || (Number.isNaN(want) && Number.isNaN(h)),
        `${what}[${i}]: ${h} vs ${want}`,
      );
      return;
    }
    assert.ok(Math.abs(h - want) <= atol + rtol * Math.abs(want), `${what}[${i}]: got ${h}, PyTorch ${want}`);
  });
}

/** Why engine tests must skip here, or false when they can run. Only a missing libtorch may skip. */
export function engineSkipReason(): string | false {
  if (engineAvailable()) return false;
  const probe = probeLibtorch();
  if (!probe.libraryFound) return `libtorch is not installed (${probe.source}); run bash scripts/setup.sh`;
  // libtorch is here, so the addon must build and load: fail loudly instead of skipping.
  throw new Error(
    `libtorch is installed but the engine addon does not load: run npm run build:native (${probe.addonPath})`,
  );
}
