// Training: SFT cold start, the RL loop over any reward source and the judge's RL, hard-sample
// selection, training checkpoints, run reports.
export {
  latestCheckpoint,
  listCheckpoints,
  openTrainingCheckpoint,
  saveTrainingCheckpoint,
} from './checkpoint.js';
export { type HeldOutResult, heldOutAccuracy } from './evaluate.js';
export {
  HARD_PROMPTS_FILE,
  type HardSelection,
  type HardSelectionOptions,
  type HardSelectOptions,
  passRates,
  selectHardPrompts,
} from './hard-samples.js';
export {
  type DataSource,
  type JudgeItem,
  readJudgeItems,
  SWAPPED_SUFFIX,
  withBothOrders,
} from './judge-items.js';
export { type JudgePrompt, type JudgeRewardDiagnostics, judgeReward } from './judge-reward.js';
export { renderReport, writeReport } from './report.js';
export {
  type HeldOutMetrics,
  ppoUpdate,
  type RlHooks,
  type RlResult,
  type RlStepMetrics,
  TIMING_FIELDS,
  trainRl,
} from './rl.js';
export {
  ALGORITHMS,
  type Algorithm,
  planOf,
  type RlConfig,
  RlConfigSchema,
  type RlLoopConfig,
  RlLoopConfigSchema,
  type RlPlan,
} from './rl-config.js';
export { type Evaluation, type PromptSet, type RlRunResult, type RlTask, runRl } from './rl-loop.js';
export type { RlCounters, RlLoopMetrics, RlMetrics } from './rl-metrics.js';
export { RolloutSampler, type SamplerOptions, type SamplerState } from './rl-sampler.js';
export { learningRate } from './schedule.js';
export { type SftConfig, SftConfigSchema, type SftResult, type SftStepMetrics, trainSft } from './sft.js';
export * from './stable-reinforce-tensors.js';
