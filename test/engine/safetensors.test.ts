// safetensors: round trip of every dtype, the on-disk layout, and malformed files with clear errors.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  arange,
  loadSafetensors,
  randn,
  readSafetensorsHeader,
  saveSafetensors,
  scope,
  tensor,
} from '../../src/engine/index.js';
import { engineSkipReason } from './fixtures.js';

const skip = engineSkipReason();
const dir = mkdtempSync(join(tmpdir(), 'r1-safetensors-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A file from a header object and a data section, for the malformed-file tests. */
function craft(name: string, header: unknown, data = Buffer.alloc(0), lengthOverride?: bigint): string {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(lengthOverride ?? BigInt(json.length));
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([length, json, data]));
  return path;
}

describe('safetensors', { skip }, () => {
  it('round-trips every dtype, 0-d and empty tensors, and metadata', () => {
    scope(() => {
      const tensors = {
        f32: randn([2, 3]),
        f64: randn([4], { dtype: 'float64' }),
        i64: arange(5),
        i32: tensor([1, -2], { dtype: 'int32' }),
        bool: tensor([true, false, true]),
        f16: tensor([0.5, -1], { dtype: 'float16' }),
        bf16: tensor([2, 3], { dtype: 'bfloat16' }),
        u8: tensor([0, 255], { dtype: 'uint8' }),
        scalar: tensor(7.25),
        empty: randn([0, 3]),
        view: randn([3, 4]).transpose(0, 1),
      };
      const path = join(dir, 'all.safetensors');
      saveSafetensors(path, tensors, { format: 'pt', step: '12' });
      const { tensors: loaded, metadata } = loadSafetensors(path);
      assert.deepEqual(metadata, { format: 'pt', step: '12' });
      assert.deepEqual(Object.keys(loaded).sort(), Object.keys(tensors).sort());
      for (const [name, t] of Object.entries(tensors)) {
        const back = loaded[name]!;
        assert.equal(back.dtype, t.dtype, name);
        assert.deepEqual(back.shape, t.shape, name);
        assert.deepEqual(back.toArray(), t.toArray(), name);
      }
      assert.deepEqual(
        readdirSync(dir).filter((f) => f.includes('.tmp')),
        [],
        'no temp file is left behind',
      );
    });
  });

  it('writes the standard layout: u64 header length, 8-byte aligned JSON header, packed data', () => {
    scope(() => {
      const path = join(dir, 'layout.safetensors');
      saveSafetensors(path, { b: tensor([1, 2], { dtype: 'float32' }), a: tensor([3], { dtype: 'int64' }) });
      const bytes = readFileSync(path);
      const n = Number(bytes.readBigUInt64LE(0));
      assert.equal((8 + n) % 8, 0);
      const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
      assert.deepEqual(header, {
        a: { dtype: 'I64', shape: [1], data_offsets: [0, 8] },
        b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] },
      });
      assert.equal(bytes.length, 8 + n + 16);
      assert.equal(bytes.readFloatLE(8 + n + 8 + 4), 2);
      assert.deepEqual(readSafetensorsHeader(path).tensors['b'], {
        dtype: 'float32',
        shape: [2],
        begin: 8,
        end: 16,
      });
      assert.deepEqual(Object.keys(loadSafetensors(path, { names: ['b'] }).tensors), ['b']);
    });
  });

  it('rejects malformed files with errors that say what is wrong', () => {
    const tiny = join(dir, 'tiny.safetensors');
    writeFileSync(tiny, Buffer.from([1, 2, 3]));
    assert.throws(
      () => loadSafetensors(tiny),
      /tiny.safetensors: not a valid safetensors file: the file has 3 bytes/,
    );
    assert.throws(
      () => loadSafetensors(craft('long.safetensors', {}, Buffer.alloc(0), 1000n)),
      /the header length 1000 runs past the end of the 10-byte file/,
    );
    assert.throws(
      () => loadSafetensors(craft('huge.safetensors', {}, Buffer.alloc(0), 2n ** 40n)),
      /exceeds the 100000000-byte limit/,
    );
    assert.throws(() => loadSafetensors(craft('json.safetensors', '{"a": ')), /the header is not JSON/);
    assert.throws(
      () => loadSafetensors(craft('array.safetensors', '[1]')),
      /the header must be a JSON object/,
    );
    assert.throws(
      () =>
        loadSafetensors(
          craft(
            'dtype.safetensors',
            { x: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } },
            Buffer.alloc(8),
          ),
        ),
      /tensor 'x' has unsupported dtype "C64"/,
    );
    assert.throws(
      () =>
        loadSafetensors(
          craft(
            'shape.safetensors',
            { x: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } },
            Buffer.alloc(4),
          ),
        ),
      /tensor 'x' has a bad shape \[-1\]/,
    );
    assert.throws(
      () =>
        loadSafetensors(
          craft(
            'offsets.safetensors',
            { x: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } },
            Buffer.alloc(4),
          ),
        ),
      /tensor 'x' has bad data_offsets \[4,0\]/,
    );
    assert.throws(
      () =>
        loadSafetensors(
          craft(
            'past.safetensors',
            { x: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } },
            Buffer.alloc(8),
          ),
        ),
      /tensor 'x' ends at byte 16 of the data section, but the file holds only 8 data bytes \(truncated\?\)/,
    );
    assert.throws(
      () =>
        loadSafetensors(
          craft(
            'size.safetensors',
            { x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } },
            Buffer.alloc(8),
          ),
        ),
      /tensor 'x' spans 8 bytes but shape \[3\] of float32 needs 12/,
    );
    assert.throws(
      () =>
        loadSafetensors(
          craft(
            'overlap.safetensors',
            {
              x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
              y: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
            },
            Buffer.alloc(12),
          ),
        ),
      /tensors 'x' and 'y' overlap/,
    );
    assert.throws(
      () => loadSafetensors(craft('meta.safetensors', { __metadata__: { step: 3 } })),
      /__metadata__.step must be a string/,
    );
    assert.throws(
      () => loadSafetensors(craft('ok.safetensors', {}), { names: ['missing'] }),
      /it has no tensor named 'missing'/,
    );
  });
});
