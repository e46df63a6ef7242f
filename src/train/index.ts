// Training: SFT cold start, StableReinforce RL, hard-sample selection, training checkpoints, run reports.
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
export { renderReport, writeReport } from './report.js';
export { ppoUpdate, type RlHooks, type RlResult, type RlStepMetrics, TIMING_FIELDS, trainRl } from './rl.js';
export { ALGORITHMS, type Algorithm, type RlConfig, RlConfigSchema } from './rl-config.js';
export { learningRate } from './schedule.js';
export { type SftConfig, SftConfigSchema, type SftResult, type SftStepMetrics, trainSft } from './sft.js';
export * from './stable-reinforce-tensors.js';
