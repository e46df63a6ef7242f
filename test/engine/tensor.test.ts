// The Tensor API: creation, reading values, dtypes, devices, autograd, no-grad.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  arange,
  cudaIsAvailable,
  enableGrad,
  eye,
  full,
  isGradEnabled,
  linspace,
  noGrad,
  ones,
  randn,
  scope,
  tensor,
  zeros,
  zerosLike,
} from '../../src/engine/index.js';
import { engineSkipReason } from './fixtures.js';

const skip = engineSkipReason();

describe('Tensor creation and reading', { skip }, () => {
  it('infers dtypes from nested arrays like torch.tensor', () => {
    scope(() => {
      const ints = tensor([
        [1, 2],
        [3, 4],
      ]);
      assert.equal(ints.dtype, 'int64');
      assert.deepEqual(ints.shape, [2, 2]);
      assert.deepEqual(ints.toArray(), [
        [1, 2],
        [3, 4],
      ]);
      assert.equal(tensor([1, 2.5]).dtype, 'float32');
      assert.equal(tensor([true, false]).dtype, 'bool');
      assert.deepEqual(tensor([true, false]).toArray(), [true, false]);
      assert.equal(tensor(3.5).ndim, 0);
      assert.equal(tensor(3.5).item(), 3.5);
      assert.deepEqual(tensor([]).shape, [0]);
    });
  });

  it('takes typed arrays with a shape, and honours an explicit dtype', () => {
    scope(() => {
      const t = tensor(new Float64Array([1, 2, 3, 4, 5, 6]), { shape: [2, 3] });
      assert.equal(t.dtype, 'float64');
      assert.deepEqual(t.toArray(), [
        [1, 2, 3],
        [4, 5, 6],
      ]);
      assert.deepEqual([...(tensor(new Int32Array([7, 8])).toTypedArray() as Int32Array)], [7, 8]);
      const big = tensor(new BigInt64Array([2n ** 40n]));
      assert.equal(big.item(), 2 ** 40);
      const half = tensor([1.5, -2.25], { dtype: 'float16' });
      assert.equal(half.dtype, 'float16');
      assert.deepEqual(half.toArray(), [1.5, -2.25]);
      const bf = tensor([1, 3], { dtype: 'bfloat16' });
      assert.deepEqual(bf.float().toArray(), [1, 3]);
      assert.deepEqual(tensor([1, 2], { dtype: 'float64' }).toTypedArray(), new Float64Array([1, 2]));
    });
  });

  it('rejects ragged arrays, non-integers for int64 and wrong byte counts with clear errors', () => {
    assert.throws(
      () => tensor([[1, 2], [3]]),
      /ragged nested array: data\[1\] has length 1, expected length 2/,
    );
    assert.throws(
      () => tensor([1.5], { dtype: 'int64' }),
      /1.5 is not an integer, cannot make an int64 tensor/,
    );
    assert.throws(
      () => tensor(new Float32Array(5), { shape: [2, 3] }),
      /data has 20 bytes but shape \[2, 3\] of float32 needs 24/,
    );
    assert.throws(() => zeros([2], { dtype: 'complex64' as 'float32' }), /unknown dtype 'complex64'/);
  });

  it('creates filled, ranged and random tensors', () => {
    scope(() => {
      assert.deepEqual(zeros([2]).toArray(), [0, 0]);
      assert.deepEqual(ones([1, 2], { dtype: 'int64' }).toArray(), [[1, 1]]);
      assert.deepEqual(full([2], 7).toArray(), [7, 7]);
      assert.deepEqual(arange(4).toArray(), [0, 1, 2, 3]);
      assert.equal(arange(4).dtype, 'int64');
      assert.deepEqual(arange(1, 2, 0.5).toArray(), [1, 1.5]);
      assert.deepEqual(linspace(0, 1, 3).toArray(), [0, 0.5, 1]);
      assert.deepEqual(eye(2).toArray(), [
        [1, 0],
        [0, 1],
      ]);
      const r = randn([3, 4], { dtype: 'float64' });
      assert.equal(r.dtype, 'float64');
      assert.equal(r.numel(), 12);
      assert.equal(r.size(-1), 4);
      assert.deepEqual(zerosLike(r).shape, [3, 4]);
    });
  });

  it('converts dtypes and stays on the cpu device', () => {
    scope(() => {
      const t = tensor([1.7, -1.2]);
      assert.deepEqual(t.long().toArray(), [1, -1]);
      assert.deepEqual(t.to({ dtype: 'float64' }).dtype, 'float64');
      assert.equal(t.device, 'cpu');
      assert.equal(t.to('cpu').device, 'cpu');
      assert.match(t.toString(), /Tensor\(shape=\[2\], dtype=float32, device=cpu\)/);
    });
  });
});

describe('autograd', { skip }, () => {
  it('accumulates gradients over backward calls and drops them with zeroGrad', () => {
    scope(() => {
      const x = tensor([1, 2, 3], { dtype: 'float32', requiresGrad: true });
      assert.equal(x.grad, null);
      x.mul(x).sum().backward();
      assert.deepEqual(x.grad!.toArray(), [2, 4, 6]);
      x.mul(3).sum().backward();
      assert.deepEqual(x.grad!.toArray(), [5, 7, 9]);
      x.zeroGrad();
      assert.equal(x.grad, null);
    });
  });

  it('takes a gradient argument for non-scalar outputs and refuses to guess one', () => {
    scope(() => {
      const x = tensor([1, 2], { dtype: 'float32', requiresGrad: true });
      x.mul(2).backward(tensor([1, 10], { dtype: 'float32' }));
      assert.deepEqual(x.grad!.toArray(), [2, 20]);
      assert.throws(
        () => x.mul(2).backward(),
        /backward\(\) without a gradient needs a scalar output, got shape \[2\]/,
      );
    });
  });

  it('computes second derivatives with createGraph', () => {
    scope(() => {
      const x = tensor([2], { dtype: 'float64', requiresGrad: true });
      x.pow(3).sum().backward(undefined, { createGraph: true });
      const g = x.grad!;
      assert.deepEqual(g.toArray(), [12]);
      x.zeroGrad();
      g.sum().backward();
      assert.deepEqual(x.grad!.toArray(), [12]); // d(3x²)/dx = 6x
    });
  });

  it('detach, retainGrad and isLeaf behave as in PyTorch', () => {
    scope(() => {
      const x = tensor([1, 2], { dtype: 'float32', requiresGrad: true });
      const y = x.mul(2).retainGrad();
      assert.equal(x.isLeaf, true);
      assert.equal(y.isLeaf, false);
      assert.equal(y.detach().requiresGrad, false);
      y.sum().backward();
      assert.deepEqual(y.grad!.toArray(), [1, 1]);
    });
  });

  it('noGrad records no graph and restores the mode, also after a throw', () => {
    scope(() => {
      const x = tensor([1, 2], { dtype: 'float32', requiresGrad: true });
      const y = noGrad(() => x.mul(2));
      assert.equal(y.requiresGrad, false);
      assert.equal(isGradEnabled(), true);
      assert.throws(() =>
        noGrad(() => {
          throw new Error('boom');
        }),
      );
      assert.equal(isGradEnabled(), true);
      assert.equal(
        noGrad(() => enableGrad(() => x.mul(2).requiresGrad)),
        true,
      );
      // in-place updates of parameters are allowed under noGrad only
      assert.throws(
        () => x.add_(1),
        /a leaf Variable that requires grad is being used in an in-place operation/,
      );
      noGrad(() => x.add_(1));
      assert.deepEqual(x.detach().toArray(), [2, 3]);
    });
  });
});

describe('CUDA', {
  skip: skip || (!cudaIsAvailable() && 'no CUDA device (cudaIsAvailable() is false)'),
}, () => {
  it('moves tensors to the GPU, computes there, and back', () => {
    scope(() => {
      const a = randn([64, 64]);
      const g = a.to('cuda');
      assert.match(g.device, /^cuda/);
      const diff = g.matmul(g).cpu().sub(a.matmul(a)).abs().max().item();
      assert.ok(diff < 1e-3, `GPU and CPU matmul differ by ${diff}`);
      const x = randn([8], { device: 'cuda', requiresGrad: true });
      x.square().sum().backward();
      assert.match(x.grad!.device, /^cuda/);
    });
  });
});
