// The vision-language policy in one file (nanoGPT style).
//
//   image pixels ─► patches ─► linear patch embedding + learned positions ─► pre-LN blocks ─► LN
//                                                           ─► projector (vision width → LM width)
//   token ids ─► token embedding; every image placeholder token's embedding is replaced, in order,
//                by the projected vision outputs ─► + learned positions (config.positions 'learned')
//             ─► pre-LN blocks (causal attention over image + text, GELU MLP; with 'rope', queries and
//                keys rotated by position instead) ─► LN ─► tied head
//
// Two paths share the weights: `forward` (whole sequences, autograd, for training and scoring) and
// the KV-cache path (`prefill` + `step`, no grad, for sampling). `step` is written for few native
// calls per token: a preallocated cache written in place, q/k/v from one matmul and one unbind.

import { Rng } from '../algo/random.js';
import {
  cat,
  type Device,
  empty,
  nn,
  noGrad,
  requireDevice,
  scope,
  type Tensor,
  tensor,
  zeros,
} from '../engine/index.js';
import {
  countParameters,
  type ModelConfig,
  ROPE_BASE,
  tokensPerImage,
  usesRope,
  type VisionConfig,
  validateConfig,
} from './config.js';

/** One RGB image as float pixels: C×H×W = 3 × imageSize × imageSize, row-major, values in [0, 1]. */
export type ImagePixels = Float32Array;

/** Input of {@link VisionLanguageModel.forward}: token ids, images, left padding and train mode. */
export interface ForwardInput {
  /** Token ids [batch][time]; every row the same length. */
  tokens: readonly (readonly number[])[];
  /** Each row's images in order; row b must hold images[b].length × tokensPerImage placeholders. */
  images?: readonly (readonly ImagePixels[])[];
  /**
   * Left padding per row (generation pads prompts on the left): those leading positions are never
   * attended to and positions count from each row's first real token. Right padding needs nothing:
   * causal attention never looks ahead.
   */
  leftPadding?: readonly number[];
  /** Dropout on (config.dropout > 0); off by default. */
  train?: boolean;
}

/**
 * Options of the {@link VisionLanguageModel} constructor: seed of the initialisation, the image
 * placeholder token id and the device.
 */
export interface ModelOptions {
  /** Seed of the deterministic initialisation (ignored for weights loaded afterwards). */
  seed?: number;
  /** Id of the image placeholder token (tokenizer.id('image')); needed when the config has vision. */
  imageTokenId?: number | null;
  /**
   * Where the weights live and every computation runs: 'cpu' (default), 'cuda[:N]' with a CUDA
   * libtorch. Off the CPU, decoding runs op by op (`stepUnfused`): the fused decode step is a CPU
   * kernel.
   */
  device?: Device;
}

/** Keys and values of every LM layer, preallocated for `capacity` positions and written in place. */
export interface KVCache {
  readonly batch: number;
  readonly capacity: number;
  /** [batch, heads, capacity, headDim] per layer. */
  readonly keys: Tensor[];
  readonly values: Tensor[];
  /** Columns filled so far (the next token goes to column `length`). */
  length: number;
  /** Per-row left padding of the prompt (see ForwardInput.leftPadding). */
  leftPadding: number[];
  /** [batch, 1, 1, capacity] bool, true where a key may be attended to; null when nothing is padded. */
  keyMask: Tensor | null;
  /**
   * The weights packed for the fused decode step (nn.DecodeWeights: linear weights in 32-column
   * panels, nn.packPanels). A snapshot taken by createCache, so a cache must not outlive a weight
   * update (generate() makes a fresh one per call).
   */
  readonly packed: Tensor[];
  /**
   * Local mixing's history (config.localMix = K): per layer [batch, K, d], the normalised inputs of
   * the last K positions, oldest first (zeros before a row's first token); empty when off.
   */
  readonly mixHistory: Tensor[];
}

interface BlockParams {
  ln1W: Tensor;
  ln1B: Tensor;
  qkvW: Tensor;
  qkvB: Tensor;
  projW: Tensor;
  projB: Tensor;
  ln2W: Tensor;
  ln2B: Tensor;
  fcW: Tensor;
  fcB: Tensor;
  outW: Tensor;
  outB: Tensor;
  /** [localMix, d] causal depthwise mixing weights (config.localMix); absent when off. */
  mixW?: Tensor;
}

interface VisionParams {
  patchW: Tensor;
  patchB: Tensor;
  pos: Tensor;
  blocks: BlockParams[];
  lnW: Tensor;
  lnB: Tensor;
  projectorW: Tensor;
  projectorB: Tensor;
}

// --- deterministic initialisation (in JS, so it is the same on every machine and libtorch build) ---

function gaussian(rng: Rng, n: number, std: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    // Box–Muller: two independent normals from two uniforms in (0, 1].
    const r = Math.sqrt(-2 * Math.log(1 - rng.next())) * std;
    const theta = 2 * Math.PI * rng.next();
    out[i] = r * Math.cos(theta);
    if (i + 1 < n) out[i + 1] = r * Math.sin(theta);
  }
  return out;
}

/** GPT-2's initial weight std, N(0, 0.02). */
const INIT_STD = 0.02;

/** Builds named parameters in a fixed order; GPT-2's init: N(0, 0.02), residual outputs scaled down. */
class ParameterBuilder {
  readonly named: [string, Tensor][] = [];
  constructor(
    private readonly rng: Rng,
    private readonly device: Device,
  ) {}

  private add(name: string, data: Float32Array, shape: number[]): Tensor {
    // Drawn in JS on the host and copied over, so every device starts from the same weights.
    const t = tensor(data, { shape, device: this.device }).requiresGrad_().keep();
    this.named.push([name, t]);
    return t;
  }
  normal(name: string, shape: number[], std = INIT_STD): Tensor {
    return this.add(
      name,
      gaussian(
        this.rng,
        shape.reduce((a, b) => a * b, 1),
        std,
      ),
      shape,
    );
  }
  constant(name: string, shape: number[], value: number): Tensor {
    return this.add(name, new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(value), shape);
  }
  block(
    prefix: string,
    d: number,
    mlpRatio: number,
    residualStd: number,
    qkStd = INIT_STD,
    localMix = 0,
  ): BlockParams {
    const h = mlpRatio * d;
    const qkvW = this.normal(`${prefix}.attn.qkv.weight`, [3 * d, d]);
    // Queries and keys (the first 2·d rows) rescaled to qkStd; the same draws, so INIT_STD changes nothing.
    if (qkStd !== INIT_STD) noGrad(() => qkvW.narrow(0, 0, 2 * d).mul_(qkStd / INIT_STD));
    return {
      ln1W: this.constant(`${prefix}.ln1.weight`, [d], 1),
      ln1B: this.constant(`${prefix}.ln1.bias`, [d], 0),
      qkvW,
      qkvB: this.constant(`${prefix}.attn.qkv.bias`, [3 * d], 0),
      projW: this.normal(`${prefix}.attn.proj.weight`, [d, d], residualStd),
      projB: this.constant(`${prefix}.attn.proj.bias`, [d], 0),
      ln2W: this.constant(`${prefix}.ln2.weight`, [d], 1),
      ln2B: this.constant(`${prefix}.ln2.bias`, [d], 0),
      fcW: this.normal(`${prefix}.mlp.fc.weight`, [h, d]),
      fcB: this.constant(`${prefix}.mlp.fc.bias`, [h], 0),
      outW: this.normal(`${prefix}.mlp.proj.weight`, [d, h], residualStd),
      outB: this.constant(`${prefix}.mlp.proj.bias`, [d], 0),
      // Zeros: a model with local mixing starts as the same function as one without.
      ...(localMix > 0 ? { mixW: this.constant(`${prefix}.mix.weight`, [localMix, d], 0) } : {}),
    };
  }
}

/** Pixel normalisation of the vision tower's input: (x − mean) / std, the same for every channel. */
export const PIXEL_MEAN = 0.5;
export const PIXEL_STD = 0.25;

// --- image patches ---------------------------------------------------------------------------------

/**
 * Cuts images into flattened patches [N, patches, 3·p·p], patches in row-major order and each patch
 * flattened as (channel, y, x) — the layout of a conv2d patch-embedding weight [d, 3, p, p].
 */
export function patchify(images: readonly ImagePixels[], vision: VisionConfig): Float32Array {
  const { imageSize: S, patchSize: p } = vision;
  const grid = S / p;
  const patchDim = 3 * p * p;
  const out = new Float32Array(images.length * grid * grid * patchDim);
  let o = 0;
  images.forEach((img, n) => {
    if (!(img instanceof Float32Array) || img.length !== 3 * S * S) {
      throw new RangeError(
        `image ${n}: expected a Float32Array of 3×${S}×${S} = ${3 * S * S} pixels (C×H×W in [0, 1], resized to vision.imageSize), got ${img instanceof Float32Array ? `length ${img.length}` : typeof img}`,
      );
    }
    for (let gy = 0; gy < grid; gy++)
      for (let gx = 0; gx < grid; gx++)
        for (let c = 0; c < 3; c++)
          for (let y = 0; y < p; y++) {
            const row = c * S * S + (gy * p + y) * S + gx * p;
            for (let x = 0; x < p; x++) {
              const v = img[row + x]!;
              // NaN fails this test too.
              if (!(v >= 0 && v <= 1))
                throw new RangeError(
                  `image ${n}: pixel (channel ${c}, y ${gy * p + y}, x ${gx * p + x}) = ${v} is outside [0, 1]; scale 8-bit values by 1/255`,
                );
              out[o++] = v;
            }
          }
  });
  return out;
}

// --- the model ------------------------------------------------------------------------------------

/**
 * The vision-language judge model: a patch-embedding vision tower projected into a decoder-only transformer,
 * with a KV cache for sampling (see docs/model.md).
 */
export class VisionLanguageModel {
  readonly config: ModelConfig;
  readonly imageTokenId: number | null;
  readonly device: Device;
  private readonly named: [string, Tensor][];
  private readonly tok: Tensor;
  /** Learned LM positions; null with rotary positions. */
  private readonly pos: Tensor | null;
  private readonly blocks: BlockParams[];
  private readonly lnW: Tensor;
  private readonly lnB: Tensor;
  private readonly vision: VisionParams | null;
  private readonly headDim: number;

  constructor(config: ModelConfig, options: ModelOptions = {}) {
    this.config = validateConfig(config);
    const { vocabSize: V, maxSeqLen, dModel: d, nLayers, mlpRatio, vision } = config;
    const imageTokenId = options.imageTokenId ?? null;
    if (vision !== null && imageTokenId === null)
      throw new RangeError('a model with vision needs options.imageTokenId (tokenizer.id("image"))');
    if (imageTokenId !== null && !(Number.isInteger(imageTokenId) && imageTokenId >= 0 && imageTokenId < V))
      throw new RangeError(`imageTokenId ${imageTokenId} is outside the vocabulary [0, ${V})`);
    this.imageTokenId = imageTokenId;
    this.device = options.device ?? 'cpu';
    requireDevice(this.device);
    this.headDim = d / config.nHeads;

    const build = new ParameterBuilder(new Rng(options.seed ?? 0), this.device);
    this.tok = build.normal('lm.tok.weight', [V, d]);
    this.pos = usesRope(config) ? null : build.normal('lm.pos.weight', [maxSeqLen, d], 0.01);
    const residualStd = INIT_STD / Math.sqrt(2 * nLayers);
    this.blocks = Array.from({ length: nLayers }, (_, i) =>
      build.block(`lm.blocks.${i}`, d, mlpRatio, residualStd, config.qkInitStd, config.localMix ?? 0),
    );
    this.lnW = build.constant('lm.ln.weight', [d], 1);
    this.lnB = build.constant('lm.ln.bias', [d], 0);
    if (vision) {
      const dv = vision.dModel;
      const visionStd = INIT_STD / Math.sqrt(2 * vision.nLayers);
      this.vision = {
        patchW: build.normal('vision.patch.weight', [dv, 3 * vision.patchSize ** 2]),
        patchB: build.constant('vision.patch.bias', [dv], 0),
        // 0.1, not 0.01: the positions must stand out against the patch content for the LM to tell
        // the image's cells apart (caption pretraining on the synthetic world: colour read at 87 %
        // after 500 steps, against 43–74 % with 0.01).
        pos: build.normal('vision.pos.weight', [tokensPerImage(vision), dv], 0.1),
        blocks: Array.from({ length: vision.nLayers }, (_, i) =>
          build.block(`vision.blocks.${i}`, dv, mlpRatio, visionStd),
        ),
        lnW: build.constant('vision.ln.weight', [dv], 1),
        lnB: build.constant('vision.ln.bias', [dv], 0),
        projectorW: build.normal('projector.weight', [d, dv]),
        projectorB: build.constant('projector.bias', [d], 0),
      };
    } else {
      this.vision = null;
    }
    this.named = build.named;
    const total = this.named.reduce((s, [, t]) => s + t.numel(), 0);
    if (total !== countParameters(config))
      throw new Error(
        `internal: ${total} parameters built but countParameters says ${countParameters(config)}`,
      );
  }

  /** Parameters by name (the names of model.safetensors), in a fixed order. */
  namedParameters(): readonly [string, Tensor][] {
    return this.named;
  }
  parameters(): Tensor[] {
    return this.named.map(([, t]) => t);
  }
  numParameters(): number {
    return countParameters(this.config);
  }

  /** Copies weights in (e.g. from a checkpoint); names and shapes must match exactly. */
  loadWeights(weights: Readonly<Record<string, Tensor>>): void {
    noGrad(() => {
      for (const [name, p] of this.named) {
        const w = weights[name];
        if (w === undefined) throw new RangeError(`loadWeights: no tensor named '${name}'`);
        if (w.shape.join() !== p.shape.join())
          throw new RangeError(`loadWeights: '${name}' has shape [${w.shape}], expected [${p.shape}]`);
        p.copy_(w);
      }
    });
  }

  /** An independent copy with the same weights (a frozen reference model, or a stale rollout policy). */
  clone(): VisionLanguageModel {
    const copy = new VisionLanguageModel(this.config, {
      imageTokenId: this.imageTokenId,
      device: this.device,
    });
    copy.loadWeights(Object.fromEntries(this.named));
    return copy;
  }

  dispose(): void {
    for (const [, t] of this.named) t.dispose();
  }

  // --- vision encoder -------------------------------------------------------------------------------

  /** Encodes images to LM-width embeddings [N, tokensPerImage, dModel]. */
  encodeImages(images: readonly ImagePixels[]): Tensor {
    const v = this.vision;
    const vc = this.config.vision;
    if (v === null || vc === null)
      throw new RangeError('this model has no vision encoder (config.vision is null)');
    const n = tokensPerImage(vc);
    // Pixels centred and scaled, (x − 0.5) / 0.25: the background becomes a large constant part of
    // every patch, so the LayerNorms keep how much of a patch an object covers (its size) instead of
    // normalising it away (caption pretraining: size read at 98 % after 1,000 steps, chance without).
    const patches = tensor(patchify(images, vc), {
      shape: [images.length, n, 3 * vc.patchSize ** 2],
      device: this.device,
    })
      .sub(PIXEL_MEAN)
      .div(PIXEL_STD);
    let x = nn.linear(patches, v.patchW, v.patchB).add(v.pos);
    for (const b of v.blocks) x = block(b, x, vc.nHeads, { causal: false });
    return nn.linear(nn.layerNorm(x, [vc.dModel], v.lnW, v.lnB), v.projectorW, v.projectorB);
  }

  // --- language model, whole sequences --------------------------------------------------------------

  /** Logits [B, T, vocab] for every position (autograd on unless inside noGrad). */
  forward(input: ForwardInput): Tensor {
    const x = this.hidden(input, null);
    return nn.linear(nn.layerNorm(x, [this.config.dModel], this.lnW, this.lnB), this.tok);
  }

  /** Final hidden states [B, T, d] before the last LayerNorm; writes keys/values into `cache`. */
  private hidden(input: ForwardInput, cache: KVCache | null): Tensor {
    const { tokens } = input;
    const B = tokens.length;
    const T = tokens[0]?.length ?? 0;
    const { maxSeqLen, vocabSize: V, dropout } = this.config;
    if (B === 0 || T === 0)
      throw new RangeError('forward: tokens must hold at least one row of at least one token');
    if (T > maxSeqLen) throw new RangeError(`forward: ${T} tokens exceed config.maxSeqLen ${maxSeqLen}`);
    const flat = new BigInt64Array(B * T);
    tokens.forEach((row, b) => {
      if (row.length !== T)
        throw new RangeError(
          `forward: row ${b} has ${row.length} tokens, row 0 has ${T}; pad rows to one length`,
        );
      row.forEach((id, t) => {
        if (!(Number.isInteger(id) && id >= 0 && id < V))
          throw new RangeError(`forward: tokens[${b}][${t}] = ${id} is outside the vocabulary [0, ${V})`);
        flat[b * T + t] = BigInt(id);
      });
    });
    const pad = input.leftPadding;
    if (pad !== undefined && (pad.length !== B || pad.some((p) => !(Number.isInteger(p) && p >= 0 && p < T))))
      throw new RangeError(`forward: leftPadding must hold ${B} integers in [0, ${T}), got [${pad}]`);
    const padded = pad?.some((p) => p > 0) ?? false;
    const train = (input.train ?? false) && dropout > 0;

    const device = this.device;
    let x = nn.embedding(tensor(flat, { shape: [B, T], device }), this.tok);
    x = this.placeImages(x, tokens, input.images);
    // Positions count from each row's first real token (one shared row when nothing is padded).
    const positions = () =>
      Array.from({ length: padded ? B : 1 }, (_, b) =>
        Array.from({ length: T }, (_, t) => Math.max(0, t - (padded ? pad![b]! : 0))),
      );
    let rope: Rotary | undefined;
    if (this.pos === null) {
      rope = rotary(positions(), this.headDim, device);
    } else if (padded) {
      const ids = BigInt64Array.from(positions().flat(), BigInt);
      x = x.add(nn.embedding(tensor(ids, { shape: [B, T], device }), this.pos));
    } else {
      x = x.add(this.pos.narrow(0, 0, T));
    }
    if (train) x = nn.dropout(x, dropout, true);
    // Causal attention; with left padding, also never attend to a pad key (a pad query sees itself,
    // so no softmax row is empty and no NaN can leak into the real tokens).
    let mask: Tensor | undefined;
    // [B, T, 1]: 0 at pad positions, so local mixing never carries a pad token into a real one.
    let realMask: Tensor | undefined;
    if (padded && this.config.localMix) {
      const real = new Float32Array(B * T);
      for (let b = 0; b < B; b++) real.fill(1, b * T + pad![b]!, (b + 1) * T);
      realMask = tensor(real, { shape: [B, T, 1], device });
    }
    if (padded) {
      const allowed = new Uint8Array(B * T * T);
      for (let b = 0; b < B; b++)
        for (let i = 0; i < T; i++)
          for (let j = 0; j <= i; j++) allowed[(b * T + i) * T + j] = j >= pad![b]! || j === i ? 1 : 0;
      mask = tensor(allowed, { shape: [B, 1, T, T], dtype: 'bool', device });
    }
    this.blocks.forEach((b, layer) => {
      const kv = cache
        ? { keys: cache.keys[layer]!, values: cache.values[layer]!, mixHistory: cache.mixHistory[layer] }
        : undefined;
      x = block(b, x, this.config.nHeads, {
        causal: !padded,
        realMask,
        mask,
        cache: kv,
        dropout: train ? dropout : 0,
        rope,
      });
    });
    return x;
  }

  /** Replaces each row's image placeholder embeddings, in order, by the projected image embeddings. */
  private placeImages(x: Tensor, tokens: ForwardInput['tokens'], images: ForwardInput['images']): Tensor {
    const id = this.imageTokenId;
    const vc = this.config.vision;
    const perImage = vc ? tokensPerImage(vc) : 0;
    const slots: number[] = [];
    const all: ImagePixels[] = [];
    const [B, T, C] = x.shape as [number, number, number];
    for (let b = 0; b < B; b++) {
      const row = tokens[b]!;
      const rowImages = images?.[b] ?? [];
      const before = slots.length;
      if (id !== null) for (let t = 0; t < T; t++) if (row[t] === id) slots.push(b * T + t);
      const count = slots.length - before;
      if (count !== rowImages.length * perImage)
        throw new RangeError(
          `forward: row ${b} has ${count} image placeholder tokens but ${rowImages.length} image(s) × ${perImage} tokens per image = ${rowImages.length * perImage}` +
            (vc ? '' : ' (this model has no vision encoder)'),
        );
      all.push(...rowImages);
    }
    if (images !== undefined && images.length !== B)
      throw new RangeError(`forward: images has ${images.length} rows, tokens has ${B}`);
    if (all.length === 0) return x;
    const features = this.encodeImages(all).reshape([slots.length, C]);
    const index = tensor(BigInt64Array.from(slots, BigInt), {
      shape: [slots.length, 1],
      device: this.device,
    }).expand([slots.length, C]);
    return x
      .reshape([B * T, C])
      .scatter(0, index, features)
      .view([B, T, C]);
  }

  // --- KV-cache decoding (no grad) ------------------------------------------------------------------

  /** An empty cache for `batch` rows of at most `capacity` positions (≤ config.maxSeqLen). */
  createCache(batch: number, capacity: number): KVCache {
    const { nLayers, nHeads, maxSeqLen, dModel: d } = this.config;
    if (!(Number.isInteger(capacity) && capacity >= 1 && capacity <= maxSeqLen))
      throw new RangeError(`cache capacity ${capacity} must be in [1, config.maxSeqLen = ${maxSeqLen}]`);
    const shape = [batch, nHeads, capacity, this.headDim];
    const device = this.device;
    return {
      batch,
      capacity,
      keys: Array.from({ length: nLayers }, () => empty(shape, { device }).keep()),
      values: Array.from({ length: nLayers }, () => empty(shape, { device }).keep()),
      length: 0,
      leftPadding: new Array<number>(batch).fill(0),
      keyMask: null,
      packed: this.fusedDecode ? this.packDecodeWeights() : [],
      mixHistory: this.blocks.flatMap((b) =>
        b.mixW ? [zeros([batch, b.mixW.shape[0]!, d], { device }).keep()] : [],
      ),
    };
  }

  /** Per layer the 12 tensors of nn.DecodeWeights.layers, then the packed head; new tensors kept. */
  private packDecodeWeights(): Tensor[] {
    return noGrad(() => {
      const panels = (w: Tensor) => nn.packPanels(w).keep();
      // Aliases share the parameters' storage (no copy), so disposing the cache leaves them intact.
      const alias = (w: Tensor) => w.detach().keep();
      const layers = this.blocks.flatMap((b) => [
        alias(b.ln1W),
        alias(b.ln1B),
        panels(b.qkvW),
        alias(b.qkvB),
        panels(b.projW),
        alias(b.projB),
        alias(b.ln2W),
        alias(b.ln2B),
        panels(b.fcW),
        alias(b.fcB),
        panels(b.outW),
        alias(b.outB),
      ]);
      return [...layers, panels(this.tok)];
    });
  }

  private decodeWeights(cache: KVCache): nn.DecodeWeights {
    return {
      tok: this.tok,
      pos: this.pos,
      ropeBase: this.pos === null ? ROPE_BASE : 0,
      layers: cache.packed.slice(0, -1),
      lnW: this.lnW,
      lnB: this.lnB,
      head: cache.packed.at(-1)!,
      nHeads: this.config.nHeads,
      mix: this.blocks.flatMap((b) => (b.mixW ? [b.mixW] : [])),
    };
  }

  /**
   * Runs the (left-padded) prompts through the model, filling the cache, and returns the logits of
   * each row's last position [B, vocab].
   */
  prefill(cache: KVCache, input: ForwardInput): Tensor {
    return noGrad(() =>
      scope(() => {
        const T = input.tokens[0]?.length ?? 0;
        if (input.tokens.length !== cache.batch)
          throw new RangeError(`prefill: ${input.tokens.length} rows for a cache of batch ${cache.batch}`);
        if (T > cache.capacity)
          throw new RangeError(`prefill: ${T} tokens exceed the cache capacity ${cache.capacity}`);
        const x = this.hidden({ ...input, train: false }, cache);
        cache.length = T;
        cache.leftPadding = [...(input.leftPadding ?? new Array<number>(cache.batch).fill(0))];
        cache.keyMask?.dispose();
        cache.keyMask = null;
        if (cache.leftPadding.some((p) => p > 0)) {
          const allowed = new Uint8Array(cache.batch * cache.capacity);
          for (let b = 0; b < cache.batch; b++)
            for (let j = cache.leftPadding[b]!; j < cache.capacity; j++) allowed[b * cache.capacity + j] = 1;
          cache.keyMask = tensor(allowed, {
            shape: [cache.batch, 1, 1, cache.capacity],
            dtype: 'bool',
            device: this.device,
          }).keep();
        }
        const last = x.select(1, T - 1);
        return nn.linear(nn.layerNorm(last, [this.config.dModel], this.lnW, this.lnB), this.tok);
      }),
    );
  }

  /** A cache whose row r·n + s is a copy of row r (n samples per prompt sharing one prefill). */
  repeatCache(cache: KVCache, n: number): KVCache {
    return noGrad(() => {
      const rows = tensor(
        BigInt64Array.from({ length: cache.batch * n }, (_, i) => BigInt(Math.floor(i / n))),
        { device: this.device },
      );
      const pick = (t: Tensor) => t.indexSelect(0, rows).keep();
      const repeated: KVCache = {
        batch: cache.batch * n,
        capacity: cache.capacity,
        keys: cache.keys.map(pick),
        values: cache.values.map(pick),
        length: cache.length,
        leftPadding: Array.from({ length: cache.batch * n }, (_, i) => cache.leftPadding[Math.floor(i / n)]!),
        keyMask: cache.keyMask ? pick(cache.keyMask) : null,
        // New handles on the same storage, so disposing either cache leaves the other intact.
        packed: cache.packed.map((w) => w.detach().keep()),
        mixHistory: cache.mixHistory.map(pick),
      };
      rows.dispose();
      return repeated;
    });
  }

  /**
   * Intra-op threads of the fused decode step (0 = the engine's setNumThreads setting). One thread by
   * default: at decode shapes ([batch, d] × [d, 4d]) a second OpenMP thread costs more in wake-ups
   * and spin-waiting than it gains (bench/sampling, docs/model.md).
   */
  decodeThreads = 1;

  /** The fused step is a CPU kernel; on other devices decoding runs op by op. */
  private get fusedDecode(): boolean {
    return this.device === 'cpu';
  }

  /**
   * Feeds one token per row at column cache.length and returns the next-token logits [B, vocab]:
   * the whole decoder in one native call (nn.decodeStep).
   */
  step(cache: KVCache, tokens: readonly number[]): Tensor {
    if (!this.fusedDecode) return this.stepUnfused(cache, tokens);
    const { batch: B, length: t } = this.checkStep(cache, tokens);
    const V = this.config.vocabSize;
    const ids = new BigInt64Array(B);
    const positions = new BigInt64Array(B);
    for (let b = 0; b < B; b++) {
      const id = tokens[b]!;
      if (!(Number.isInteger(id) && id >= 0 && id < V))
        throw new RangeError(`step: tokens[${b}] = ${id} is outside the vocabulary [0, ${V})`);
      ids[b] = BigInt(id);
      positions[b] = BigInt(t - cache.leftPadding[b]!);
    }
    const logits = scope(() =>
      nn.decodeStep(this.decodeWeights(cache), {
        ids: tensor(ids),
        positions: tensor(positions),
        keys: cache.keys,
        values: cache.values,
        column: t,
        keyMask: cache.keyMask,
        threads: this.decodeThreads,
        mixHistory: cache.mixHistory,
      }),
    );
    cache.length = t + 1;
    return logits;
  }

  private checkStep(cache: KVCache, tokens: readonly number[]): KVCache {
    const { batch: B, length: t } = cache;
    if (tokens.length !== B) throw new RangeError(`step: ${tokens.length} tokens for a cache of batch ${B}`);
    if (t >= cache.capacity) throw new RangeError(`step: the cache is full (${cache.capacity} positions)`);
    return cache;
  }

  /**
   * `step` op by op (~80 native calls): the reference the fused step is tested against
   * (test/model/decode-step.test.ts).
   */
  stepUnfused(cache: KVCache, tokens: readonly number[]): Tensor {
    const { batch: B, length: t } = this.checkStep(cache, tokens);
    return noGrad(() =>
      scope(() => {
        const C = this.config.dModel;
        const ids = new BigInt64Array(B);
        for (let b = 0; b < B; b++) ids[b] = BigInt(tokens[b]!);
        const device = this.device;
        let x = nn.embedding(tensor(ids, { device }), this.tok); // [B, C]
        const positions = Array.from({ length: B }, (_, b) => t - cache.leftPadding[b]!);
        // Rotary tables [B, 1, 1, headDim/2] for the new token's position in each row.
        const rope =
          this.pos === null
            ? rotary(
                positions.map((p) => [p]),
                this.headDim,
                device,
              )
            : undefined;
        if (this.pos !== null)
          x = x.add(nn.embedding(tensor(BigInt64Array.from(positions, BigInt), { device }), this.pos));
        const mask = cache.keyMask?.narrow(3, 0, t + 1);
        const H = this.config.nHeads;
        for (let layer = 0; layer < this.blocks.length; layer++) {
          const p = this.blocks[layer]!;
          const kCache = cache.keys[layer]!;
          const vCache = cache.values[layer]!;
          let a = nn.layerNorm(x, [C], p.ln1W, p.ln1B);
          if (p.mixW) {
            const history = cache.mixHistory[layer]!;
            const a1 = a.unsqueeze(1);
            a = localMix(a1, cat([history, a1], 1), p.mixW, history).squeeze(1);
          }
          const qkv = nn.linear(a, p.qkvW, p.qkvB);
          let [q, k, v] = qkv.view([B, 3, H, 1, this.headDim]).unbind(1) as [Tensor, Tensor, Tensor];
          if (rope) [q, k] = [rotate(q, rope), rotate(k, rope)];
          kCache.narrow(2, t, 1).copy_(k);
          vCache.narrow(2, t, 1).copy_(v);
          const y = nn.scaledDotProductAttention(q, kCache.narrow(2, 0, t + 1), vCache.narrow(2, 0, t + 1), {
            mask,
          });
          x = x.add(nn.linear(y.view([B, C]), p.projW, p.projB));
          const h = nn.linear(nn.layerNorm(x, [C], p.ln2W, p.ln2B), p.fcW, p.fcB).gelu();
          x = x.add(nn.linear(h, p.outW, p.outB));
        }
        cache.length = t + 1;
        return nn.linear(nn.layerNorm(x, [C], this.lnW, this.lnB), this.tok);
      }),
    );
  }

  /** Frees a cache's tensors. */
  disposeCache(cache: KVCache): void {
    for (const t of [...cache.keys, ...cache.values, ...cache.packed, ...cache.mixHistory]) t.dispose();
    cache.keyMask?.dispose();
  }
}

// --- one pre-LN transformer block (whole sequences) -----------------------------------------------

/** cos and sin of every (position, frequency) pair: [rows, 1, T, headDim/2], rows 1 or B. */
interface Rotary {
  cos: Tensor;
  sin: Tensor;
}

/**
 * Rotary tables (RoFormer, Su et al. 2021) for each row's positions: angle p·θ_i with
 * θ_i = ROPE_BASE^(−2i/headDim), computed in double precision like the native decode step does, so
 * both paths rotate by the same float32 values.
 */
function rotary(positions: readonly (readonly number[])[], headDim: number, device: Device): Rotary {
  const half = headDim / 2;
  const rows = positions.length;
  const T = positions[0]!.length;
  const cos = new Float32Array(rows * T * half);
  const sin = new Float32Array(rows * T * half);
  for (let r = 0; r < rows; r++)
    for (let t = 0; t < T; t++)
      for (let i = 0; i < half; i++) {
        const angle = positions[r]![t]! * ROPE_BASE ** ((-2 * i) / headDim);
        cos[(r * T + t) * half + i] = Math.cos(angle);
        sin[(r * T + t) * half + i] = Math.sin(angle);
      }
  const shape = [rows, 1, T, half];
  return { cos: tensor(cos, { shape, device }), sin: tensor(sin, { shape, device }) };
}

/**
 * Rotates each (x_i, x_{i+half}) pair of the last dimension by its angle (the "rotate half" layout
 * of GPT-NeoX and Qwen): [x1·cos − x2·sin, x2·cos + x1·sin].
 */
function rotate(x: Tensor, { cos, sin }: Rotary): Tensor {
  const half = x.shape[x.shape.length - 1]! / 2;
  const last = x.shape.length - 1;
  const x1 = x.narrow(last, 0, half);
  const x2 = x.narrow(last, half, half);
  return cat([x1.mul(cos).sub(x2.mul(sin)), x2.mul(cos).add(x1.mul(sin))], last);
}

interface BlockOptions {
  causal: boolean;
  /** Rotary positions for queries and keys (LM with config.positions 'rope'). */
  rope?: Rotary | undefined;
  mask?: Tensor | undefined;
  /** Where to store this layer's keys/values [B, H, capacity, hd] (prefill). */
  cache?: { keys: Tensor; values: Tensor; mixHistory?: Tensor | undefined } | undefined;
  dropout?: number;
  /** [B, T, 1], 0 at left-pad positions (local mixing with padding). */
  realMask?: Tensor | undefined;
}

/**
 * Causal depthwise mixing (config.localMix = K): a + Σ_{k=1..K} w_k ⊙ a[t−k], zeros before each
 * row's first real token. The "Canon layer" of Allen-Zhu (2025), placed before attention: every
 * position sees its K predecessors directly, so comparing two nearby phrases needs no learned
 * relative-offset attention head. `window` [B, K + T, C] holds the K positions before `a`'s T, then
 * those T (pads zeroed); both paths build it — the whole sequence zero-padded in front, or a decode
 * step's history and its new position — and `history`, when given, receives its last K rows.
 */
function localMix(a: Tensor, window: Tensor, mixW: Tensor, history?: Tensor): Tensor {
  const K = mixW.shape[0]!;
  const T = a.shape[1]!;
  history?.copy_(window.narrow(1, T, K));
  let out = a;
  for (let k = 1; k <= K; k++) out = out.add(window.narrow(1, K - k, T).mul(mixW.select(0, k - 1)));
  return out;
}

function block(p: BlockParams, x: Tensor, nHeads: number, options: BlockOptions): Tensor {
  // A scope per block frees its temporaries at once (autograd keeps what backward needs), so
  // no-grad passes peak at one layer's activations.
  return scope(() => {
    const [B, T, C] = x.shape as [number, number, number];
    let a = nn.layerNorm(x, [C], p.ln1W, p.ln1B);
    if (p.mixW) {
      const window = nn.pad(options.realMask ? a.mul(options.realMask) : a, [0, 0, p.mixW.shape[0]!, 0]);
      a = localMix(a, window, p.mixW, options.cache?.mixHistory);
    }
    const qkv = nn.linear(a, p.qkvW, p.qkvB);
    // [B, T, 3, H, hd] → 3 × [B, H, T, hd]
    let [q, k, v] = qkv
      .view([B, T, 3, nHeads, C / nHeads])
      .permute([2, 0, 3, 1, 4])
      .unbind(0) as [Tensor, Tensor, Tensor];
    if (options.rope) [q, k] = [rotate(q, options.rope), rotate(k, options.rope)];
    if (options.cache) {
      options.cache.keys.narrow(2, 0, T).copy_(k);
      options.cache.values.narrow(2, 0, T).copy_(v);
    }
    const y = nn
      .scaledDotProductAttention(q, k, v, { causal: options.causal, mask: options.mask })
      .transpose(1, 2)
      .reshape([B, T, C]);
    const p1 = options.dropout ?? 0;
    let attn = nn.linear(y, p.projW, p.projB);
    if (p1 > 0) attn = nn.dropout(attn, p1, true);
    const h = x.add(attn);
    let mlp = nn.linear(nn.linear(nn.layerNorm(h, [C], p.ln2W, p.ln2B), p.fcW, p.fcB).gelu(), p.outW, p.outB);
    if (p1 > 0) mlp = nn.dropout(mlp, p1, true);
    return h.add(mlp);
  });
}
