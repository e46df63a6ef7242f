// Experiments built from the library: the StableReinforce ablation and the end-to-end demo pipeline.
export {
  type AblationConfig,
  type AblationProgress,
  type AblationRow,
  type AblationTable,
  ARMS,
  type ArmName,
  buildTable,
  checkShard,
  inShard,
  planRuns,
  type RunPlan,
  runAblation,
  SETTINGS,
  type SettingName,
  type Shard,
} from './ablation.js';
export { DEMO_PRESETS, type DemoConfig, type DemoPresetName, demoConfig } from './demo/config.js';
export { type DemoHooks, demoPaths, PHASES, type PhaseName, runDemo } from './demo/pipeline.js';
export { type DemoSummary, formatSummary, type ModelResult } from './demo/report.js';
