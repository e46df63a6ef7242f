/**
 * Neural-network functions (torch.nn.functional names). Each is one native call.
 *
 * @module
 */
import { engine } from './native.js';
import { Tensor } from './tensor.js';

/** How a loss reduces over elements: mean, sum, or none (one value per element). */
export type Reduction = 'mean' | 'sum' | 'none';

/** x Wᵀ + b, with W of shape [out, in]. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return new Tensor(engine().linear(x.handle, weight.handle, bias?.handle));
}

/** Rows of weight [num, dim] picked by int64 indices; rows at paddingIdx get no gradient. */
export function embedding(indices: Tensor, weight: Tensor, paddingIdx = -1): Tensor {
  return new Tensor(engine().embedding(weight.handle, indices.handle, paddingIdx));
}

/**
 * torch.nn.functional.layer_norm over the trailing `normalizedShape` dimensions, with optional affine weight
 * and bias.
 */
export function layerNorm(
  x: Tensor,
  normalizedShape: readonly number[],
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = 1e-5,
): Tensor {
  return new Tensor(engine().layerNorm(x.handle, normalizedShape, weight?.handle, bias?.handle, eps));
}

/** Options of {@link conv2d} (torch.nn.functional.conv2d's names). */
export interface Conv2dOptions {
  stride?: number | readonly [number, number];
  padding?: number | readonly [number, number];
  dilation?: number | readonly [number, number];
  groups?: number;
}

const pair = (v: number | readonly [number, number] | undefined, fallback: number): readonly number[] =>
  v === undefined ? [fallback, fallback] : typeof v === 'number' ? [v, v] : v;

/** 2-D convolution of x [N, C, H, W] with weight [out, C/groups, kH, kW] (e.g. ViT patch embedding). */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  return new Tensor(
    engine().conv2d(
      x.handle,
      weight.handle,
      bias?.handle,
      pair(options.stride, 1),
      pair(options.padding, 0),
      pair(options.dilation, 1),
      options.groups ?? 1,
    ),
  );
}

/**
 * Pads with a constant (F.pad): pads = [lastLeft, lastRight, prevLeft, prevRight, ...]; negative
 * values crop. E.g. right-pad token ids [B, T] to length L: pad(ids, [0, L - T], padId).
 */
export function pad(x: Tensor, pads: readonly number[], value = 0): Tensor {
  return new Tensor(engine().pad(x.handle, pads, value));
}

/** Zeroes elements with probability p and scales the rest by 1/(1-p) when train is true. */
export function dropout(x: Tensor, p: number, train: boolean): Tensor {
  return new Tensor(engine().dropout(x.handle, p, train));
}

/** Options of {@link crossEntropy} (torch.nn.functional.cross_entropy's names). */
export interface CrossEntropyOptions {
  weight?: Tensor;
  reduction?: Reduction;
  /** Targets equal to this index add nothing to the loss or its gradient (default -100, as PyTorch). */
  ignoreIndex?: number;
  labelSmoothing?: number;
}

/** Cross-entropy of logits [N, C] (or [N, C, d...]) against int64 class targets [N] (or [N, d...]). */
export function crossEntropy(logits: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  return new Tensor(
    engine().crossEntropy(
      logits.handle,
      target.handle,
      options.weight?.handle,
      options.reduction ?? 'mean',
      options.ignoreIndex ?? -100,
      options.labelSmoothing ?? 0,
    ),
  );
}

/** torch.nn.functional.nll_loss: the negative log-likelihood of `target` under `logProbs`. */
export function nllLoss(
  logProbs: Tensor,
  target: Tensor,
  options: { weight?: Tensor; reduction?: Reduction; ignoreIndex?: number } = {},
): Tensor {
  return new Tensor(
    engine().nllLoss(
      logProbs.handle,
      target.handle,
      options.weight?.handle,
      options.reduction ?? 'mean',
      options.ignoreIndex ?? -100,
    ),
  );
}

/** torch.nn.functional.mse_loss: mean squared error. */
export function mseLoss(x: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  return new Tensor(engine().mseLoss(x.handle, target.handle, reduction));
}

/** torch.nn.functional.binary_cross_entropy_with_logits. */
export function binaryCrossEntropyWithLogits(
  x: Tensor,
  target: Tensor,
  reduction: Reduction = 'mean',
): Tensor {
  return new Tensor(engine().bceWithLogits(x.handle, target.handle, reduction));
}

/** Options of {@link scaledDotProductAttention}. */
export interface AttentionOptions {
  /** Each query position sees only keys at or before it (aligned to the end when lengths differ). */
  causal?: boolean;
  /** Boolean (true = may attend) or additive float mask, broadcast to [..., Lq, Lk]. */
  mask?: Tensor;
  dropoutP?: number;
  train?: boolean;
}

/**
 * softmax(q kᵀ / √d + mask) v over q [..., Lq, d], k [..., Lk, d], v [..., Lk, dv]: one native call
 * composed of ATen ops, so autograd works and the per-op call cost is paid once.
 */
export function scaledDotProductAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  options: AttentionOptions = {},
): Tensor {
  return new Tensor(
    engine().attention(
      q.handle,
      k.handle,
      v.handle,
      options.causal ?? false,
      options.mask?.handle,
      options.dropoutP ?? 0,
      options.train ?? false,
    ),
  );
}

/** One-hot int64 encoding with numClasses columns (-1: infer from the largest index). */
export function oneHot(indices: Tensor, numClasses = -1): Tensor {
  return new Tensor(engine().oneHot(indices.handle, numClasses));
}

/**
 * A linear weight [out, in] repacked for `decodeStep`: 32-output panels [ceil(out/32), in, 32],
 * zero-padded, so the decode GEMMs (batch rows × weight) read each panel contiguously and never
 * repack it. A copy: repack after a weight update.
 */
export function packPanels(weight: Tensor): Tensor {
  return new Tensor(engine().packPanels(weight.handle));
}

/**
 * The weights of a pre-LN GPT decoder (GELU MLP, tied head) for `decodeStep`: per layer 12
 * tensors ln1W, ln1B, qkv, qkvB, proj, projB, ln2W, ln2B, fc, fcB, out, outB, the four linear
 * weights as `packPanels` made them; `head` the tied output head (tok) packed the same way.
 * float32 on the CPU.
 */
export interface DecodeWeights {
  tok: Tensor;
  /** Learned positions [maxSeqLen, C]; null with rotary positions (ropeBase > 0). */
  pos: Tensor | null;
  /**
   * > 0: rotate queries and keys by position p ("rotate half" layout, angle p·ropeBase^(−2i/headDim))
   * instead of adding learned positions. 0 or absent: learned positions.
   */
  ropeBase?: number;
  layers: readonly Tensor[];
  lnW: Tensor;
  lnB: Tensor;
  head: Tensor;
  nHeads: number;
  eps?: number;
  /**
   * Local mixing (a causal depthwise convolution added to each layer's normalised input before
   * attention): per layer the weights [K, C]; pass `mixHistory` with them. Empty or absent: none.
   */
  mix?: readonly Tensor[];
}

/** The per-step inputs of {@link decodeStep}: the new token of each row, its position and the cache slot. */
export interface DecodeStepInput {
  /** Token id per row [B] (int64). */
  ids: Tensor;
  /** Position per row [B] (int64): into weights.pos, or the rotary angle's position. */
  positions: Tensor;
  /** Per layer [B, H, capacity, headDim], contiguous; column `column` is written in place. */
  keys: readonly Tensor[];
  values: readonly Tensor[];
  column: number;
  /** [B, 1, 1, capacity] bool, true where a key may be attended to. */
  keyMask?: Tensor | null;
  /** Intra-op threads for this call (0 = the engine's setting), restored afterwards. */
  threads?: number;
  /**
   * With `weights.mix`: per layer the normalised inputs of the last K positions [B, K, C], oldest
   * first, contiguous float32; shifted in place (the new position's input replaces the oldest).
   */
  mixHistory?: readonly Tensor[];
}

/**
 * One KV-cache decode step of the whole decoder in one native call: embeddings → layers
 * (LN → local mixing when `weights.mix` → fused QKV → attention over columns [0, column] → out proj → LN → GELU MLP) → LN → head.
 * Returns the next-token logits [B, V]. No autograd.
 */
export function decodeStep(weights: DecodeWeights, input: DecodeStepInput): Tensor {
  return new Tensor(
    engine().decodeStep(
      input.ids.handle,
      input.positions.handle,
      weights.tok.handle,
      weights.pos?.handle ?? null,
      weights.layers.map((t) => t.handle),
      input.keys.map((t) => t.handle),
      input.values.map((t) => t.handle),
      input.column,
      input.keyMask?.handle,
      weights.nHeads,
      weights.eps ?? 1e-5,
      weights.lnW.handle,
      weights.lnB.handle,
      weights.head.handle,
      input.threads ?? 0,
      weights.ropeBase ?? 0,
      (weights.mix ?? []).map((t) => t.handle),
      (input.mixHistory ?? []).map((t) => t.handle),
    ),
  );
}
