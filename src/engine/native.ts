// Loads the libtorch addon lazily: importing r1-reward never loads it; the first tensor operation
// does, and a missing build gives one clear error saying how to build it.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { R1RewardError } from '../errors.js';
import { startupThreads } from './threads.js';

/** An opaque reference to one at::Tensor owned by the addon. */
export type Handle = { readonly __tensorHandle: unique symbol };
type H = Handle;
type Opt<T> = T | null | undefined;
type Num = H | number | boolean;

/** The functions native/engine.cc exports (dtype codes from dtype.ts). */
export interface NativeEngine {
  fromBytes(data: ArrayBufferView, dtype: number, shape: readonly number[], device?: string): H;
  toBytes(t: H): Buffer;
  item(t: H): number | boolean;
  zeros(shape: readonly number[], dtype?: number, device?: string): H;
  ones(shape: readonly number[], dtype?: number, device?: string): H;
  full(shape: readonly number[], value: number | boolean, dtype?: number, device?: string): H;
  empty(shape: readonly number[], dtype?: number, device?: string): H;
  randn(shape: readonly number[], dtype?: number, device?: string): H;
  rand(shape: readonly number[], dtype?: number, device?: string): H;
  randint(low: number, high: number, shape: readonly number[], dtype?: number, device?: string): H;
  arange(start: number, end: number, step: number, dtype?: number, device?: string): H;
  linspace(start: number, end: number, steps: number, dtype?: number, device?: string): H;
  eye(n: number, dtype?: number, device?: string): H;
  shape(t: H): number[];
  dtype(t: H): number;
  device(t: H): string;
  requiresGrad(t: H): boolean;
  isContiguous(t: H): boolean;
  isDisposed(t: H): boolean;
  dispose(t: H): void;
  to(t: H, dtype: Opt<number>, device: Opt<string>, copy: boolean): H;
  contiguous(t: H): H;
  clone(t: H): H;
  detach(t: H): H;
  alias(t: H): H;
  neg(t: H): H;
  exp(t: H): H;
  log(t: H): H;
  log1p(t: H): H;
  expm1(t: H): H;
  sqrt(t: H): H;
  rsqrt(t: H): H;
  abs(t: H): H;
  tanh(t: H): H;
  sigmoid(t: H): H;
  relu(t: H): H;
  silu(t: H): H;
  sin(t: H): H;
  cos(t: H): H;
  floor(t: H): H;
  ceil(t: H): H;
  round(t: H): H;
  sign(t: H): H;
  erf(t: H): H;
  reciprocal(t: H): H;
  square(t: H): H;
  logical_not(t: H): H;
  isnan(t: H): H;
  isinf(t: H): H;
  log2(t: H): H;
  trunc(t: H): H;
  gelu(t: H, approximate: 'none' | 'tanh'): H;
  add(a: H, b: Num): H;
  sub(a: H, b: Num): H;
  mul(a: H, b: Num): H;
  div(a: H, b: Num): H;
  maximum(a: H, b: Num): H;
  minimum(a: H, b: Num): H;
  eq(a: H, b: Num): H;
  ne(a: H, b: Num): H;
  lt(a: H, b: Num): H;
  le(a: H, b: Num): H;
  gt(a: H, b: Num): H;
  ge(a: H, b: Num): H;
  logical_and(a: H, b: Num): H;
  logical_or(a: H, b: Num): H;
  logical_xor(a: H, b: Num): H;
  remainder(a: H, b: Num): H;
  atan2(a: H, b: Num): H;
  floor_divide(a: H, b: Num): H;
  fmod(a: H, b: Num): H;
  pow(a: H, b: Num): H;
  clamp(t: H, min: Opt<number>, max: Opt<number>): H;
  where(cond: H, a: Num, b: Num): H;
  maskedFill(t: H, mask: H, value: Num): H;
  sum(t: H, dims: Opt<readonly number[]>, keepdim: boolean, dtype?: number): H;
  mean(t: H, dims: Opt<readonly number[]>, keepdim: boolean, dtype?: number): H;
  prod(t: H, dim: Opt<number>, keepdim: boolean): H;
  amax(t: H, dims: readonly number[], keepdim: boolean): H;
  amin(t: H, dims: readonly number[], keepdim: boolean): H;
  logsumexp(t: H, dims: readonly number[], keepdim: boolean): H;
  var(t: H, dims: Opt<readonly number[]>, correction: number, keepdim: boolean): H;
  std(t: H, dims: Opt<readonly number[]>, correction: number, keepdim: boolean): H;
  maxDim(t: H, dim: number, keepdim: boolean): [H, H];
  minDim(t: H, dim: number, keepdim: boolean): [H, H];
  maxAll(t: H): H;
  minAll(t: H): H;
  argmax(t: H, dim: Opt<number>, keepdim: boolean): H;
  argmin(t: H, dim: Opt<number>, keepdim: boolean): H;
  all(t: H): H;
  any(t: H): H;
  norm(t: H, p: number, dims: Opt<readonly number[]>, keepdim: boolean): H;
  softmax(t: H, dim: number, dtype?: number): H;
  logSoftmax(t: H, dim: number, dtype?: number): H;
  cumsum(t: H, dim: number, dtype?: number): H;
  topk(t: H, k: number, dim: number, largest: boolean, sorted: boolean): [H, H];
  sort(t: H, dim: number, descending: boolean): [H, H];
  argsort(t: H, dim: number, descending: boolean): H;
  multinomial(t: H, numSamples: number, replacement: boolean): H;
  matmul(a: H, b: H): H;
  bmm(a: H, b: H): H;
  mm(a: H, b: H): H;
  outer(a: H, b: H): H;
  reshape(t: H, shape: readonly number[]): H;
  view(t: H, shape: readonly number[]): H;
  permute(t: H, dims: readonly number[]): H;
  transpose(t: H, dim0: number, dim1: number): H;
  squeeze(t: H, dim?: number): H;
  unsqueeze(t: H, dim: number): H;
  flatten(t: H, startDim: number, endDim: number): H;
  expand(t: H, shape: readonly number[]): H;
  broadcastTo(t: H, shape: readonly number[]): H;
  repeat(t: H, repeats: readonly number[]): H;
  flip(t: H, dims: readonly number[]): H;
  cat(tensors: readonly H[], dim: number): H;
  stack(tensors: readonly H[], dim: number): H;
  split(t: H, sizeOrSizes: number | readonly number[], dim: number): H[];
  chunk(t: H, chunks: number, dim: number): H[];
  unbind(t: H, dim: number): H[];
  slice(t: H, dim: number, start: Opt<number>, end: Opt<number>, step: number): H;
  narrow(t: H, dim: number, start: number, length: number): H;
  select(t: H, dim: number, index: number): H;
  indexSelect(t: H, dim: number, index: H): H;
  index(t: H, indices: readonly (H | null)[]): H;
  gather(t: H, dim: number, index: H): H;
  scatter(t: H, dim: number, index: H, src: H | number): H;
  scatterAdd(t: H, dim: number, index: H, src: H): H;
  triu(t: H, diagonal: number): H;
  tril(t: H, diagonal: number): H;
  oneHot(t: H, numClasses: number): H;
  copy_(t: H, src: H): H;
  fill_(t: H, value: number | boolean): H;
  zero_(t: H): H;
  normal_(t: H, mean: number, std: number): H;
  uniform_(t: H, from: number, to: number): H;
  add_(t: H, other: Num, alpha: number): H;
  mul_(t: H, other: Num): H;
  linear(x: H, weight: H, bias: Opt<H>): H;
  embedding(weight: H, indices: H, paddingIdx: number): H;
  layerNorm(x: H, normalizedShape: readonly number[], weight: Opt<H>, bias: Opt<H>, eps: number): H;
  conv2d(
    x: H,
    weight: H,
    bias: Opt<H>,
    stride: readonly number[],
    padding: readonly number[],
    dilation: readonly number[],
    groups: number,
  ): H;
  dropout(x: H, p: number, train: boolean): H;
  pad(x: H, pads: readonly number[], value: number): H;
  crossEntropy(
    logits: H,
    target: H,
    weight: Opt<H>,
    reduction: string,
    ignoreIndex: number,
    labelSmoothing: number,
  ): H;
  nllLoss(logProbs: H, target: H, weight: Opt<H>, reduction: string, ignoreIndex: number): H;
  mseLoss(x: H, target: H, reduction: string): H;
  bceWithLogits(x: H, target: H, reduction: string): H;
  attention(q: H, k: H, v: H, causal: boolean, mask: Opt<H>, dropoutP: number, train: boolean): H;
  decodeStep(
    ids: H,
    positions: H,
    tok: H,
    pos: Opt<H>,
    layers: readonly H[],
    keys: readonly H[],
    values: readonly H[],
    column: number,
    keyMask: Opt<H>,
    nHeads: number,
    eps: number,
    lnW: H,
    lnB: H,
    head: H,
    threads: number,
    ropeBase: number,
  ): H;
  packPanels(weight: H): H;
  setRequiresGrad(t: H, requiresGrad: boolean): H;
  backward(t: H, gradient: Opt<H>, retainGraph: boolean, createGraph: boolean): void;
  grad(t: H): H | null;
  setGrad(t: H, grad: Opt<H>): void;
  retainGrad(t: H): H;
  isLeaf(t: H): boolean;
  setGradEnabled(enabled: boolean): boolean;
  isGradEnabled(): boolean;
  adamwStep(
    params: readonly H[],
    expAvg: readonly H[],
    expAvgSq: readonly H[],
    step: number,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
  ): void;
  sgdStep(
    params: readonly H[],
    momentumBuffers: readonly H[],
    first: boolean,
    lr: number,
    momentum: number,
    dampening: number,
    weightDecay: number,
    nesterov: boolean,
  ): void;
  clipGradNorm(params: readonly H[], maxNorm: number, normType: number): number;
  zeroGrad(params: readonly H[]): void;
  setMemoryAccounting(enabled: boolean): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  manualSeed(seed: number): void;
  cudaIsAvailable(): boolean;
  cudaDeviceCount(): number;
  version(): { libtorch: string; config: string; parallel: string; napi: number };
}

/** Where `npm run build:native` puts the addon (the same two levels up from src/engine and dist/engine). */
export const ADDON_PATH = fileURLToPath(
  new URL('../../native/build/Release/r1_engine.node', import.meta.url),
);

/**
 * Thrown on first use of the engine when the native addon is not built or libtorch cannot be loaded; the
 * message says how to fix it.
 */
export class EngineUnavailableError extends R1RewardError {
  override name = 'EngineUnavailableError';
  constructor(detail: string) {
    super(
      'engine_unavailable',
      `The libtorch tensor engine is not available: ${detail}. ` +
        'Build it with `npm run build:native` (it needs libtorch: `bash scripts/setup.sh` installs ' +
        "Debian's libtorch-dev and OpenBLAS, or set LIBTORCH=/path/to/libtorch, the official zip's folder).",
    );
  }
}

let loaded: NativeEngine | undefined;

/** The addon, loaded on first use. Throws EngineUnavailableError when it is not built or does not load. */
export function engine(): NativeEngine {
  if (loaded) return loaded;
  const path = process.env['R1_ENGINE_ADDON'] ?? ADDON_PATH;
  if (!existsSync(path)) throw new EngineUnavailableError(`${path} does not exist`);
  const threads = startupThreads(); // first: a malformed R1_REWARD_THREADS must fail every call
  try {
    loaded = createRequire(import.meta.url)(path) as NativeEngine;
  } catch (error) {
    throw new EngineUnavailableError(`loading ${path} failed (${(error as Error).message})`);
  }
  if (threads !== undefined) loaded.setNumThreads(threads);
  return loaded;
}

/** Whether the addon is built and loads, without throwing. */
export function engineAvailable(): boolean {
  try {
    engine();
    return true;
  } catch {
    return false;
  }
}
