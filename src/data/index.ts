// Data: the shapes, the benchmark readers, R1-Reward training data, the image pipeline and the
// synthetic preference world.
export { BENCHMARK_NAMES, readBenchmark } from './benchmarks.js';
export { type Caption, readCaptions } from './captions.js';
export {
  MM_RLHF_CATEGORIES,
  mmRlhfCategory,
  multimodalRewardBenchCategory,
  type VlRewardBenchCategory,
  type VlRewardBenchSource,
  vlRewardBenchCategory,
  vlRewardBenchR1CompatCategory,
  vlRewardBenchSource,
} from './categories.js';
export { DataFormatError, ImageError, PathEscapeError } from './errors.js';
export {
  capPixels,
  type DataUrlOptions,
  DEFAULT_MAX_INPUT_BYTES,
  DEFAULT_MAX_INPUT_PIXELS,
  type FloatPixels,
  type FloatPixelsOptions,
  IMAGE_FORMATS,
  type ImageFormat,
  type ImageInfo,
  type ImageLimits,
  imageToDataUrl,
  imageToFloatPixels,
  inspectImage,
  R1_EVAL_MAX_PIXELS,
} from './image-pipeline.js';
export { checkedRealPath, resolveUnderRoot } from './images-root.js';
export { type ReadOptions, uniformFrameIndices } from './item-images.js';
export { readJsonLines } from './json-lines.js';
export {
  parseR1RewardPrompt,
  R1_REWARD_PROMPT_TEMPLATE,
  type R1ChatMessage,
  type R1ContentPart,
  type R1RewardSample,
  r1RewardAnswer,
  r1RewardMessage,
  r1RewardPrompt,
  r1SampleToPair,
  readR1RewardData,
} from './r1-reward-format.js';
export * from './synthetic/index.js';
export type { BenchmarkName, ImageInput, PreferencePair } from './types.js';
