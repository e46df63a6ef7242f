// The public API of r1-reward.
export * from './algo/index.js';
export * from './data/index.js';
// The libtorch tensor engine, as a namespace (`engine.tensor(...)`); the addon loads on first use.
// The end-to-end demo pipeline (r1-reward demo): runDemo(demoConfig('small')).
export { DEMO_PRESETS, type DemoConfig, type DemoPresetName, demoConfig } from './demo/config.js';
export { type DemoHooks, demoPaths, PHASES, type PhaseName, runDemo } from './demo/pipeline.js';
export { type DemoSummary, formatSummary, type ModelResult } from './demo/report.js';
export * as engine from './engine/index.js';
export { type LibtorchProbe, probeLibtorch } from './engine/probe.js';
export * from './eval/index.js';
export * from './judge/index.js';
// The vision-language reward model: tokenizer, transformer, sampling, scoring, checkpoints.
export * from './model/index.js';
// Both data (the synthetic world's generator) and model (sampling) export an `Rng`; the public one is
// the model's saveable sfc32 stream.
export { Rng } from './model/index.js';
export { type BatcherOptions, GenerationBatcher, type GenerationJob } from './serve/batcher.js';
export { buildChatServer, type ChatServerOptions } from './serve/chat-server.js';
export { type CutResponse, cutResponse, type TemplateFamily } from './serve/chat-template.js';
export { ImageInputError, type ImageSourcePolicy, imageUrlToPixels } from './serve/image-input.js';
export { LocalModel } from './serve/local-model.js';
export {
  extraLogs,
  RewardInputError,
  type RewardRequest,
  resolveLabels,
  type ScoredSample,
  scoreBatch,
} from './serve/reward-batch.js';
export { type Label, type LabelIndex, labelFromValue, readRewardLabels } from './serve/reward-labels.js';
export { buildRewardServer, type RewardServerOptions } from './serve/reward-server.js';
// SFT, StableReinforce RL, the ablation and run reports (trainSft / trainRl take one typed config).
export * from './train/index.js';
export * from './train/referees/index.js';
export { PACKAGE_NAME, VERSION } from './version.js';
