// Every libtorch failure is a JS Error with libtorch's message; no input from JS aborts the process.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  arange,
  cudaIsAvailable,
  manualSeed,
  nn,
  randn,
  scope,
  setNumThreads,
  tensor,
  where,
  zeros,
} from '../../src/engine/index.js';
import { engine } from '../../src/engine/native.js';
import { engineSkipReason } from './fixtures.js';

const skip = engineSkipReason();

describe('errors carry libtorch messages', { skip }, () => {
  it('shape mismatches', () => {
    scope(() => {
      assert.throws(
        () => randn([3, 4]).matmul(randn([3, 4])),
        /mat1 and mat2 shapes cannot be multiplied \(3x4 and 3x4\)/,
      );
      assert.throws(
        () => randn([2, 3]).add(randn([2, 4])),
        /The size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1/,
      );
      assert.throws(() => randn([2, 3]).reshape([4, 2]), /shape '\[4, 2\]' is invalid for input of size 6/);
      assert.throws(
        () => randn([2, 3]).transpose(0, 1).view([6]),
        /view size is not compatible with input tensor's size/,
      );
      assert.throws(
        () => nn.linear(randn([2, 3]), randn([4, 5])),
        /mat1 and mat2 shapes cannot be multiplied/,
      );
      assert.throws(
        () => randn([2, 3]).select(0, 5),
        /select\(\): index 5 out of range for tensor of size \[2, 3\] at dimension 0/,
      );
    });
  });

  it('bad dtypes', () => {
    scope(() => {
      assert.throws(
        () => nn.embedding(tensor([0.5]), randn([3, 2])),
        /Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int/,
      );
      assert.throws(() => randn([2], { dtype: 'int64' }), /"normal_kernel_cpu" not implemented for 'Long'/);
      assert.throws(
        () => nn.crossEntropy(randn([2, 3]), tensor([0, 1], { dtype: 'int32' })),
        // libtorch 1.13's wording, then 2.x's
        /expected scalar type Long but found Int|expected target dtype to be Long or Byte, but got Int/,
      );
      assert.throws(
        () => where(tensor([1.5, 0]), 1, 0),
        /where expected condition to be a boolean tensor, but got a tensor with dtype Float/,
      );
    });
  });

  it('wrong or unavailable devices', () => {
    assert.throws(
      () => zeros([2], { device: 'tpu' as 'cpu' }),
      /unknown device 'tpu': use 'cpu', 'cuda' or 'cuda:N'/,
    );
    assert.throws(() => zeros([2], { device: 'cuda:x' as 'cuda' }), /Invalid device string: 'cuda:x'/);
    if (!cudaIsAvailable()) {
      const noCuda = /not linked with support for cuda devices|CUDA/i;
      assert.throws(() => zeros([2], { device: 'cuda' }), noCuda);
      assert.throws(() => randn([2]).to('cuda'), noCuda);
    }
  });

  it('out-of-range indices and invalid values', () => {
    scope(() => {
      assert.throws(() => nn.embedding(tensor([5]), randn([3, 2])), /index out of range in self/);
      assert.throws(() => randn([3, 2]).indexSelect(0, tensor([3])), /index out of range in self/);
      assert.throws(
        () => randn([2, 4]).gather(1, tensor([[5]])),
        /index 5 is out of bounds for dimension 1 with size 4/,
      );
      assert.throws(() => nn.crossEntropy(randn([2, 3]), tensor([0, 7])), /Target 7 is out of bounds/);
      assert.throws(
        () => tensor([0, 0], { dtype: 'float32' }).multinomial(1),
        /invalid multinomial distribution \(sum of probabilities <= 0\)/,
      );
      assert.throws(
        () => zeros([-1]),
        /Trying to create tensor with negative dimension -1|Dimension size must be non-negative/,
      );
      assert.throws(() => zeros([2 ** 45]), /can't allocate memory|DefaultCPUAllocator/);
      assert.throws(
        () => nn.dropout(randn([2]), 1.5, true),
        /dropout probability must be in \[0, 1\], got 1.5/,
      );
      assert.throws(
        () => randn([2, 2]).item(),
        /item\(\) needs a tensor with one element, got shape \[2, 2\]/,
      );
    });
  });

  it('autograd misuse', () => {
    scope(() => {
      const x = randn([2], { requiresGrad: true });
      const y = x.mul(x).sum();
      y.backward();
      assert.throws(() => y.backward(), /Trying to backward through the graph a second time/);
      assert.throws(
        () => randn([2]).sum().backward(),
        /element 0 of tensors does not require grad and does not have a grad_fn/,
      );
    });
  });

  it('bad arguments from JavaScript are TypeErrors, not crashes', () => {
    const native = engine();
    assert.throws(() => randn([2.5]), /shape must be an integer, got 2.5/);
    assert.throws(() => native.matmul({} as never, {} as never), /argument [01] must be a Tensor/);
    assert.throws(() => native.add(randn([1]).handle, 'x' as never), /other must be a number/);
    assert.throws(
      () => native.reshape(randn([1]).handle, 'x' as never),
      /shape must be an array of integers/,
    );
    assert.throws(() => native.cat([1, 2] as never, 0), /tensors must be a Tensor/);
    assert.throws(() => native.fromBytes([1, 2] as never, 0, [2]), /data must be a typed array/);
    assert.throws(() => native.zeros([1], 99), /unknown dtype code 99/);
    assert.throws(() => setNumThreads(0), /setNumThreads needs at least 1 thread, got 0/);
    assert.throws(() => manualSeed(-1), /manualSeed needs a non-negative integer/);
  });

  it('a disposed tensor cannot be used', () => {
    const t = arange(3);
    t.dispose();
    assert.equal(t.disposed, true);
    assert.throws(() => t.add(1), /argument 0 is a disposed Tensor/);
    t.dispose(); // twice is harmless
  });
});
