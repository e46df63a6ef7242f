/**
 * The in-process vision-language reward model: tokenizer, transformer, sampling, scoring and
 * checkpoints, on the libtorch tensor engine.
 *
 * ```ts
 * import { Tokenizer, presetConfig, VisionLanguageModel, generate, sequenceLogProbs,
 *          sequenceLogProbsNoGrad, saveCheckpoint, loadCheckpoint, encodeJudgePrompt, Rng } from './model/index.js';
 *
 * const tokenizer = Tokenizer.train(corpus, { vocabSize: 1024 });
 * const config = presetConfig('small', tokenizer.vocabSize);
 * const model = new VisionLanguageModel(config, { seed: 0, imageTokenId: tokenizer.id('image') });
 *
 * // Images: Float32Array of 3 × imageSize × imageSize pixels (C×H×W, values in [0, 1]).
 * const prompt = { tokens: encodeJudgePrompt(tokenizer, { ...example, numImages: 1 }, config.vision), images: [pixels] };
 *
 * // Rollouts: n samples per prompt sharing one prefill; result[i][s] = { text, tokenIds, logProbs, finishReason }.
 * const rollouts = generate(model, tokenizer, [prompt], { maxNewTokens: 96, temperature: 1, n: 4, stop: ['</answer>'] }, new Rng(seed));
 *
 * // The same, one decode step at a time (serving streams tokens and answers between steps):
 * // for (const { tokens } of generateSteps(model, tokenizer, [prompt], params, rng)) { … } — break frees the cache.
 *
 * // Old-policy / reference passes: plain arrays, no graph.
 * const old = sequenceLogProbsNoGrad(model, { prompts, responses, images });
 * // Policy pass: tensors [B, R] with gradients (inside engine.scope), mask 1 on real response tokens.
 * const { logProbs, mask } = sequenceLogProbs(model, { prompts, responses, images, train: true });
 *
 * saveCheckpoint(dir, model, tokenizer, { step, rngState: rng.state, runConfig, optimizer });
 * const { model: restored, training } = loadCheckpoint(dir); // every name/shape/dtype/checksum checked
 * loadOptimizerState(dir, restored, new AdamW(restored.parameters()));
 * ```
 *
 * - `model.forward({ tokens, images?, leftPadding?, train? })` → logits [B, T, vocab] (autograd);
 *   `model.namedParameters()` gives the safetensors names; `model.parameters()` feeds the optimizer.
 * - KV cache: `createCache(batch, capacity)`, `prefill(cache, input)` → last logits [B, vocab],
 *   `repeatCache(cache, n)`, `step(cache, tokenIds)` → next logits [B, vocab], `disposeCache(cache)`.
 * - Log-probs are always of the full distribution at temperature 1 (no top-k/top-p renormalisation),
 *   so rollout log-probs equal the trainer's old-policy pass (tested to 1e-5).
 * - A response stopped by a stop string keeps it (text and ids); one ended by end of sequence keeps
 *   the EOS id in tokenIds/logProbs but not in text.
 */

export { Rng, type RngState } from '../algo/random.js';
export {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  CheckpointError,
  type LoadedCheckpoint,
  loadCheckpoint,
  loadOptimizerState,
  type SavedTrainingState,
  saveCheckpoint,
  type TrainingState,
} from './checkpoint.js';
export {
  countParameters,
  type ModelConfig,
  type PositionEncoding,
  PRESETS,
  type PresetName,
  presetConfig,
  ROPE_BASE,
  tokensPerImage,
  usesRope,
  type VisionConfig,
  validateConfig,
} from './config.js';
export {
  type FinishReason,
  type GenerateParams,
  type Generation,
  type GenerationStep,
  type GenerationSteps,
  generate,
  generateSteps,
  type Prompt,
  type StepToken,
} from './generate.js';
export {
  COMPACT_TEMPLATE,
  encodeJudgement,
  encodeJudgePrompt,
  type JudgeExample,
  renderCompactPrompt,
} from './judge-format.js';
export {
  type ForwardInput,
  type ImagePixels,
  type KVCache,
  type ModelOptions,
  patchify,
  VisionLanguageModel,
} from './model.js';
export {
  checkSamplingParams,
  logSoftmaxAt,
  type SampledToken,
  type SamplingParams,
  sampleToken,
} from './sampling.js';
export {
  type ScoringBatch,
  type SequenceLogProbs,
  sequenceLogProbs,
  sequenceLogProbsNoGrad,
} from './scoring.js';
export { SPECIAL_TOKENS, type SpecialTokenName, Tokenizer, type TokenizerJson } from './tokenizer.js';
