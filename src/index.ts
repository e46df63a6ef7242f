// The public API of r1-reward: what a user of the library calls, and the types those calls name.
// Everything else is internal (tests and tools import it by path). Grouped by folder.

// The paper's math on plain arrays: parsing, the R1 reward, StableReinforce, baselines, voting (spec §2–§4, §7).
export {
  groupAdvantages,
  rlooAdvantages,
} from './algo/baselines.js';
export {
  type Choice,
  consistencyFromReferee,
  isStrictFormat,
  type ParsedJudgement,
  parseJudgement,
} from './algo/judgement.js';
export { Rng, type RngState } from './algo/random.js';
export { type RewardParts, type RewardWeights, r1Reward } from './algo/reward.js';
export {
  ADVANTAGE_FILTER_LIMIT,
  type AdvantageFilter,
  cumulativeReturns,
  type KlEstimator,
  klPerToken,
  type NormalizedAdvantages,
  normalizeAdvantages,
  normalizeAdvantagesDetailed,
  type PolicyLoss,
  type PolicyLossInput,
  PRE_CLIP,
  type PreClip,
  policyLoss,
  type TokenRewardsInput,
  tokenRewards,
} from './algo/stable-reinforce.js';
export { broadcastToTokens, type Matrix } from './algo/validate.js';
export { anyCorrect, countVotes, type TieRule, type VoteCounts, vote } from './algo/voting.js';
// Data: benchmarks, R1-Reward JSONL, images, the synthetic preference world.
export { BENCHMARK_NAMES, readBenchmark } from './data/benchmarks.js';
export { DataFormatError, ImageError, PathEscapeError } from './data/errors.js';
export { type DataUrlOptions, imageToDataUrl } from './data/image-pipeline.js';
export type { ReadOptions } from './data/item-images.js';
export {
  type R1ChatMessage,
  type R1ContentPart,
  type R1RewardSample,
  r1SampleToPair,
  readR1RewardData,
} from './data/r1-reward-format.js';
export { type Claim, RELATIONS, type Relation } from './data/synthetic/claims.js';
export {
  type AnswerCheck,
  checkAnswer,
  DEFAULT_POLICY_TASK,
  type PolicyProblem,
  type PolicySplit,
  type PolicyTaskConfig,
  parseAnswer,
  policyProblem,
} from './data/synthetic/policy-task.js';
export {
  type Hardness,
  type Problem,
  QUESTION_KINDS,
  type QuestionKind,
} from './data/synthetic/questions.js';
export {
  COLORS,
  type Color,
  type ObjectRef,
  type Scene,
  type SceneObject,
  SHAPES,
  type Shape,
  SIZES,
  type Size,
} from './data/synthetic/scene.js';
export type { Difficulty, TeacherConfig, TeacherRun, TeacherView } from './data/synthetic/teacher.js';
export {
  DEFAULT_WORLD,
  type SyntheticSample,
  type SyntheticSplit,
  type SyntheticWorldConfig,
  validateWorldConfig,
} from './data/synthetic/world.js';
export { formatSynthSummary, type SynthSummary, writeSyntheticWorld } from './data/synthetic/write.js';
export type { BenchmarkName, ImageInput, PreferencePair } from './data/types.js';
// The libtorch tensor engine, as a namespace (`engine.tensor(...)`); the addon loads on first use.
export * as engine from './engine/index.js';
export { EngineUnavailableError } from './engine/native.js';
export { type LibtorchProbe, probeLibtorch } from './engine/probe.js';
export { SafetensorsError } from './engine/safetensors.js';
// Errors: one base class with a stable `code` per kind (docs/errors.md).
export { ConfigError, R1RewardError, type R1RewardErrorCode } from './errors.js';
// Benchmarks: the durable runner, the official and r1-compat scorers, reports.
export { PAPER_RESULTS, type PaperRow } from './eval/paper.js';
export type { JudgedItemRecord } from './eval/record.js';
export { type ReportContext, renderHtml, renderMarkdown } from './eval/report.js';
export {
  type RunOptions,
  type RunProgress,
  type RunSettings,
  type RunSummary,
  readRun,
  runBenchmark,
} from './eval/runner.js';
export {
  type CategoryScore,
  type Metrics,
  type PositionBias,
  type SampleCount,
  type ScoreDetails,
  type ScoreOptions,
  scoreRecords,
} from './eval/score.js';
export { type ScoredRun, scoreRun } from './eval/score-run.js';
export { SCORE_PROTOCOLS, type ScoreProtocol } from './eval/scoring-rules.js';
// Experiments: the StableReinforce ablation and the end-to-end demo (runDemo(demoConfig('small'))).
export {
  type AblationConfig,
  type AblationProgress,
  type AblationRow,
  type AblationTable,
  ARMS,
  type ArmName,
  buildTable,
  type RunPlan,
  runAblation,
  SETTINGS,
  type SettingName,
} from './experiments/ablation.js';
export { DEMO_PRESETS, type DemoConfig, type DemoPresetName, demoConfig } from './experiments/demo/config.js';
export { type DemoHooks, demoPaths, PHASES, type PhaseName, runDemo } from './experiments/demo/pipeline.js';
export { type DemoSummary, formatSummary, type ModelResult } from './experiments/demo/report.js';
export type { CheckedAnswer, JudgePick } from './experiments/policy/best-of-n.js';
export {
  DEFAULT_POLICY_EXPERIMENT,
  type JudgeSpec,
  type PickLine,
  type PolicyExperimentConfig,
  type PolicyExperimentData,
  type PolicyExperimentHooks,
  runPolicyExperiment,
} from './experiments/policy/experiment.js';
export type { HeldOutLine, PolicyHeldOut } from './experiments/policy/policy-rl.js';
export {
  type PolicyExperimentSummary,
  type SelectorRow,
  summarizePolicyExperiment,
  writePolicyExperimentReport,
} from './experiments/policy/report.js';
export {
  DEFAULT_POLICY_RL,
  type HackingEvent,
  hackingEvents,
  type PolicyRlExperimentConfig,
  runPolicyRlExperiment,
  writePolicyRlReport,
} from './experiments/policy/rl-experiment.js';
export type { SampledQuestion } from './experiments/policy/sample.js';
export { checkShard, inShard, type Shard } from './experiments/shard.js';
// Batched local generation from a checkpoint.
export {
  type BatcherOptions,
  GenerationBatcher,
  type GenerationJob,
  JobCancelledError,
  type SampledToken as BatcherToken,
} from './inference/batcher.js';
export { ImageInputError, type ImageSourcePolicy } from './inference/image-input.js';
export { LocalModel, type LocalModelOptions } from './inference/local-model.js';
export { RemoteImageError } from './inference/remote-image.js';
// Judging a pair: the prompt, the backends, order protocols, k samples with voting, the cache.
export {
  DEFAULT_SAMPLING,
  type JudgeBackend,
  type JudgeRequest,
  type SampleOptions,
  type SamplingConfig,
} from './judge/backend.js';
export { FileJudgementCache, type JudgementCache, MemoryJudgementCache } from './judge/cache.js';
export {
  type JudgedSample,
  type JudgeOptions,
  judgePair,
  type OrderedJudgement,
  type PairJudgement,
  type PairToJudge,
  parseSample,
} from './judge/judge.js';
export { type LocalBackendConfig, LocalModelBackend } from './judge/local-backend.js';
export {
  MalformedReplyError,
  type OpenAIBackendConfig,
  OpenAICompatibleBackend,
} from './judge/openai-backend.js';
export { ORDER_PROTOCOLS, type OrderProtocol, type Position } from './judge/order.js';
export { loadTemplate, type PromptFields, renderPrompt } from './judge/prompt.js';
// The vision-language judge model: config, tokenizer, generation, checkpoints.
export {
  CheckpointError,
  type LoadedCheckpoint,
  loadCheckpoint,
  type SavedTrainingState,
  saveCheckpoint,
  type TrainingState,
} from './model/checkpoint.js';
export {
  type ModelConfig,
  type PositionEncoding,
  PRESETS,
  type PresetName,
  presetConfig,
  type VisionConfig,
} from './model/config.js';
export {
  type FinishReason,
  type GenerateParams,
  type Generation,
  generate,
  type Prompt,
} from './model/generate.js';
export {
  COMPACT_TEMPLATE,
  encodeJudgePrompt,
  type JudgeExample,
  renderCompactPrompt,
} from './model/judge-format.js';
export {
  type ForwardInput,
  type ImagePixels,
  type KVCache,
  type ModelOptions,
  VisionLanguageModel,
} from './model/model.js';
export { Tokenizer, type TokenizerJson } from './model/tokenizer.js';
// Ranking N candidates with the pairwise judge, and the resumable best-of-n runner.
export {
  type BestOfNOptions,
  type BestOfNProgress,
  type BestOfNResult,
  type BestOfNSettings,
  type BestOfNSummary,
  runBestOfN,
} from './rank/best-of-n.js';
export { type BestOfNItem, type BestOfNReadOptions, readBestOfNItems } from './rank/best-of-n-data.js';
export {
  type BradleyTerryFit,
  type BradleyTerryGame,
  type BradleyTerryOptions,
  fitBradleyTerry,
} from './rank/bradley-terry.js';
export { rankCandidates } from './rank/rank.js';
export {
  type CandidateResult,
  type Comparison,
  type Contestant,
  type JudgeCalls,
  type OrderVerdict,
  RANK_ORDERS,
  RANK_SCHEMES,
  type RankConsistency,
  type RankItem,
  type Ranking,
  type RankOptions,
  type RankOrder,
  type RankScheme,
} from './rank/types.js';
// Rewards for a judge's rollouts and the consistency referees.
export { type JudgePrompt, type JudgeRewardDiagnostics, judgeReward } from './reward/judge-reward.js';
export { createReferee } from './reward/referees/index.js';
export { createOpenAIReferee, type OpenAIRefereeOptions } from './reward/referees/openai-referee.js';
export type {
  Consistency,
  Referee,
  RefereeFailure,
  RefereeInput,
  RefereeVerdict,
} from './reward/referees/referee.js';
export { createRuleReferee, ruleConsistency } from './reward/referees/rule-referee.js';
export type {
  RewardContext,
  RewardDiagnostics,
  RewardSource,
  RlPrompt,
  Rollout,
  ScoredRollouts,
} from './reward/reward-source.js';
export {
  type RewardBatch,
  type RewardOptions,
  type ScoredJudgement,
  scoreJudgements,
} from './reward/rewards.js';
export { BoundedJudgementCache } from './serve/bounded-cache.js';
// Servers: the OpenAI-compatible chat server and the OpenRLHF / verl reward server, as fastify instances.
export { ChatInputError, type ChatLimits } from './serve/chat-request.js';
export { buildChatServer, type ChatServerOptions } from './serve/chat-server.js';
export type { TemplateFamily } from './serve/chat-template.js';
export {
  ItemFieldError,
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
export { RewardInputError } from './serve/reward-batch.js';
export { type Label, type LabelIndex, type NearestMatch, readRewardLabels } from './serve/reward-labels.js';
export { buildRewardServer, type RewardServerOptions } from './serve/reward-server.js';
export { TooManyGroupsError } from './serve/rollout-groups.js';
export { systemTimers, type Timers } from './serve/timers.js';
// Training: SFT cold start and StableReinforce RL, each from one typed config; run reports.
export { latestCheckpoint } from './train/checkpoint.js';
export type { HeldOutResult } from './train/evaluate.js';
export { type DataSource, type JudgeItem, readJudgeItems } from './train/judge-items.js';
export { renderReport, writeReport } from './train/report.js';
export { type HeldOutMetrics, type RlHooks, type RlResult, type RlStepMetrics, trainRl } from './train/rl.js';
export {
  ALGORITHMS,
  type Algorithm,
  type RlConfig,
  RlConfigSchema,
  type RlLoopConfig,
  RlLoopConfigSchema,
} from './train/rl-config.js';
export { type Evaluation, type PromptSet, type RlRunResult, type RlTask, runRl } from './train/rl-loop.js';
export type { RlLoopMetrics, RlMetrics } from './train/rl-metrics.js';
export type { Policy } from './train/run.js';
export {
  type SftConfig,
  SftConfigSchema,
  type SftResult,
  type SftStepMetrics,
  type TrainHooks,
  trainSft,
} from './train/sft.js';
export {
  cumulativeReturnsT,
  groupAdvantagesT,
  klPerTokenT,
  type NormalizedAdvantagesT,
  normalizeAdvantagesT,
  type PolicyLossT,
  policyLossT,
  rlooAdvantagesT,
  tokenRewardsT,
} from './train/stable-reinforce-tensors.js';
export { PACKAGE_NAME, VERSION } from './version.js';
