// The synthetic multimodal preference world: the stand-in for R1-Reward-200K and its GPT-4o teacher.
export { type Claim, claimClause, claimHolds, OPPOSITE, RELATIONS, type Relation } from './claims.js';
export { perceiveScene, silhouetteMargin } from './perceive.js';
export {
  type AnswerCheck,
  checkAnswer,
  DEFAULT_POLICY_TASK,
  type PolicyProblem,
  type PolicySplit,
  type PolicyTaskConfig,
  parseAnswer,
  policyProblem,
  validatePolicyTask,
} from './policy-task.js';
export { flawedTarget, type PolicyDataConfig, policyPrompt, writePolicyData } from './policy-write.js';
export {
  ERROR_KINDS,
  type ErrorKind,
  type Hardness,
  KINDS_FOR_ERROR,
  makeProblem,
  type Problem,
  QUESTION_KINDS,
  type QuestionKind,
} from './questions.js';
export { BACKGROUND, PALETTE, renderPixels, renderPng } from './render.js';
export { CELL_NAMES, COLORS, type Scene, type SceneObject, SHAPES, SIZES } from './scene.js';
export {
  attributePairs,
  DEFAULT_TEACHER,
  DIFFICULTIES,
  type Difficulty,
  describeScene,
  runTeacher,
  type TeacherConfig,
  teacherOutput,
} from './teacher.js';
export {
  balancedPositions,
  benchmarkErrorKinds,
  DEFAULT_WORLD,
  generateSample,
  onlyKinds,
  type SyntheticSample,
  type SyntheticSplit,
  type SyntheticWorldConfig,
  validateWorldConfig,
} from './world.js';
export { formatSynthSummary, type SynthSummary, writeSyntheticWorld } from './write.js';
