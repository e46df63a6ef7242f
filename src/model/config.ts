// The vision-language policy's configuration: one typed object, presets from "tiny" (tests) to
// "small" (the demo), and parameter counting from the config alone.

/** The vision tower's configuration: image side, patch size, width, depth and heads. */
export interface VisionConfig {
  /** Images are resized to imageSize × imageSize RGB. */
  imageSize: number;
  /** Square patches; imageSize must be a multiple. (imageSize / patchSize)² tokens per image. */
  patchSize: number;
  dModel: number;
  nLayers: number;
  nHeads: number;
}

/**
 * The whole model's configuration, one typed object: vocabulary, widths, depth, heads, context length,
 * dropout and the vision part.
 */
export interface ModelConfig {
  vocabSize: number;
  /** Longest sequence (image tokens + prompt + response) the model accepts. */
  maxSeqLen: number;
  /**
   * How the language model knows token order: `learned` absolute position embeddings (GPT-2; the
   * default, and what a config without the field means) or `rope`, rotary embeddings on queries and
   * keys (RoFormer; the Qwen2-VL family R1-Reward is built on), which make attention depend on
   * relative distance. The vision tower always uses learned positions over its fixed patch grid.
   */
  positions?: PositionEncoding;
  dModel: number;
  nLayers: number;
  nHeads: number;
  /**
   * Standard deviation of the LM's initial query and key projection weights (default 0.02, GPT-2's).
   * Larger values make the initial attention sharper; with GPT-2's it starts nearly uniform, the
   * gradients of W_Q and W_K nearly vanish, and a small model sits on a long plateau before it learns
   * to compare two tokens (Hoffmann et al. 2024, "Eureka-moments in transformers"). Used only at
   * initialisation.
   */
  qkInitStd?: number;
  /**
   * Causal local mixing: each LM block adds to its normalised input a learned per-channel
   * combination of the previous `localMix` positions (a depthwise causal convolution, zero-initialised;
   * Allen-Zhu 2025's "Canon layers"). 0 or absent: off.
   */
  localMix?: number;
  /** MLP hidden width = mlpRatio × dModel (GELU). */
  mlpRatio: number;
  /** null for a text-only language model. */
  vision: VisionConfig | null;
  dropout: number;
}

/** See {@link ModelConfig.positions}. */
export type PositionEncoding = 'learned' | 'rope';

/** Base of the rotary frequencies, θ_i = ROPE_BASE^(−2i/headDim) (RoFormer's 10,000). */
export const ROPE_BASE = 10_000;

/**
 * A model preset of {@link PRESETS}: `tiny` (tests and the demo), `small`, `reference-lm` (the engine
 * benchmark's text-only LM).
 */
export type PresetName = 'tiny' | 'cells' | 'cells-mix' | 'policy' | 'small' | 'reference-lm';

/** The `cells` preset (also the base of `cells-mix`). */
const CELLS: Omit<ModelConfig, 'vocabSize'> = {
  maxSeqLen: 256,
  dModel: 128,
  nLayers: 2,
  nHeads: 4,
  mlpRatio: 4,
  vision: { imageSize: 48, patchSize: 16, dModel: 64, nLayers: 1, nHeads: 2 },
  dropout: 0,
};

/** Presets without the vocabulary size, which comes from the trained tokenizer. */
export const PRESETS: Record<PresetName, Omit<ModelConfig, 'vocabSize'>> = {
  // Fast tests: ~0.1 M parameters.
  tiny: {
    maxSeqLen: 256,
    dModel: 64,
    nLayers: 2,
    nHeads: 2,
    mlpRatio: 4,
    vision: { imageSize: 32, patchSize: 8, dModel: 32, nLayers: 1, nHeads: 2 },
    dropout: 0,
  },
  // The ablation's judge and the base of `cells-mix` (~0.6 M parameters): one 16×16 patch per cell of the synthetic world's
  // 3×3 grid at 48×48, and a 128-wide LM with 4 heads: narrower LMs learn where objects are before
  // they read colour, shape and size.
  cells: CELLS,
  // The default demo's judge: `cells` with local mixing over the 4 previous tokens (localMix), which
  // lets it compare the attribute pairs of a trace (docs/training.md).
  'cells-mix': { ...CELLS, localMix: 4 },
  // The policy of the downstream experiment (docs/downstream.md): the judge's architecture
  // (`cells-mix`) with a context for a question and a one-sentence answer (9 image tokens + ~40).
  policy: { ...CELLS, localMix: 4, maxSeqLen: 96 },
  // A longer demo: a few million parameters (spec compute budget: ~1,950 tokens/s of training on 2 cores).
  small: {
    maxSeqLen: 384,
    dModel: 192,
    nLayers: 4,
    nHeads: 4,
    mlpRatio: 4,
    vision: { imageSize: 48, patchSize: 8, dModel: 96, nLayers: 2, nHeads: 4 },
    dropout: 0,
  },
  // The engine benchmark's reference LM (vocab 256, d 256, 4 layers, 4 heads, seq 128): text only.
  'reference-lm': {
    maxSeqLen: 128,
    dModel: 256,
    nLayers: 4,
    nHeads: 4,
    mlpRatio: 4,
    vision: null,
    dropout: 0,
  },
};

/** The configuration of a preset for a tokenizer's vocabulary size. */
export function presetConfig(name: PresetName, vocabSize: number): ModelConfig {
  const preset = PRESETS[name];
  if (!preset)
    throw new RangeError(
      `unknown preset ${JSON.stringify(name)}; use one of ${Object.keys(PRESETS).join(', ')}`,
    );
  return validateConfig({ ...preset, vision: preset.vision && { ...preset.vision }, vocabSize });
}

/** Checks a config (e.g. one read from config.json) and returns it; errors name the field. */
export function validateConfig(config: ModelConfig): ModelConfig {
  const positiveInt = (name: string, value: unknown) => {
    if (!Number.isInteger(value) || (value as number) < 1)
      throw new RangeError(`config.${name} must be an integer ≥ 1, got ${String(value)}`);
  };
  for (const key of ['vocabSize', 'maxSeqLen', 'dModel', 'nLayers', 'nHeads', 'mlpRatio'] as const)
    positiveInt(key, config[key]);
  if (config.dModel % config.nHeads !== 0)
    throw new RangeError(
      `config.dModel (${config.dModel}) must be divisible by config.nHeads (${config.nHeads})`,
    );
  if (config.qkInitStd !== undefined && !(config.qkInitStd > 0 && Number.isFinite(config.qkInitStd)))
    throw new RangeError(`config.qkInitStd must be a positive number, got ${config.qkInitStd}`);
  if (config.localMix !== undefined && !(Number.isInteger(config.localMix) && config.localMix >= 0))
    throw new RangeError(`config.localMix must be an integer ≥ 0, got ${config.localMix}`);
  if (config.positions !== undefined && config.positions !== 'learned' && config.positions !== 'rope')
    throw new RangeError(
      `config.positions must be "learned" or "rope", got ${JSON.stringify(config.positions)}`,
    );
  if (config.positions === 'rope' && (config.dModel / config.nHeads) % 2 !== 0)
    throw new RangeError(
      `config.positions "rope" needs an even head width; dModel / nHeads = ${config.dModel / config.nHeads}`,
    );
  if (!(config.dropout >= 0 && config.dropout < 1))
    throw new RangeError(`config.dropout must be in [0, 1), got ${config.dropout}`);
  const v = config.vision;
  if (v !== null) {
    if (typeof v !== 'object') throw new RangeError('config.vision must be an object or null');
    for (const key of ['imageSize', 'patchSize', 'dModel', 'nLayers', 'nHeads'] as const)
      positiveInt(`vision.${key}`, v[key]);
    if (v.imageSize % v.patchSize !== 0)
      throw new RangeError(
        `config.vision.imageSize (${v.imageSize}) must be a multiple of patchSize (${v.patchSize})`,
      );
    if (v.dModel % v.nHeads !== 0)
      throw new RangeError(
        `config.vision.dModel (${v.dModel}) must be divisible by vision.nHeads (${v.nHeads})`,
      );
  }
  return config;
}

/** Whether the language model uses rotary positions (config.positions === 'rope'). */
export function usesRope(config: Pick<ModelConfig, 'positions'>): boolean {
  return config.positions === 'rope';
}

/** Image tokens each image expands to in the sequence. */
export function tokensPerImage(vision: VisionConfig): number {
  return (vision.imageSize / vision.patchSize) ** 2;
}

/** Parameters of one pre-LN transformer block: 2 LayerNorms, attention (qkv + out), GELU MLP. */
function blockParams(d: number, mlpRatio: number): number {
  const layerNorms = 2 * 2 * d;
  const attention = d * 3 * d + 3 * d + d * d + d;
  const hidden = mlpRatio * d;
  const mlp = d * hidden + hidden + hidden * d + d;
  return layerNorms + attention + mlp;
}

/** Parameter count implied by a config (the model's tensors must add up to exactly this). */
export function countParameters(config: ModelConfig): number {
  const { vocabSize, maxSeqLen, dModel: d, nLayers, mlpRatio, vision } = config;
  // Token embedding (tied with the output head), learned positions (none with rope), blocks, final
  // LayerNorm.
  const positions = usesRope(config) ? 0 : maxSeqLen * d;
  const mix = (config.localMix ?? 0) * d;
  let total = vocabSize * d + positions + nLayers * (blockParams(d, mlpRatio) + mix) + 2 * d;
  if (vision) {
    const dv = vision.dModel;
    const patchDim = 3 * vision.patchSize ** 2;
    total += patchDim * dv + dv; // patch embedding (linear over flattened patches)
    total += tokensPerImage(vision) * dv; // vision positions
    total += vision.nLayers * blockParams(dv, mlpRatio) + 2 * dv; // vision blocks + final LayerNorm
    total += dv * d + d; // projector into the language model's width
  }
  return total;
}
