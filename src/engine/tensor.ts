// The Tensor class: one JS object per at::Tensor reference, with PyTorch's names in camelCase.
// Every method calls one native function; new tensors join the innermost open `scope`.
import { BYTES_PER_ELEMENT, type Device, type DType, dtypeCode, dtypeFromCode, isFloating } from './dtype.js';
import { engine, type Handle } from './native.js';
import { track, untrack } from './scope.js';

/** A (nested) JS array of numbers or booleans, as {@link tensor} accepts it. */
export type NestedArray = number | boolean | NestedArray[];
/** Typed arrays {@link tensor} accepts (copied; the shape is given by `options.shape` or is 1-D). */
export type TypedData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;
/** A number or boolean operand, broadcast like a 0-d tensor. */
export type Scalar = number | boolean;

/**
 * Options of the creation functions: dtype, device (default cpu) and requiresGrad (parameters and leaves
 * whose gradient you want).
 */
export interface CreateOptions {
  dtype?: DType;
  device?: Device;
  requiresGrad?: boolean;
}

export interface TensorData {
  /** The shape for typed-array data (default: one dimension of its length). */
  shape?: readonly number[];
}

const operand = (x: Tensor | Scalar): Handle | Scalar => (x instanceof Tensor ? x.handle : x);
const dims = (dim: number | readonly number[] | undefined): readonly number[] | undefined =>
  dim === undefined ? undefined : typeof dim === 'number' ? [dim] : dim;

/**
 * A libtorch tensor: PyTorch's methods in camelCase (`add`, `matmul`, `logSoftmax`, `backward`, …).
 * Make one with {@link tensor}, {@link zeros}, {@link randn} and friends, never with `new`.
 * Memory is freed by {@link scope}, {@link Tensor.dispose} or, as a safety net, garbage collection.
 */
export class Tensor {
  /** @internal The addon's handle. */
  readonly handle: Handle;
  #shape: number[] | undefined;

  /** @internal Wraps an addon handle; use the creation functions instead. */
  constructor(handle: Handle) {
    this.handle = handle;
    track(this);
  }

  // --- metadata -------------------------------------------------------------------------------

  get shape(): readonly number[] {
    this.#shape ??= engine().shape(this.handle);
    return this.#shape;
  }
  get ndim(): number {
    return this.shape.length;
  }
  get dtype(): DType {
    return dtypeFromCode(engine().dtype(this.handle));
  }
  get device(): string {
    return engine().device(this.handle);
  }
  get requiresGrad(): boolean {
    return engine().requiresGrad(this.handle);
  }
  get isLeaf(): boolean {
    return engine().isLeaf(this.handle);
  }
  get disposed(): boolean {
    return engine().isDisposed(this.handle);
  }
  /** Size of one dimension (negative counts from the end). */
  size(dim: number): number {
    const shape = this.shape;
    const size = shape[dim < 0 ? shape.length + dim : dim];
    if (size === undefined)
      throw new RangeError(`dimension ${dim} is out of range for shape [${shape.join(', ')}]`);
    return size;
  }
  numel(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
  isContiguous(): boolean {
    return engine().isContiguous(this.handle);
  }
  toString(): string {
    return `Tensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype}, device=${this.device})`;
  }

  // --- memory ---------------------------------------------------------------------------------

  /** Frees this reference now (the memory goes when no other tensor or graph node shares it). */
  dispose(): void {
    engine().dispose(this.handle);
  }
  /** Takes this tensor out of every open scope, so that only `dispose()` or GC frees it. */
  keep(): this {
    untrack(this);
    return this;
  }

  // --- reading values -------------------------------------------------------------------------

  /** The elements in row-major order as a typed array (float16/bfloat16 come back as float32). */
  toTypedArray(): TypedData {
    let source: Tensor = this;
    let dtype = this.dtype;
    if (dtype === 'float16' || dtype === 'bfloat16') {
      source = new Tensor(engine().to(this.handle, dtypeCode('float32'), 'cpu', false));
      dtype = 'float32';
    }
    const bytes = engine().toBytes(source.handle);
    if (source !== this) source.dispose();
    // Buffer.Copy may share a pool with an unaligned offset: copy into an aligned ArrayBuffer.
    const aligned = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    switch (dtype) {
      case 'float32':
        return new Float32Array(aligned);
      case 'float64':
        return new Float64Array(aligned);
      case 'int64':
        return new BigInt64Array(aligned);
      case 'int32':
        return new Int32Array(aligned);
      default:
        return new Uint8Array(aligned);
    }
  }
  /** The elements in row-major order as numbers (booleans for bool tensors). */
  toFlatArray(): (number | boolean)[] {
    const data = this.toTypedArray();
    if (this.dtype === 'bool') return Array.from(data as Uint8Array, (v) => v !== 0);
    if (data instanceof BigInt64Array) return Array.from(data, (v) => Number(v));
    return Array.from(data);
  }
  /** Nested arrays in the tensor's shape (a 0-d tensor gives its scalar). */
  toArray(): NestedArray {
    const flat = this.toFlatArray();
    const shape = this.shape;
    if (shape.length === 0) return flat[0] as Scalar;
    let offset = 0;
    const build = (level: number): NestedArray[] => {
      const out: NestedArray[] = [];
      const n = shape[level] as number;
      for (let i = 0; i < n; i++)
        out.push(level === shape.length - 1 ? (flat[offset++] as Scalar) : build(level + 1));
      return out;
    };
    return build(0);
  }
  /** The value of a one-element tensor. */
  item(): number {
    const value = engine().item(this.handle);
    return typeof value === 'boolean' ? Number(value) : value;
  }

  // --- conversion -----------------------------------------------------------------------------

  /** Converts dtype and/or device: `t.to('float64')`, `t.to('cuda')`, `t.to({ dtype, device })`. */
  to(target: DType | Device | { dtype?: DType; device?: Device; copy?: boolean }): Tensor {
    let dtype: DType | undefined;
    let device: string | undefined;
    let copy = false;
    if (typeof target === 'string') {
      if (target === 'cpu' || target.startsWith('cuda')) device = target;
      else dtype = target as DType;
    } else {
      dtype = target.dtype;
      device = target.device;
      copy = target.copy ?? false;
    }
    return new Tensor(
      engine().to(this.handle, dtype === undefined ? undefined : dtypeCode(dtype), device, copy),
    );
  }
  float(): Tensor {
    return this.to('float32');
  }
  double(): Tensor {
    return this.to('float64');
  }
  long(): Tensor {
    return this.to('int64');
  }
  bool(): Tensor {
    return this.to('bool');
  }
  cpu(): Tensor {
    return this.to('cpu');
  }
  cuda(index = 0): Tensor {
    return this.to(`cuda:${index}`);
  }
  contiguous(): Tensor {
    return new Tensor(engine().contiguous(this.handle));
  }
  clone(): Tensor {
    return new Tensor(engine().clone(this.handle));
  }
  /** A tensor sharing storage, cut out of the autograd graph. */
  detach(): Tensor {
    return new Tensor(engine().detach(this.handle));
  }

  // --- elementwise math -----------------------------------------------------------------------

  add(other: Tensor | Scalar): Tensor {
    return new Tensor(engine().add(this.handle, operand(other)));
  }
  sub(other: Tensor | Scalar): Tensor {
    return new Tensor(engine().sub(this.handle, operand(other)));
  }
  mul(other: Tensor | Scalar): Tensor {
    return new Tensor(engine().mul(this.handle, operand(other)));
  }
  div(other: Tensor | Scalar): Tensor {
    return new Tensor(engine().div(this.handle, operand(other)));
  }
  pow(exponent: Tensor | number): Tensor {
    return new Tensor(engine().pow(this.handle, operand(exponent)));
  }
  maximum(other: Tensor | Scalar): Tensor {
    return new Tensor(engine().maximum(this.handle, operand(other)));
  }
  minimum(other: Tensor | Scalar): Tensor {
    return new Tensor(engine().minimum(this.handle, operand(other)));
  }
  remainder(other: Tensor | Scalar): Tensor {
    return new Tensor(engine().remainder(this.handle, operand(other)));
  }
  fmod(other: Tensor | Scalar): Tensor {
    return new Tensor(engine().fmod(this.handle, operand(other)));
  }
  floorDivide(other: Tensor | Scalar): Tensor {
    return new Tensor(engine().floor_divide(this.handle, operand(other)));
  }
  atan2(other: Tensor | Scalar): Tensor {
    return new Tensor(engine().atan2(this.handle, operand(other)));
  }
  eq(other: Tensor | Scalar): Tensor {
    return new Tensor(engine().eq(this.handle, operand(other)));
  }
  ne(other: Tensor | Scalar): Tensor {
    return new Tensor(engine().ne(this.handle, operand(other)));
  }
  lt(other: Tensor | Scalar): Tensor {
    return new Tensor(engine().lt(this.handle, operand(other)));
  }
  le(other: Tensor | Scalar): Tensor {
    return new Tensor(engine().le(this.handle, operand(other)));
  }
  gt(other: Tensor | Scalar): Tensor {
    return new Tensor(engine().gt(this.handle, operand(other)));
  }
  ge(other: Tensor | Scalar): Tensor {
    return new Tensor(engine().ge(this.handle, operand(other)));
  }
  logicalAnd(other: Tensor | Scalar): Tensor {
    return new Tensor(engine().logical_and(this.handle, operand(other)));
  }
  logicalOr(other: Tensor | Scalar): Tensor {
    return new Tensor(engine().logical_or(this.handle, operand(other)));
  }
  logicalXor(other: Tensor | Scalar): Tensor {
    return new Tensor(engine().logical_xor(this.handle, operand(other)));
  }
  logicalNot(): Tensor {
    return new Tensor(engine().logical_not(this.handle));
  }
  neg(): Tensor {
    return new Tensor(engine().neg(this.handle));
  }
  exp(): Tensor {
    return new Tensor(engine().exp(this.handle));
  }
  log(): Tensor {
    return new Tensor(engine().log(this.handle));
  }
  log2(): Tensor {
    return new Tensor(engine().log2(this.handle));
  }
  log1p(): Tensor {
    return new Tensor(engine().log1p(this.handle));
  }
  expm1(): Tensor {
    return new Tensor(engine().expm1(this.handle));
  }
  sqrt(): Tensor {
    return new Tensor(engine().sqrt(this.handle));
  }
  rsqrt(): Tensor {
    return new Tensor(engine().rsqrt(this.handle));
  }
  square(): Tensor {
    return new Tensor(engine().square(this.handle));
  }
  reciprocal(): Tensor {
    return new Tensor(engine().reciprocal(this.handle));
  }
  abs(): Tensor {
    return new Tensor(engine().abs(this.handle));
  }
  sign(): Tensor {
    return new Tensor(engine().sign(this.handle));
  }
  sin(): Tensor {
    return new Tensor(engine().sin(this.handle));
  }
  cos(): Tensor {
    return new Tensor(engine().cos(this.handle));
  }
  tanh(): Tensor {
    return new Tensor(engine().tanh(this.handle));
  }
  sigmoid(): Tensor {
    return new Tensor(engine().sigmoid(this.handle));
  }
  relu(): Tensor {
    return new Tensor(engine().relu(this.handle));
  }
  /** GELU; approximate 'tanh' is the GPT-2 variant. */
  gelu(approximate: 'none' | 'tanh' = 'none'): Tensor {
    return new Tensor(engine().gelu(this.handle, approximate));
  }
  silu(): Tensor {
    return new Tensor(engine().silu(this.handle));
  }
  erf(): Tensor {
    return new Tensor(engine().erf(this.handle));
  }
  floor(): Tensor {
    return new Tensor(engine().floor(this.handle));
  }
  ceil(): Tensor {
    return new Tensor(engine().ceil(this.handle));
  }
  round(): Tensor {
    return new Tensor(engine().round(this.handle));
  }
  trunc(): Tensor {
    return new Tensor(engine().trunc(this.handle));
  }
  isnan(): Tensor {
    return new Tensor(engine().isnan(this.handle));
  }
  isinf(): Tensor {
    return new Tensor(engine().isinf(this.handle));
  }
  clamp(min?: number | null, max?: number | null): Tensor {
    return new Tensor(engine().clamp(this.handle, min, max));
  }
  /** Where mask is true, value; elsewhere this tensor's elements. */
  maskedFill(mask: Tensor, value: Tensor | Scalar): Tensor {
    return new Tensor(engine().maskedFill(this.handle, mask.handle, operand(value)));
  }

  // --- reductions -----------------------------------------------------------------------------

  /** Sum over dim (all elements when omitted). */
  sum(dim?: number | readonly number[], keepdim = false, dtype?: DType): Tensor {
    return new Tensor(
      engine().sum(this.handle, dims(dim), keepdim, dtype === undefined ? undefined : dtypeCode(dtype)),
    );
  }
  mean(dim?: number | readonly number[], keepdim = false, dtype?: DType): Tensor {
    return new Tensor(
      engine().mean(this.handle, dims(dim), keepdim, dtype === undefined ? undefined : dtypeCode(dtype)),
    );
  }
  prod(dim?: number, keepdim = false): Tensor {
    return new Tensor(engine().prod(this.handle, dim, keepdim));
  }
  /** Variance with Bessel's correction by default (correction = 1), as torch.var. */
  var(dim?: number | readonly number[], keepdim = false, correction = 1): Tensor {
    return new Tensor(engine().var(this.handle, dims(dim), correction, keepdim));
  }
  std(dim?: number | readonly number[], keepdim = false, correction = 1): Tensor {
    return new Tensor(engine().std(this.handle, dims(dim), correction, keepdim));
  }
  /** The largest element (no dim), or values and indices along dim. */
  max(): Tensor;
  max(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  max(dim?: number, keepdim = false): Tensor | { values: Tensor; indices: Tensor } {
    if (dim === undefined) return new Tensor(engine().maxAll(this.handle));
    const [values, indices] = engine().maxDim(this.handle, dim, keepdim);
    return { values: new Tensor(values), indices: new Tensor(indices) };
  }
  min(): Tensor;
  min(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  min(dim?: number, keepdim = false): Tensor | { values: Tensor; indices: Tensor } {
    if (dim === undefined) return new Tensor(engine().minAll(this.handle));
    const [values, indices] = engine().minDim(this.handle, dim, keepdim);
    return { values: new Tensor(values), indices: new Tensor(indices) };
  }
  /** Max over dims (all when omitted), values only. */
  amax(dim: number | readonly number[] = [], keepdim = false): Tensor {
    return new Tensor(engine().amax(this.handle, dims(dim) ?? [], keepdim));
  }
  amin(dim: number | readonly number[] = [], keepdim = false): Tensor {
    return new Tensor(engine().amin(this.handle, dims(dim) ?? [], keepdim));
  }
  argmax(dim?: number, keepdim = false): Tensor {
    return new Tensor(engine().argmax(this.handle, dim, keepdim));
  }
  argmin(dim?: number, keepdim = false): Tensor {
    return new Tensor(engine().argmin(this.handle, dim, keepdim));
  }
  logsumexp(dim: number | readonly number[], keepdim = false): Tensor {
    return new Tensor(engine().logsumexp(this.handle, dims(dim) ?? [], keepdim));
  }
  all(): Tensor {
    return new Tensor(engine().all(this.handle));
  }
  any(): Tensor {
    return new Tensor(engine().any(this.handle));
  }
  norm(p = 2, dim?: number | readonly number[], keepdim = false): Tensor {
    return new Tensor(engine().norm(this.handle, p, dims(dim), keepdim));
  }
  softmax(dim: number, dtype?: DType): Tensor {
    return new Tensor(engine().softmax(this.handle, dim, dtype === undefined ? undefined : dtypeCode(dtype)));
  }
  logSoftmax(dim: number, dtype?: DType): Tensor {
    return new Tensor(
      engine().logSoftmax(this.handle, dim, dtype === undefined ? undefined : dtypeCode(dtype)),
    );
  }
  cumsum(dim: number, dtype?: DType): Tensor {
    return new Tensor(engine().cumsum(this.handle, dim, dtype === undefined ? undefined : dtypeCode(dtype)));
  }
  topk(k: number, dim = -1, largest = true, sorted = true): { values: Tensor; indices: Tensor } {
    const [values, indices] = engine().topk(this.handle, k, dim, largest, sorted);
    return { values: new Tensor(values), indices: new Tensor(indices) };
  }
  sort(dim = -1, descending = false): { values: Tensor; indices: Tensor } {
    const [values, indices] = engine().sort(this.handle, dim, descending);
    return { values: new Tensor(values), indices: new Tensor(indices) };
  }
  argsort(dim = -1, descending = false): Tensor {
    return new Tensor(engine().argsort(this.handle, dim, descending));
  }
  /** Samples indices from the rows of this tensor of probabilities (seeded by manualSeed). */
  multinomial(numSamples: number, replacement = false): Tensor {
    return new Tensor(engine().multinomial(this.handle, numSamples, replacement));
  }

  // --- linear algebra -------------------------------------------------------------------------

  matmul(other: Tensor): Tensor {
    return new Tensor(engine().matmul(this.handle, other.handle));
  }
  mm(other: Tensor): Tensor {
    return new Tensor(engine().mm(this.handle, other.handle));
  }
  bmm(other: Tensor): Tensor {
    return new Tensor(engine().bmm(this.handle, other.handle));
  }
  outer(other: Tensor): Tensor {
    return new Tensor(engine().outer(this.handle, other.handle));
  }

  // --- shape ----------------------------------------------------------------------------------

  reshape(shape: readonly number[]): Tensor {
    return new Tensor(engine().reshape(this.handle, shape));
  }
  /** Like reshape, but never copies (fails on incompatible strides). */
  view(shape: readonly number[]): Tensor {
    return new Tensor(engine().view(this.handle, shape));
  }
  permute(order: readonly number[]): Tensor {
    return new Tensor(engine().permute(this.handle, order));
  }
  transpose(dim0: number, dim1: number): Tensor {
    return new Tensor(engine().transpose(this.handle, dim0, dim1));
  }
  /** Transpose of the last two dimensions. */
  get T(): Tensor {
    return this.transpose(-2, -1);
  }
  squeeze(dim?: number): Tensor {
    return new Tensor(engine().squeeze(this.handle, dim));
  }
  unsqueeze(dim: number): Tensor {
    return new Tensor(engine().unsqueeze(this.handle, dim));
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return new Tensor(engine().flatten(this.handle, startDim, endDim));
  }
  /** Broadcasts size-1 dimensions to shape without copying (-1 keeps a dimension). */
  expand(shape: readonly number[]): Tensor {
    return new Tensor(engine().expand(this.handle, shape));
  }
  broadcastTo(shape: readonly number[]): Tensor {
    return new Tensor(engine().broadcastTo(this.handle, shape));
  }
  repeat(repeats: readonly number[]): Tensor {
    return new Tensor(engine().repeat(this.handle, repeats));
  }
  flip(dim: number | readonly number[]): Tensor {
    return new Tensor(engine().flip(this.handle, dims(dim) ?? []));
  }
  /** Pieces of splitSize along dim (the last may be smaller), or pieces of the given sizes. */
  split(splitSizeOrSizes: number | readonly number[], dim = 0): Tensor[] {
    return engine()
      .split(this.handle, splitSizeOrSizes, dim)
      .map((h) => new Tensor(h));
  }
  chunk(chunks: number, dim = 0): Tensor[] {
    return engine()
      .chunk(this.handle, chunks, dim)
      .map((h) => new Tensor(h));
  }
  unbind(dim = 0): Tensor[] {
    return engine()
      .unbind(this.handle, dim)
      .map((h) => new Tensor(h));
  }
  /** Python's t[..., start:end:step, ...] on one dimension (a view). */
  slice(dim: number, start?: number | null, end?: number | null, step = 1): Tensor {
    return new Tensor(engine().slice(this.handle, dim, start, end, step));
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return new Tensor(engine().narrow(this.handle, dim, start, length));
  }
  /** Python's t[..., index, ...] on one dimension (removes it). */
  select(dim: number, index: number): Tensor {
    return new Tensor(engine().select(this.handle, dim, index));
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return new Tensor(engine().indexSelect(this.handle, dim, index.handle));
  }
  /** Advanced indexing, Python's t[i0, :, i2] with null for a full slice. */
  index(indices: readonly (Tensor | null)[]): Tensor {
    return new Tensor(
      engine().index(
        this.handle,
        indices.map((t) => (t === null ? null : t.handle)),
      ),
    );
  }
  gather(dim: number, index: Tensor): Tensor {
    return new Tensor(engine().gather(this.handle, dim, index.handle));
  }
  scatter(dim: number, index: Tensor, src: Tensor | number): Tensor {
    return new Tensor(
      engine().scatter(this.handle, dim, index.handle, src instanceof Tensor ? src.handle : src),
    );
  }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return new Tensor(engine().scatterAdd(this.handle, dim, index.handle, src.handle));
  }
  triu(diagonal = 0): Tensor {
    return new Tensor(engine().triu(this.handle, diagonal));
  }
  tril(diagonal = 0): Tensor {
    return new Tensor(engine().tril(this.handle, diagonal));
  }

  // --- in place (initialisation; under noGrad for parameters) ---------------------------------

  copy_(src: Tensor): this {
    engine().copy_(this.handle, src.handle);
    return this;
  }
  fill_(value: Scalar): this {
    engine().fill_(this.handle, value);
    return this;
  }
  zero_(): this {
    engine().zero_(this.handle);
    return this;
  }
  normal_(mean = 0, std = 1): this {
    engine().normal_(this.handle, mean, std);
    return this;
  }
  uniform_(from = 0, to = 1): this {
    engine().uniform_(this.handle, from, to);
    return this;
  }
  add_(other: Tensor | Scalar, alpha = 1): this {
    engine().add_(this.handle, operand(other), alpha);
    return this;
  }
  mul_(other: Tensor | Scalar): this {
    engine().mul_(this.handle, operand(other));
    return this;
  }

  // --- autograd -------------------------------------------------------------------------------

  requiresGrad_(requiresGrad = true): this {
    engine().setRequiresGrad(this.handle, requiresGrad);
    return this;
  }
  /** Accumulates gradients into the leaves; a non-scalar output needs a gradient of its shape. */
  backward(gradient?: Tensor, options: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
    engine().backward(
      this.handle,
      gradient?.handle,
      options.retainGraph ?? options.createGraph ?? false,
      options.createGraph ?? false,
    );
  }
  /** The accumulated gradient (a new reference each read), or null before any backward. */
  get grad(): Tensor | null {
    const handle = engine().grad(this.handle);
    return handle === null ? null : new Tensor(handle);
  }
  set grad(value: Tensor | null) {
    engine().setGrad(this.handle, value?.handle);
  }
  /** Drops the gradient (PyTorch's zero_grad(set_to_none=True)). */
  zeroGrad(): void {
    engine().setGrad(this.handle, null);
  }
  /** Keeps .grad on a non-leaf tensor after backward. */
  retainGrad(): this {
    engine().retainGrad(this.handle);
    return this;
  }
}

// --- creation -----------------------------------------------------------------------------------

function inferShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let level: NestedArray = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0] as NestedArray;
  }
  return shape;
}

function flatten(data: NestedArray, shape: readonly number[]): Scalar[] {
  const out: Scalar[] = [];
  const walk = (value: NestedArray, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (Array.isArray(value))
        throw new TypeError(`tensor(): ragged nested array: ${path} is an array, expected a number`);
      if (typeof value !== 'number' && typeof value !== 'boolean') {
        throw new TypeError(`tensor(): ${path} is ${typeof value}, expected a number or boolean`);
      }
      out.push(value);
      return;
    }
    if (!Array.isArray(value) || value.length !== shape[depth]) {
      throw new TypeError(
        `tensor(): ragged nested array: ${path} has ${Array.isArray(value) ? `length ${value.length}` : 'a scalar'}, expected length ${shape[depth]}`,
      );
    }
    for (let i = 0; i < value.length; i++) walk(value[i] as NestedArray, depth + 1, `${path}[${i}]`);
  };
  walk(data, 0, 'data');
  return out;
}

function typedFor(values: readonly Scalar[], dtype: DType): TypedData {
  switch (dtype) {
    case 'float64':
      return Float64Array.from(values, Number);
    case 'int64':
      return BigInt64Array.from(values, (v) => {
        const n = Number(v);
        if (!Number.isInteger(n))
          throw new TypeError(`tensor(): ${n} is not an integer, cannot make an int64 tensor`);
        return BigInt(n);
      });
    case 'int32':
      return Int32Array.from(values, Number);
    case 'bool':
    case 'uint8':
      return Uint8Array.from(values, Number);
    default:
      return Float32Array.from(values, Number);
  }
}

function dtypeOfTyped(data: TypedData): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Int32Array) return 'int32';
  return 'uint8';
}

function finish(handle: Handle, options: CreateOptions): Tensor {
  const t = new Tensor(handle);
  if (options.requiresGrad) engine().setRequiresGrad(handle, true);
  return t;
}

function codeOf(dtype: DType | undefined): number | undefined {
  return dtype === undefined ? undefined : dtypeCode(dtype);
}

/**
 * A tensor from nested arrays, a scalar or a typed array (copied). Like torch.tensor, integers give
 * int64, any fraction float32, booleans bool, unless options.dtype says otherwise.
 */
export function tensor(data: NestedArray | TypedData, options: CreateOptions & TensorData = {}): Tensor {
  let bytes: TypedData;
  let shape: readonly number[];
  let sourceDtype: DType;
  if (ArrayBuffer.isView(data)) {
    shape = options.shape ?? [data.length];
    sourceDtype = dtypeOfTyped(data);
    if (options.dtype === 'bool' && data instanceof Uint8Array) sourceDtype = 'bool';
    bytes = data;
  } else {
    shape = inferShape(data);
    const flat = flatten(data, shape);
    sourceDtype =
      options.dtype ??
      (flat.length > 0 && flat.every((v) => typeof v === 'boolean')
        ? 'bool'
        : flat.every((v) => typeof v === 'boolean' || Number.isInteger(v))
          ? flat.length === 0
            ? 'float32'
            : 'int64'
          : 'float32');
    if (sourceDtype === 'float16' || sourceDtype === 'bfloat16') sourceDtype = 'float32';
    bytes = typedFor(flat, sourceDtype);
  }
  const native = engine();
  let handle = native.fromBytes(bytes, dtypeCode(sourceDtype), shape, options.device);
  const dtype = options.dtype ?? sourceDtype;
  if (dtype !== sourceDtype) {
    const converted = native.to(handle, dtypeCode(dtype), undefined, false);
    native.dispose(handle);
    handle = converted;
  }
  return finish(handle, options);
}

/** A tensor over the bytes of a little-endian buffer (safetensors' layout), copied. */
export function fromBytes(
  bytes: Uint8Array,
  dtype: DType,
  shape: readonly number[],
  options: CreateOptions = {},
): Tensor {
  const expected = shape.reduce((a, b) => a * b, 1) * BYTES_PER_ELEMENT[dtype];
  if (bytes.byteLength !== expected) {
    throw new RangeError(
      `fromBytes(): ${bytes.byteLength} bytes do not match shape [${shape.join(', ')}] of ${dtype} (${expected} bytes)`,
    );
  }
  return finish(engine().fromBytes(bytes, dtypeCode(dtype), shape, options.device), options);
}

/** torch.zeros: a tensor of zeros. */
export function zeros(shape: readonly number[], options: CreateOptions = {}): Tensor {
  return finish(engine().zeros(shape, codeOf(options.dtype), options.device), options);
}
/** torch.ones: a tensor of ones. */
export function ones(shape: readonly number[], options: CreateOptions = {}): Tensor {
  return finish(engine().ones(shape, codeOf(options.dtype), options.device), options);
}
/** torch.full: a tensor filled with `value`. */
export function full(shape: readonly number[], value: Scalar, options: CreateOptions = {}): Tensor {
  return finish(engine().full(shape, value, codeOf(options.dtype), options.device), options);
}
/** torch.empty: an uninitialised tensor. */
export function empty(shape: readonly number[], options: CreateOptions = {}): Tensor {
  return finish(engine().empty(shape, codeOf(options.dtype), options.device), options);
}
/** Standard normal samples from the global generator (see manualSeed). */
export function randn(shape: readonly number[], options: CreateOptions = {}): Tensor {
  return finish(engine().randn(shape, codeOf(options.dtype), options.device), options);
}
/** Uniform samples in [0, 1). */
export function rand(shape: readonly number[], options: CreateOptions = {}): Tensor {
  return finish(engine().rand(shape, codeOf(options.dtype), options.device), options);
}
/** Integers uniform in [low, high), int64 unless options.dtype says otherwise. */
export function randint(
  low: number,
  high: number,
  shape: readonly number[],
  options: CreateOptions = {},
): Tensor {
  return finish(engine().randint(low, high, shape, codeOf(options.dtype), options.device), options);
}
/** arange(end) or arange(start, end, step): int64 for integer arguments, else float32. */
export function arange(startOrEnd: number, end?: number, step = 1, options: CreateOptions = {}): Tensor {
  const [from, to] = end === undefined ? [0, startOrEnd] : [startOrEnd, end];
  return finish(engine().arange(from, to, step, codeOf(options.dtype), options.device), options);
}
/** torch.linspace: `steps` evenly spaced values from `start` to `end`, both included. */
export function linspace(start: number, end: number, steps: number, options: CreateOptions = {}): Tensor {
  return finish(engine().linspace(start, end, steps, codeOf(options.dtype), options.device), options);
}
/** torch.eye: the n × n identity matrix. */
export function eye(n: number, options: CreateOptions = {}): Tensor {
  return finish(engine().eye(n, codeOf(options.dtype), options.device), options);
}
const likeOptions = (t: Tensor, options: CreateOptions): CreateOptions => ({
  dtype: options.dtype ?? t.dtype,
  device: options.device ?? (t.device as Device),
  requiresGrad: options.requiresGrad ?? false,
});
/** torch.zeros_like: zeros with `t`'s shape, dtype and device. */
export function zerosLike(t: Tensor, options: CreateOptions = {}): Tensor {
  return zeros(t.shape, likeOptions(t, options));
}
/** torch.ones_like: ones with `t`'s shape, dtype and device. */
export function onesLike(t: Tensor, options: CreateOptions = {}): Tensor {
  return ones(t.shape, likeOptions(t, options));
}
/** torch.full_like: `value` with `t`'s shape, dtype and device. */
export function fullLike(t: Tensor, value: Scalar, options: CreateOptions = {}): Tensor {
  return full(t.shape, value, likeOptions(t, options));
}
/** torch.randn_like: standard normal samples with `t`'s shape, dtype and device (seeded by manualSeed). */
export function randnLike(t: Tensor, options: CreateOptions = {}): Tensor {
  const o = likeOptions(t, options);
  if (o.dtype !== undefined && !isFloating(o.dtype)) o.dtype = 'float32';
  return randn(t.shape, o);
}

// --- functions of several tensors ---------------------------------------------------------------

/** torch.cat: joins tensors along an existing dimension. */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  return new Tensor(
    engine().cat(
      tensors.map((t) => t.handle),
      dim,
    ),
  );
}
/** torch.stack: joins same-shaped tensors along a new dimension. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  return new Tensor(
    engine().stack(
      tensors.map((t) => t.handle),
      dim,
    ),
  );
}
/** Elementwise: a where condition is true, else b (either may be a number). */
export function where(condition: Tensor, a: Tensor | Scalar, b: Tensor | Scalar): Tensor {
  return new Tensor(engine().where(condition.handle, operand(a), operand(b)));
}
