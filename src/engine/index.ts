/**
 * r1-reward's tensor engine: libtorch (PyTorch's C++ core) through a small N-API addon, with
 * PyTorch's names in camelCase. The addon loads on first use, never on import.
 *
 * ```ts
 * import { tensor, randn, zeros, scope, noGrad, nn, AdamW, manualSeed } from './engine/index.js';
 * manualSeed(0);
 * const w = randn([4, 3], { requiresGrad: true }).keep();   // parameters outlive scopes
 * const opt = new AdamW([w], { lr: 1e-3, weightDecay: 0.01 });
 * const loss = scope(() => {                                // frees every temporary made inside
 *   const x = tensor([[1, 2, 3, 4]], { dtype: 'float32' });
 *   const l = nn.crossEntropy(x.matmul(w), tensor([2]));
 *   l.backward();
 *   return l.item();                                        // returned tensors would survive
 * });
 * opt.step(); opt.zeroGrad();
 * ```
 *
 * - Creation: tensor (nested arrays / typed arrays), fromBytes, zeros/ones/full/empty/arange/linspace/eye,
 *   randn/rand/randint (seeded by manualSeed), *Like; dtypes float32/float64/int64/int32/bool/float16/
 *   bfloat16/uint8; device 'cpu' | 'cuda[:n]' with `.to()`.
 * - Tensor methods: arithmetic with broadcasting and number operands, unary math, reductions
 *   (sum/mean/var/std/max/min/amax/argmax/logsumexp/norm with dims and keepdim), softmax/logSoftmax,
 *   cumsum, topk/sort, multinomial, matmul/bmm, shape ops (reshape/view/permute/transpose/squeeze/
 *   unsqueeze/flatten/expand/split/chunk/slice/select/index/indexSelect/gather/scatter/maskedFill/
 *   triu/tril), cat/stack/where; reading with toArray/toTypedArray/item.
 * - nn: linear, embedding, layerNorm, conv2d, dropout, pad, crossEntropy (ignoreIndex), nllLoss, mseLoss,
 *   scaledDotProductAttention (causal or masked, one native call).
 * - Autograd: requiresGrad_, backward(gradient?), .grad, zeroGrad, detach, retainGrad; noGrad(fn).
 * - Optimizers: AdamW, SGD (momentum, Nesterov), clipGradNorm; schedules: set `opt.lr` yourself.
 * - Memory: scope(fn) frees what fn created except what it returns; t.dispose(); t.keep() exempts a
 *   tensor from scopes; garbage collection frees forgotten tensors as a safety net.
 * - Runtime: setNumThreads, manualSeed, cudaIsAvailable, engineInfo (libtorch version, BLAS loaded).
 * - safetensors: saveSafetensors (atomic), loadSafetensors, readSafetensorsHeader (bounds-checked).
 *
 * Every libtorch error surfaces as a JS Error carrying libtorch's message.
 *
 * @module
 */
export {
  BYTES_PER_ELEMENT,
  checkDevice,
  DEVICE_PATTERN,
  type Device,
  DTYPES,
  type DType,
  isFloating,
} from './dtype.js';
export { enableGrad, isGradEnabled, noGrad } from './grad-mode.js';
export { ADDON_PATH, EngineUnavailableError, engineAvailable } from './native.js';
export * as nn from './nn.js';
export { AdamW, type AdamWOptions, clipGradNorm, SGD, type SGDOptions, zeroGrad } from './optim.js';
export { type LibtorchProbe, probeLibtorch } from './probe.js';
export {
  cudaDeviceCount,
  cudaIsAvailable,
  type EngineInfo,
  engineInfo,
  getNumThreads,
  loadedBlas,
  manualSeed,
  requireDevice,
  setNumThreads,
} from './runtime.js';
export {
  loadSafetensors,
  readSafetensorsHeader,
  type SafetensorsEntry,
  SafetensorsError,
  type SafetensorsHeader,
  saveSafetensors,
} from './safetensors.js';
export { scope, scopeDepth } from './scope.js';
export {
  arange,
  type CreateOptions,
  cat,
  empty,
  eye,
  fromBytes,
  full,
  fullLike,
  linspace,
  type NestedArray,
  ones,
  onesLike,
  rand,
  randint,
  randn,
  randnLike,
  type Scalar,
  stack,
  Tensor,
  type TypedData,
  tensor,
  where,
  zeros,
  zerosLike,
} from './tensor.js';
