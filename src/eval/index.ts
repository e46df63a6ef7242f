// Evaluation: the benchmark runner, the official and r1-compat scorers, reports.
export { PAPER_RESULTS, type PaperRow } from './paper.js';
export type { JudgedItemRecord } from './record.js';
export { renderHtml, renderMarkdown, votingCurveSvg } from './report.js';
export {
  type RunOptions,
  type RunProgress,
  type RunSettings,
  type RunSummary,
  readRun,
  runBenchmark,
} from './runner.js';
export {
  type CategoryScore,
  itemVotes,
  type Metrics,
  type PositionBias,
  type ScoreDetails,
  type ScoreOptions,
  scoreRecords,
} from './score.js';
export { type ScoredRun, scoreRun } from './score-run.js';
export {
  r1CompatGroup,
  SCORE_PROTOCOLS,
  type ScoreProtocol,
  type ScoringRules,
  scoringRules,
  vlOfficialGroup,
  vlRewardBenchVerdict,
} from './scoring-rules.js';
