// Judging: the prompt, backends, order protocols, sampling + voting for one pair, the cache.
export { AppendLog, readJsonLines as readJudgementLines } from './append-log.js';
export {
  DEFAULT_SAMPLING,
  type JudgeBackend,
  type JudgeRequest,
  type SampleOptions,
  type SamplingConfig,
} from './backend.js';
export { FileJudgementCache, type JudgementCache, MemoryJudgementCache } from './cache.js';
export {
  type JudgedSample,
  type JudgeOptions,
  judgePair,
  type OrderedJudgement,
  type PairJudgement,
  type PairToJudge,
  parseSample,
  requestKey,
  tally,
  toPairChoice,
} from './judge.js';
export { type LocalBackendConfig, LocalModelBackend } from './local-backend.js';
export { type OpenAIBackendConfig, OpenAICompatibleBackend } from './openai-backend.js';
export {
  ORDER_PROTOCOLS,
  type OrderProtocol,
  type Position,
  parseOrder,
  positionsFor,
  seededCoin,
} from './order.js';
export { checkTemplate, loadTemplate, type PromptFields, renderPrompt } from './prompt.js';
