// Training: SFT cold start, StableReinforce RL, the ablation, run reports, rewards and referees.
export {
  type AblationConfig,
  ARMS,
  type ArmName,
  buildTable,
  checkShard,
  inShard,
  planRuns,
  runAblation,
  SETTINGS,
  type SettingName,
  type Shard,
} from './ablation.js';
export {
  latestCheckpoint,
  listCheckpoints,
  openTrainingCheckpoint,
  saveTrainingCheckpoint,
} from './checkpoint.js';
export { type HeldOutResult, heldOutAccuracy } from './evaluate.js';
export {
  type DataSource,
  type JudgeItem,
  readJudgeItems,
  SWAPPED_SUFFIX,
  withBothOrders,
} from './examples.js';
export {
  HARD_PROMPTS_FILE,
  type HardSelection,
  type HardSelectionOptions,
  type HardSelectOptions,
  passRates,
  selectHardPrompts,
} from './hard-samples.js';
export * from './referees/index.js';
export { renderReport, writeReport } from './report.js';
export { type RewardBatch, type ScoredJudgement, scoreJudgements } from './rewards.js';
export { ppoUpdate, type RlHooks, type RlResult, type RlStepMetrics, TIMING_FIELDS, trainRl } from './rl.js';
export { ALGORITHMS, type Algorithm, type RlConfig, RlConfigSchema } from './rl-config.js';
export { learningRate } from './schedule.js';
export { type SftConfig, SftConfigSchema, type SftResult, type SftStepMetrics, trainSft } from './sft.js';
export * from './stable-reinforce-tensors.js';
