// The policy task: answer a question about a synthetic image in the world's claim language. The
// reference answer is the faithful response of questions.ts; `checkAnswer` parses any answer text back
// into claims (the inverse of `responseText` and `claimClause`) and checks them against the scene, so
// the truth of every sampled answer is known, whoever wrote it.
//
// What "correct" means: the text parses (below), every claim holds in the scene, and the claims
// answer the question asked:
//   count              one count claim of exactly the asked objects ("How many circles?" → circles)
//   existence          "Yes"/"No" and one exists claim on the asked colour and shape, the word
//                      agreeing with the claim ("Yes, there is no red circle" does not answer)
//   attribute          one claim about the asked object giving the asked property (colour, shape or size)
//   relation           one relation claim between the two asked objects, in that order (any relation)
//   short-description  a list of objects (size, colour, shape) that matches the scene's objects one to
//                      one: every object named once, nothing invented, nothing left out
//   long-description   a count of all objects, then one placed object per sentence; the placed objects
//                      match the scene's objects one to one (cells included)
//   cell               one placed object at the asked cell
// The claims of an answer are checked with `claimHolds`, the generator's own ground truth.
//
// The grammar (case and spacing are ignored; a sentence's final full stop may be left out):
//   count        "There are 2 circles." "There is 1 red object." "There are no objects." "I see 2 circles."
//   existence    "Yes, there is a red circle." "No, there is no red circle." "Yes, I see a red circle."
//   attribute    "The circle is red." "The red object is a circle." "The red circle is small." "It is red."
//   relation     "The red circle is left of the blue square." "It is above the blue square."
//   short desc.  "A small red circle and a large blue square." "I see a small red circle, …, and …"
//   long desc.   "There are 2 objects. A small red circle is at the top left. A large … is in the center."
//                (the first sentence may be "I see 2 objects.")
//   cell         "A large red circle is at the top left." "I see a large red circle at the top left."
// Numbers are digits ("two" does not parse); "It" stands for the question's (first) object.
// Anything else — another sentence, trailing text, a claim of another form — is unparseable.

import { Rng } from '../../algo/random.js';
import { type Claim, claimHolds, placePhrase, RELATIONS, type Relation } from './claims.js';
import { type Hardness, makeProblem, type Problem, QUESTION_KINDS, type QuestionKind } from './questions.js';
import {
  CELL_NAMES,
  COLORS,
  type Color,
  type ObjectRef,
  type SceneObject,
  SHAPES,
  type Shape,
  SIZES,
  type Size,
} from './scene.js';

/** What decides the policy task's questions: seed, question kinds and hardness mix. */
export interface PolicyTaskConfig {
  seed: number;
  /** The question kinds asked, equally often. */
  kinds: readonly QuestionKind[];
  /** Relative frequency of hardness 0, 1, 2 (hardness shapes the scene; the flawed answer is unused). */
  hardnessWeights: readonly [number, number, number];
}

/** The default policy task: the demo judge's world (cell questions). */
export const DEFAULT_POLICY_TASK: PolicyTaskConfig = {
  seed: 1,
  kinds: ['cell'],
  hardnessWeights: [1, 1, 1],
};

/** The policy task's splits: questions to train on and held-out questions to measure on. */
export type PolicySplit = 'train' | 'test';

/** One policy question: the problem (scene, question, faithful and flawed responses) and its id. */
export interface PolicyProblem extends Problem {
  id: string;
  split: PolicySplit;
  index: number;
  /** The reference answer: the faithful response. */
  reference: string;
}

/** Checks a policy task config; the error names the field. */
export function validatePolicyTask(config: PolicyTaskConfig): void {
  if (!Number.isSafeInteger(config.seed))
    throw new RangeError(`policy task: seed must be an integer, got ${config.seed}`);
  if (config.kinds.length === 0 || !config.kinds.every((k) => QUESTION_KINDS.includes(k)))
    throw new RangeError(
      `policy task: kinds must be a non-empty list of ${QUESTION_KINDS.join(', ')}, got ${JSON.stringify(config.kinds)}`,
    );
  const w = config.hardnessWeights;
  if (w.length !== 3 || !w.every((x) => x >= 0) || !w.some((x) => x > 0))
    throw new RangeError(
      `policy task: hardnessWeights must be 3 weights ≥ 0, not all 0, got ${JSON.stringify(w)}`,
    );
}

/** Question `index` of `split`; depends only on (config, split, index). */
export function policyProblem(config: PolicyTaskConfig, split: PolicySplit, index: number): PolicyProblem {
  const rng = Rng.stream(config.seed, `policy-${split}`, index);
  const kind = rng.pick(config.kinds);
  const hardness = rng.weighted(config.hardnessWeights) as Hardness;
  const problem = makeProblem(rng, kind, hardness);
  return {
    ...problem,
    id: `policy-${split}-${String(index).padStart(6, '0')}`,
    split,
    index,
    reference: problem.faithfulText,
  };
}

/** The truth about one answer. */
export interface AnswerCheck {
  /** Parses, every claim holds, and it answers the question asked. */
  correct: boolean;
  /** Whether the text parsed into claims (an unparseable answer is wrong and counted apart). */
  parsed: boolean;
  /** The parsed claims (empty when unparseable). */
  claims: Claim[];
  /** How many parsed claims are false in the scene. */
  falseClaims: number;
  /** Whether the claims answer the question asked (see the file's header); false when unparseable. */
  answers: boolean;
  /** Why it is not correct ('' when it is). */
  reason: string;
}

/** Checks `text` as an answer to `problem` against its scene. */
export function checkAnswer(
  problem: Pick<Problem, 'scene' | 'kind' | 'faithful'>,
  text: string,
): AnswerCheck {
  const claims = parseAnswer(problem, text);
  if (claims === undefined)
    return {
      correct: false,
      parsed: false,
      claims: [],
      falseClaims: 0,
      answers: false,
      reason: 'unparseable',
    };
  const falseClaims = claims.filter((c) => !claimHolds(problem.scene, c)).length;
  const missing = answersQuestion(problem, claims);
  const answers = missing === '';
  const reason = falseClaims > 0 ? `${falseClaims} false claim(s)` : missing;
  return { correct: falseClaims === 0 && answers, parsed: true, claims, falseClaims, answers, reason };
}

// ---- answering the question ---------------------------------------------------------------------

const sameRef = (a: ObjectRef, b: ObjectRef) => a.color === b.color && a.shape === b.shape;

/** '' when the claims answer the question (the faithful claims say what is asked), else why not. */
function answersQuestion(problem: Pick<Problem, 'scene' | 'kind' | 'faithful'>, claims: Claim[]): string {
  const [asked] = problem.faithful;
  const [first] = claims;
  switch (problem.kind) {
    case 'count':
      return first?.type === 'count' && asked?.type === 'count' && sameRef(first.of, asked.of)
        ? ''
        : 'counts other objects than asked';
    case 'existence':
      return first?.type === 'exists' &&
        asked?.type === 'exists' &&
        first.color === asked.color &&
        first.shape === asked.shape
        ? ''
        : 'is about another object than asked';
    case 'attribute': {
      if (first?.type !== 'attribute' || asked?.type !== 'attribute' || !sameRef(first.ref, asked.ref))
        return 'is about another object than asked';
      const property = (c: typeof first) => (c.color ? 'color' : c.shape ? 'shape' : 'size');
      return property(first) === property(asked)
        ? ''
        : `gives the ${property(first)}, not the ${property(asked)}`;
    }
    case 'relation':
      return first?.type === 'relation' &&
        asked?.type === 'relation' &&
        sameRef(first.a, asked.a) &&
        sameRef(first.b, asked.b)
        ? ''
        : 'relates other objects than asked';
    case 'cell':
      return first?.type === 'object' && asked?.type === 'object' && first.cell === asked.cell
        ? ''
        : 'describes another cell than asked';
    case 'short-description':
      return matchesOneToOne(problem.scene.objects, claims, false) ? '' : 'does not name every object once';
    case 'long-description': {
      const [count, ...placed] = claims;
      if (count?.type !== 'count' || count.of.color || count.of.shape) return 'does not count the objects';
      return matchesOneToOne(problem.scene.objects, placed, true) ? '' : 'does not place every object once';
    }
  }
}

/** Whether the object claims describe the scene's objects one to one (by size, colour, shape[, cell]). */
function matchesOneToOne(
  objects: readonly SceneObject[],
  claims: readonly Claim[],
  withCell: boolean,
): boolean {
  if (claims.length !== objects.length) return false;
  const left = [...objects];
  for (const c of claims) {
    if (c.type !== 'object') return false;
    const i = left.findIndex(
      (o) =>
        o.color === c.color && o.shape === c.shape && o.size === c.size && (!withCell || o.cell === c.cell),
    );
    if (i < 0) return false;
    left.splice(i, 1);
  }
  return true;
}

// ---- parsing ------------------------------------------------------------------------------------

const alt = (words: readonly string[]) => `(${words.join('|')})`;
const COLOR = alt(COLORS);
const SHAPE = alt(SHAPES);
const SIZE = alt(SIZES);
const RELATION = alt(RELATIONS);
const PLACE = alt(CELL_NAMES.map((_, cell) => placePhrase(cell)));
const OBJECT = `a ${SIZE} ${COLOR} ${SHAPE}`;
/** "the red circle", "the circle", "the red object". */
const REF = `the (?:${COLOR} ${SHAPE}|${SHAPE}|${COLOR} object)`;

const whole = (pattern: string) => new RegExp(`^${pattern}$`);
const COUNT_PLAIN = whole(`there (?:is|are) (no|\\d+) (?:${COLOR} )?(\\w+?)s?`);
const COUNT_SEEN = whole(`i see (no|\\d+) (?:${COLOR} )?(\\w+?)s?`);
const EXISTS = whole(`(yes|no), (?:there is|i see) (a|no) ${COLOR} ${SHAPE}`);
const ATTRIBUTE = whole(`(it|${REF}) is (?:a ${SHAPE}|${COLOR}|${SIZE})`);
const RELATION_CLAUSE = whole(`(it|${REF}) is ${RELATION} (${REF})`);
const PLACED = whole(`${OBJECT} is ${PLACE}`);
const PLACED_SEEN = whole(`i see ${OBJECT} ${PLACE}`);
const OBJECT_ONLY = whole(OBJECT);

/** "the red circle" → { color, shape }; "the circle" → { shape }; "the red object" → { color }. */
function parseRef(text: string): ObjectRef | undefined {
  const m = whole(REF).exec(text);
  if (!m) return undefined;
  const [, color, shape, shapeOnly, colorOnly] = m;
  if (color && shape) return { color: color as Color, shape: shape as Shape };
  if (shapeOnly) return { shape: shapeOnly as Shape };
  return { color: colorOnly as Color };
}

/** The answer's sentences, lower case, single-spaced, without their final full stops. */
function sentencesOf(text: string): string[] {
  const clean = text.trim().replace(/\s+/g, ' ').toLowerCase();
  if (clean === '') return [];
  return clean
    .split(/(?<=\.) /)
    .map((s) => s.replace(/\.$/, ''))
    .filter((s) => s !== '');
}

/** The claims of `text` read as an answer to a question of `problem.kind`, or undefined. */
export function parseAnswer(problem: Pick<Problem, 'kind' | 'faithful'>, text: string): Claim[] | undefined {
  const sentences = sentencesOf(text);
  if (sentences.length === 0 || sentences.some((s) => s.includes('.'))) return undefined;
  if (problem.kind === 'long-description') {
    const [head, ...rest] = sentences;
    const count = parseCount(head!);
    const placed = rest.map(parsePlaced);
    if (!count || placed.some((c) => c === undefined)) return undefined;
    return [count, ...(placed as Claim[])];
  }
  if (sentences.length !== 1) return undefined;
  const s = sentences[0]!;
  if (problem.kind === 'short-description') return parseList(s);
  const claim = parseOne(problem, s);
  return claim ? [claim] : undefined;
}

/** The one claim of a one-sentence answer (every kind but the descriptions). */
function parseOne(problem: Pick<Problem, 'kind' | 'faithful'>, s: string): Claim | undefined {
  switch (problem.kind) {
    case 'count':
      return parseCount(s);
    case 'existence':
      return parseExists(s);
    case 'attribute':
      return parseAttribute(s, askedSubject(problem));
    case 'relation':
      return parseRelation(s, askedSubject(problem));
    case 'cell':
      return parsePlaced(s);
    default:
      return undefined;
  }
}

/** The object "it" stands for: the question's (first) object. */
function askedSubject(problem: Pick<Problem, 'faithful'>): ObjectRef | undefined {
  const [asked] = problem.faithful;
  if (asked?.type === 'attribute') return asked.ref;
  if (asked?.type === 'relation') return asked.a;
  return undefined;
}

const countOf = (n: string) => (n === 'no' ? 0 : Number(n));

function parseCount(s: string): Claim | undefined {
  const m = COUNT_PLAIN.exec(s) ?? COUNT_SEEN.exec(s);
  if (!m) return undefined;
  const [, n, color, noun] = m;
  const shape = SHAPES.find((x) => x === noun);
  if (!shape && noun !== 'object') return undefined;
  const k = countOf(n!);
  // The number agrees with the noun: "1 circle", "2 circles", "no circles".
  const plural = s.endsWith('s');
  if ((k === 1) === plural) return undefined;
  if (s.startsWith('there ') && (k === 1) !== s.startsWith('there is ')) return undefined;
  const of: ObjectRef = { ...(color ? { color: color as Color } : {}), ...(shape ? { shape } : {}) };
  return { type: 'count', of, n: k };
}

function parseExists(s: string): Claim | undefined {
  const m = EXISTS.exec(s);
  if (!m) return undefined;
  const [, word, article, color, shape] = m;
  const present = article === 'a';
  // The word must agree with the claim: "Yes, there is no red circle" says two things.
  if ((word === 'yes') !== present) return undefined;
  return { type: 'exists', color: color as Color, shape: shape as Shape, present };
}

function parseAttribute(s: string, it: ObjectRef | undefined): Claim | undefined {
  const m = ATTRIBUTE.exec(s);
  if (!m) return undefined;
  const ref = m[1] === 'it' ? it : parseRef(m[1]!);
  if (!ref) return undefined;
  const [shape, color, size] = m.slice(m.length - 3);
  if (shape) return { type: 'attribute', ref, shape: shape as Shape };
  if (color) return { type: 'attribute', ref, color: color as Color };
  return { type: 'attribute', ref, size: size as Size };
}

function parseRelation(s: string, it: ObjectRef | undefined): Claim | undefined {
  const m = RELATION_CLAUSE.exec(s);
  if (!m) return undefined;
  // Groups: 1 the subject (2–5 inside it), 6 the relation, 7 the other object (8–11 inside it).
  const a = m[1] === 'it' ? it : parseRef(m[1]!);
  const b = parseRef(m[7]!);
  if (!a || !b) return undefined;
  return { type: 'relation', a, relation: m[6] as Relation, b };
}

function parsePlaced(s: string): Claim | undefined {
  const m = PLACED.exec(s) ?? PLACED_SEEN.exec(s);
  if (!m) return undefined;
  const [, size, color, shape, place] = m;
  const cell = CELL_NAMES.findIndex((_, c) => placePhrase(c) === place);
  return { type: 'object', size: size as Size, color: color as Color, shape: shape as Shape, cell };
}

/** "a small red circle, a large blue square and a small green triangle" (optionally after "I see "). */
function parseList(s: string): Claim[] | undefined {
  const body = s.startsWith('i see ') ? s.slice('i see '.length) : s;
  const parts = body.split(/, | and /);
  const claims: Claim[] = [];
  // Exactly the writer's joins: "x", "x and y", "x, y and z".
  const rebuilt = parts.length <= 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
  if (rebuilt !== body) return undefined;
  for (const part of parts) {
    const m = OBJECT_ONLY.exec(part);
    if (!m) return undefined;
    const [, size, color, shape] = m;
    claims.push({ type: 'object', size: size as Size, color: color as Color, shape: shape as Shape });
  }
  return claims;
}
