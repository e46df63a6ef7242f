// The public API of r1-reward.
export * from './algo/index.js';
export * from './data/index.js';
// Types that public signatures mention, exported so that callers can name them (and the API reference
// can link them). Where two modules use one name, the second is exported under a clearer one.
export type { JsonLine } from './data/json-lines.js';
export { Rng as WorldRng } from './data/synthetic/random.js';
export type { Color, ObjectRef, Shape, Size } from './data/synthetic/scene.js';
export type { TeacherRun, TeacherView } from './data/synthetic/teacher.js';
// The libtorch tensor engine, as a namespace (`engine.tensor(...)`); the addon loads on first use.
export * as engine from './engine/index.js';
// Errors: one base class with a stable `code` per kind (docs/errors.md).
export { EngineUnavailableError } from './engine/native.js';
export { type LibtorchProbe, probeLibtorch } from './engine/probe.js';
export { SafetensorsError } from './engine/safetensors.js';
export { ConfigError, R1RewardError, type R1RewardErrorCode } from './errors.js';
export * from './eval/index.js';
export type { ReportContext } from './eval/report.js';
export type { SampleCount } from './eval/score.js';
// The ablation and the end-to-end demo pipeline (r1-reward demo): runDemo(demoConfig('small')).
export * from './experiments/index.js';
export type { SampledToken as BatcherToken } from './inference/batcher.js';
export {
  type BatcherOptions,
  GenerationBatcher,
  type GenerationJob,
  JobCancelledError,
} from './inference/batcher.js';
export { ImageInputError, type ImageSourcePolicy, imageUrlToPixels } from './inference/image-input.js';
export type { LocalModelOptions } from './inference/local-model.js';
export { LocalModel } from './inference/local-model.js';
export type { ReadOptions as JudgementReadOptions } from './judge/append-log.js';
export * from './judge/index.js';
// The vision-language reward model: tokenizer, transformer, sampling, scoring, checkpoints.
export * from './model/index.js';
// Both data (the synthetic world's generator) and model (sampling) export an `Rng`; the public one is
// the model's saveable sfc32 stream.
export { Rng } from './model/index.js';
export type { RankOrder, RankScheme } from './rank/types.js';
// Rewards: the reward-source interface of the RL loop, the R1 reward and the consistency referees.
export * from './reward/index.js';
export type {
  RewardContext,
  RewardDiagnostics,
  RewardSource,
  RlPrompt,
  Rollout,
  ScoredRollouts,
} from './reward/reward-source.js';
export { BoundedJudgementCache } from './serve/bounded-cache.js';
export type { ChatLimits } from './serve/chat-request.js';
export { ChatInputError } from './serve/chat-request.js';
export { buildChatServer, type ChatServerOptions } from './serve/chat-server.js';
export { type CutResponse, cutResponse, type TemplateFamily } from './serve/chat-template.js';
export {
  ItemImages,
  type ItemImagesOptions,
  type PolicyDataOptions,
  type PolicyItem,
  type PolicyItemSpec,
  readPolicyItems,
} from './serve/policy-items.js';
export { createPolicyJudge, type PolicyJudgeSettings } from './serve/policy-judge.js';
export {
  buildPolicyRewardServer,
  type JudgeResponses,
  type PolicyRewardMode,
  type PolicyRewardServerOptions,
} from './serve/policy-reward-server.js';
export type { JudgedGroup } from './serve/policy-scoring.js';
export type { NearestPrompt, PromptIndex } from './serve/prompt-index.js';
export type { RewardBatchOptions } from './serve/reward-batch.js';
export {
  extraLogs,
  RewardInputError,
  type RewardRequest,
  resolveLabels,
  type ScoredSample,
  scoreBatch,
} from './serve/reward-batch.js';
export type { NearestMatch } from './serve/reward-labels.js';
export { type Label, type LabelIndex, labelFromValue, readRewardLabels } from './serve/reward-labels.js';
export { buildRewardServer, type RewardServerOptions } from './serve/reward-server.js';
export { systemTimers, type Timers } from './serve/timers.js';
export type { OpenedTrainingCheckpoint, TrainerExtras, TrainingCheckpoint } from './train/checkpoint.js';
// SFT, StableReinforce RL and run reports (trainSft / trainRl take one typed config).
export * from './train/index.js';
export type { EncodedItem } from './train/judge-items.js';
export type { Experience, ExperienceStats } from './train/rl-experience.js';
export type { UpdateOptions, UpdateStats } from './train/rl-update.js';
export type { LrSchedule } from './train/schedule.js';
export type { TrainHooks } from './train/sft.js';
export { PACKAGE_NAME, VERSION } from './version.js';
