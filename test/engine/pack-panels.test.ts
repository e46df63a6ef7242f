// nn.packPanels: the decode step's weight layout, element by element, and its input checks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nn, tensor } from '../../src/engine/index.js';
import { engineSkipReason } from './fixtures.js';

const skip = engineSkipReason();

describe('packPanels', { skip }, () => {
  it('puts row 32·j + c of the weight in column c of panel j, zero-padding the last panel', () => {
    const N = 37;
    const K = 3;
    const weight = tensor(
      Float32Array.from({ length: N * K }, (_, i) => i + 1),
      { shape: [N, K] },
    );
    const packed = nn.packPanels(weight);
    assert.deepEqual(packed.shape, [2, K, 32]);
    const data = packed.toTypedArray() as Float32Array;
    for (let j = 0; j < 2; j++)
      for (let k = 0; k < K; k++)
        for (let c = 0; c < 32; c++) {
          const row = 32 * j + c;
          const want = row < N ? row * K + k + 1 : 0;
          assert.equal(data[(j * K + k) * 32 + c], want, `panel ${j}, k ${k}, column ${c}`);
        }
    weight.dispose();
    packed.dispose();
  });

  it('rejects weights that are not 2-d float32', () => {
    const t = tensor([1, 2, 3], { dtype: 'float64' });
    assert.throws(() => nn.packPanels(t), /2-d float32 CPU weight/);
    t.dispose();
  });
});
