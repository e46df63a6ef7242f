// Rewards: the RewardSource interface the RL loop trains against; for the judge's rollouts the
// R·(1+0.5C)+0.5F reward over parsed judgements (also as a RewardSource, judgeReward), and the
// consistency referees (rule-based or an OpenAI-compatible model) that supply C.

export { type JudgePrompt, type JudgeRewardDiagnostics, judgeReward } from './judge-reward.js';
export * from './referees/index.js';
export type {
  RewardContext,
  RewardDiagnostics,
  RewardSource,
  RlPrompt,
  Rollout,
  ScoredRollouts,
} from './reward-source.js';
export { type RewardBatch, type RewardOptions, type ScoredJudgement, scoreJudgements } from './rewards.js';
