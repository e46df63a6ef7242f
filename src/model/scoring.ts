// Per-token log-probs of given responses under the model: the policy pass of RL (a tensor that
// carries gradients), and the old-policy and reference passes (plain arrays, no graph).
//
// Each row is prompt + response, right-padded to the batch's longest; response token j sits at
// position |prompt| + j and is predicted by the logits one position earlier. Right padding needs no
// attention mask: causal attention never looks at the padding that follows a row's tokens.
import { nn, noGrad, scope, type Tensor, tensor } from '../engine/index.js';
import type { ImagePixels, VisionLanguageModel } from './model.js';

/** Prompts, responses and images whose response log-probs {@link sequenceLogProbs} computes. */
export interface ScoringBatch {
  /** Prompt token ids per row (image placeholders included). */
  prompts: readonly (readonly number[])[];
  /** Response token ids per row (what the log-probs are of). */
  responses: readonly (readonly number[])[];
  /** Each row's images, in placeholder order. */
  images?: readonly (readonly ImagePixels[])[];
  /** Dropout during the pass (policy updates with config.dropout > 0). */
  train?: boolean;
}

/** Per-token response log-probs [B, R] and the mask of real response tokens. */
export interface SequenceLogProbs {
  /** [B, R] log p(response token) (0 where masked), R = the longest response. */
  logProbs: Tensor;
  /** [B, R] float32: 1 for real response tokens, 0 for padding. */
  mask: Tensor;
}

/**
 * log p(response_j | prompt, response_<j) for every row and response position, as tensors that
 * carry gradients back to the model's parameters (for the policy loss). Call inside `scope`.
 */
export function sequenceLogProbs(model: VisionLanguageModel, batch: ScoringBatch): SequenceLogProbs {
  const { prompts, responses } = batch;
  const B = prompts.length;
  if (B === 0) throw new RangeError('sequenceLogProbs: the batch is empty');
  if (responses.length !== B)
    throw new RangeError(`sequenceLogProbs: ${B} prompts but ${responses.length} responses`);
  const lengths = prompts.map((p, b) => {
    if (p.length === 0) throw new RangeError(`sequenceLogProbs: prompt ${b} is empty`);
    return p.length + responses[b]!.length;
  });
  // The last response token is never an input, so each row needs |prompt| + |response| - 1 inputs.
  const T = Math.max(...lengths) - 1;
  const R = Math.max(1, ...responses.map((r) => r.length));
  if (T < 1) throw new RangeError('sequenceLogProbs: every response is empty');
  // Any id but the image placeholder: padded positions are never targets and see no images.
  const fill = model.imageTokenId === 0 ? 1 : 0;
  const tokens = prompts.map((p, b) => {
    const row = [...p, ...responses[b]!].slice(0, T);
    while (row.length < T) row.push(fill);
    return row;
  });
  // Targets: the next token at response positions, ignored (-100) elsewhere.
  const targets = new BigInt64Array(B * T).fill(-100n);
  // Where each response position's log-prob sits in the flattened [B·T] outputs.
  const where = new BigInt64Array(B * R);
  const mask = new Float32Array(B * R);
  responses.forEach((r, b) => {
    const start = prompts[b]!.length - 1;
    r.forEach((id, j) => {
      targets[b * T + start + j] = BigInt(id);
      where[b * R + j] = BigInt(b * T + start + j);
      mask[b * R + j] = 1;
    });
  });
  const logits = model.forward({
    tokens,
    ...(batch.images ? { images: batch.images } : {}),
    ...(batch.train ? { train: true } : {}),
  });
  const V = model.config.vocabSize;
  const device = model.device;
  // Generation never samples the image placeholder (suppressImagePlaceholder): renormalise without it.
  let scored = logits.view([B * T, V]);
  if (model.imageTokenId !== null) {
    const banned = new Uint8Array(V);
    banned[model.imageTokenId] = 1;
    scored = scored.maskedFill(tensor(banned, { dtype: 'bool', device }), -Infinity);
  }
  // −cross-entropy is the log-softmax at the target, fused in one native call; 0 where ignored.
  const tokenLogProbs = nn
    .crossEntropy(scored, tensor(targets, { device }), { reduction: 'none', ignoreIndex: -100 })
    .neg();
  const maskT = tensor(mask, { shape: [B, R], device });
  const picked = tokenLogProbs.indexSelect(0, tensor(where, { device })).view([B, R]).mul(maskT);
  return { logProbs: picked, mask: maskT };
}

/** The same log-probs without a graph, as one array per row (of that row's response length). */
export function sequenceLogProbsNoGrad(model: VisionLanguageModel, batch: ScoringBatch): number[][] {
  return noGrad(() =>
    scope(() => {
      const { logProbs } = sequenceLogProbs(model, { ...batch, train: false });
      const flat = logProbs.toTypedArray() as Float32Array;
      const R = logProbs.size(1);
      return batch.responses.map((r, b) => Array.from(flat.subarray(b * R, b * R + r.length)));
    }),
  );
}
