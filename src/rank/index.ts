// N-way ranking with a pairwise judge: schemes, debiased comparisons, scores and Bradley–Terry strengths.

export {
  type BestOfNOptions,
  type BestOfNProgress,
  type BestOfNResult,
  type BestOfNRow,
  type BestOfNSettings,
  type BestOfNSummary,
  RANKINGS_FILE,
  rankingRow,
  runBestOfN,
  SUMMARY_FILE,
  summarizeBestOfN,
} from './best-of-n.js';
export {
  type BestOfNItem,
  type BestOfNReadOptions,
  imagesFolderFor,
  loadItemImages,
  readBestOfNItems,
} from './best-of-n-data.js';
export {
  type BradleyTerryFit,
  type BradleyTerryGame,
  type BradleyTerryOptions,
  DEFAULT_BT_PRIOR,
  fitBradleyTerry,
} from './bradley-terry.js';
export { MemoryJudgementCache, rankCacheKey, seededCache } from './cache.js';
export { DEFAULT_SWISS_ROUNDS, rankCandidates } from './rank.js';
export { bracketSeeds } from './schemes.js';
export { type SwissRound, swissPairing } from './swiss.js';
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
} from './types.js';
