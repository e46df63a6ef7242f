// Experiments built from the library: the StableReinforce ablation and the end-to-end demo pipeline.
export {
  type AblationConfig,
  type AblationProgress,
  type AblationRow,
  type AblationTable,
  ARMS,
  type ArmName,
  buildTable,
  planRuns,
  type RunPlan,
  runAblation,
  SETTINGS,
  type SettingName,
} from './ablation.js';
export { DEMO_PRESETS, type DemoConfig, type DemoPresetName, demoConfig } from './demo/config.js';
export { type DemoHooks, demoPaths, PHASES, type PhaseName, runDemo } from './demo/pipeline.js';
export { type DemoSummary, formatSummary, type ModelResult } from './demo/report.js';
export {
  DEFAULT_POLICY_EXPERIMENT,
  type JudgeSpec,
  type PolicyExperimentConfig,
  type PolicyExperimentData,
  runPolicyExperiment,
} from './policy/experiment.js';
export {
  type PolicyExperimentSummary,
  type SelectorRow,
  summarizePolicyExperiment,
  writePolicyExperimentReport,
} from './policy/report.js';
export {
  DEFAULT_POLICY_RL,
  type HackingEvent,
  hackingEvents,
  type PolicyRlExperimentConfig,
  runPolicyRlExperiment,
  writePolicyRlReport,
} from './policy/rl-experiment.js';
export { checkShard, inShard, type Shard } from './shard.js';
