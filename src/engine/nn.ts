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
