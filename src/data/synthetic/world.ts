// The synthetic preference world, one sample at a time (pure: no files). A training sample gets a
// question kind by weight, a hardness, a problem (scene + faithful/flawed responses) and a teacher
// run; a benchmark sample gets its error kind in strict rotation, so the categories are balanced.

import { Rng } from '../../algo/random.js';
import {
  ERROR_KINDS,
  type ErrorKind,
  type Hardness,
  KINDS_FOR_ERROR,
  makeProblem,
  type Problem,
  QUESTION_KINDS,
  type QuestionKind,
} from './questions.js';
import { DEFAULT_TEACHER, runTeacher, type TeacherConfig, type TeacherRun } from './teacher.js';

/**
 * Everything that decides a synthetic world: seed, split sizes, image side, question and hardness mix,
 * teacher.
 */
export interface SyntheticWorldConfig {
  seed: number;
  /** Training samples (the SFT and RL splits are drawn from them). */
  trainSize: number;
  /** Held-out benchmark pairs, rotated over the error kinds. */
  benchmarkSize: number;
  /** Image side in pixels (≥ 32; 48 gives 36 patches of 8×8). */
  imageSize: number;
  /** Relative frequency of each question kind in the training set. */
  kindWeights: Record<QuestionKind, number>;
  /** Relative frequency of hardness 0, 1, 2. */
  hardnessWeights: readonly [number, number, number];
  teacher: TeacherConfig;
}

/** The default world (override fields with spread: `{ ...DEFAULT_WORLD, trainSize: 120 }`). */
export const DEFAULT_WORLD: SyntheticWorldConfig = {
  seed: 1,
  trainSize: 6000,
  benchmarkSize: 500,
  imageSize: 48,
  kindWeights: {
    count: 2,
    existence: 2,
    attribute: 2,
    relation: 2,
    'short-description': 1,
    'long-description': 1,
    cell: 0,
  },
  hardnessWeights: [1, 1, 1],
  teacher: DEFAULT_TEACHER,
};

/** The synthetic world's splits: training samples and held-out benchmark pairs. */
export type SyntheticSplit = 'train' | 'benchmark';

/** One generated sample: the problem, its id and split, and the teacher's run. */
export interface SyntheticSample extends Problem {
  id: string;
  split: SyntheticSplit;
  index: number;
  /** Training samples only. */
  teacher?: TeacherRun;
}

/** Kind weights that train on `kinds` alone, equally often. */
export function onlyKinds(kinds: readonly QuestionKind[]): Record<QuestionKind, number> {
  return Object.fromEntries(QUESTION_KINDS.map((k) => [k, kinds.includes(k) ? 1 : 0])) as Record<
    QuestionKind,
    number
  >;
}

/** A kind's weight; a kind the config does not list (a world written before it existed) has 0. */
const kindWeight = (config: SyntheticWorldConfig, kind: QuestionKind): number =>
  config.kindWeights[kind] ?? 0;

/** Checks a config and says which field is wrong. */
export function validateWorldConfig(config: SyntheticWorldConfig): void {
  const fail = (field: string, detail: string) => {
    throw new RangeError(`synthetic world config: ${field} ${detail}`);
  };
  if (!Number.isSafeInteger(config.seed)) fail('seed', `must be an integer, got ${config.seed}`);
  if (!Number.isSafeInteger(config.trainSize) || config.trainSize < 0)
    fail('trainSize', `must be an integer ≥ 0, got ${config.trainSize}`);
  if (!Number.isSafeInteger(config.benchmarkSize) || config.benchmarkSize < 0) {
    fail('benchmarkSize', `must be an integer ≥ 0, got ${config.benchmarkSize}`);
  }
  if (!Number.isInteger(config.imageSize) || config.imageSize < 32 || config.imageSize > 1024) {
    fail(
      'imageSize',
      `must be an integer in [32, 1024] (smaller images make shapes ambiguous), got ${config.imageSize}`,
    );
  }
  for (const kind of QUESTION_KINDS) {
    const w = kindWeight(config, kind);
    if (!(w >= 0)) fail(`kindWeights.${kind}`, `must be ≥ 0, got ${w}`);
  }
  if (!QUESTION_KINDS.some((k) => kindWeight(config, k) > 0))
    fail('kindWeights', 'must give some kind a positive weight');
  if (
    config.hardnessWeights.length !== 3 ||
    !config.hardnessWeights.every((w) => w >= 0) ||
    !config.hardnessWeights.some((w) => w > 0)
  ) {
    fail(
      'hardnessWeights',
      `must be 3 weights ≥ 0, not all 0, got ${JSON.stringify(config.hardnessWeights)}`,
    );
  }
  const { errorByHardness, maxAttempts } = config.teacher;
  if (errorByHardness.length !== 3 || !errorByHardness.every((p) => p >= 0 && p <= 1)) {
    fail('teacher.errorByHardness', `must be 3 probabilities, got ${JSON.stringify(errorByHardness)}`);
  }
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
    fail('teacher.maxAttempts', `must be an integer ≥ 1, got ${maxAttempts}`);
  if (config.teacher.attributePairs && !(config.teacher.lookAtCell && config.teacher.describeScene))
    fail(
      'teacher.attributePairs',
      'compares on the looked-at cell: set teacher.lookAtCell and describeScene too',
    );
}

/**
 * The error kinds the benchmark rotates over: those that a question kind the world trains on can
 * carry (all five in the default world), so a world restricted to some kinds is tested on them only.
 */
export function benchmarkErrorKinds(config: SyntheticWorldConfig): ErrorKind[] {
  return ERROR_KINDS.filter((e) => trainedKindsFor(config, e).length > 0);
}

/** The question kinds the world trains on that can carry error kind `e`. */
const trainedKindsFor = (config: SyntheticWorldConfig, e: ErrorKind): QuestionKind[] =>
  KINDS_FOR_ERROR[e].filter((k) => kindWeight(config, k) > 0);

const pad = (i: number) => String(i).padStart(6, '0');

/** Sample `index` of `split`; depends only on (config, split, index). */
export function generateSample(
  config: SyntheticWorldConfig,
  split: SyntheticSplit,
  index: number,
): SyntheticSample {
  const rng = Rng.stream(config.seed, split, index);
  const hardness = rng.weighted(config.hardnessWeights) as Hardness;
  let kind: QuestionKind;
  let errorKind: ErrorKind | undefined;
  if (split === 'benchmark') {
    const errorKinds = benchmarkErrorKinds(config);
    errorKind = errorKinds[index % errorKinds.length]!;
    kind = rng.pick(trainedKindsFor(config, errorKind));
  } else {
    kind = QUESTION_KINDS[rng.weighted(QUESTION_KINDS.map((k) => kindWeight(config, k)))]!;
  }
  const problem = makeProblem(rng, kind, hardness, errorKind);
  const sample: SyntheticSample = {
    ...problem,
    id: `syn-${split === 'train' ? 'train' : 'bench'}-${pad(index)}`,
    split,
    index,
  };
  if (split === 'train')
    sample.teacher = runTeacher(Rng.stream(config.seed, 'teacher', index), hardness, config.teacher);
  return sample;
}

/** Positions 1 and 2 in exactly equal numbers (one extra 1 when odd), in seeded random order. */
export function balancedPositions(rng: Rng, count: number): (1 | 2)[] {
  return rng.shuffle(Array.from({ length: count }, (_, i) => (i % 2 === 0 ? 1 : 2)));
}
