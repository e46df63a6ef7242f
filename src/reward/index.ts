// Rewards for the judge's rollouts: the R·(1+0.5C)+0.5F reward over parsed judgements, and the
// consistency referees (rule-based or an OpenAI-compatible model) that supply C.
export * from './referees/index.js';
export { type RewardBatch, type RewardOptions, type ScoredJudgement, scoreJudgements } from './rewards.js';
