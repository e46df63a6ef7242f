// Questions about a scene and the two responses to each: a faithful one (every claim holds) and a
// flawed one (exactly one claim replaced by a false one: the controlled error). `hardness` (0–2)
// makes the flaw subtler and the responses longer and more alike.

import type { Rng } from '../../algo/random.js';
import {
  type Claim,
  claimClause,
  claimHolds,
  OPPOSITE,
  placePhrase,
  RELATIONS,
  type Relation,
  sentence,
} from './claims.js';
import {
  COLORS,
  colOf,
  type ObjectRef,
  rowOf,
  type Scene,
  type SceneObject,
  SHAPES,
  SIZES,
  sampleScene,
  uniqueObject,
} from './scene.js';

/** The kinds of question the synthetic world asks. */
export const QUESTION_KINDS = [
  'count',
  'existence',
  'attribute',
  'relation',
  'short-description',
  'long-description',
  'cell',
] as const;
/** A question kind of {@link QUESTION_KINDS}. */
export type QuestionKind = (typeof QUESTION_KINDS)[number];

/** The controlled errors; the benchmark split has one category per error kind. */
export const ERROR_KINDS = ['hallucination', 'count', 'attribute', 'relation', 'long-slip'] as const;
/** An error kind of {@link ERROR_KINDS}. */
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** Question kinds that can carry each error kind. */
export const KINDS_FOR_ERROR: Record<ErrorKind, readonly QuestionKind[]> = {
  hallucination: ['existence', 'short-description'],
  count: ['count'],
  attribute: ['attribute', 'short-description', 'cell'],
  relation: ['relation'],
  'long-slip': ['long-description'],
};

/** How subtle the rejected response's error is: 0 = obvious, 2 = hardest. */
export type Hardness = 0 | 1 | 2;

/** One synthetic comparison before the teacher: a scene, a question, and a faithful and a flawed response. */
export interface Problem {
  scene: Scene;
  kind: QuestionKind;
  errorKind: ErrorKind;
  hardness: Hardness;
  question: string;
  /** Claims of the faithful response, in order; all hold. */
  faithful: Claim[];
  /** The same claims with one replaced by a false one. */
  flawed: Claim[];
  /** Index of the replaced claim. */
  slip: number;
  faithfulText: string;
  flawedText: string;
}

/** Two phrasings; at hardness 0 the two responses pick theirs independently, otherwise they share one. */
type Style = 'plain' | 'seen';

/** "there are 2 circles" → "I see 2 circles"; "there is no red square" → "I see no red square". */
function seenClause(clause: string): string {
  return clause.replace(/^there (?:are|is) /, 'I see ');
}

function joinList(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** A response's text from its claims. */
function responseText(kind: QuestionKind, claims: Claim[], style: Style): string {
  const [first] = claims;
  switch (kind) {
    case 'count':
      return sentence(style === 'plain' ? claimClause(first!) : seenClause(claimClause(first!)));
    case 'existence': {
      const yes = first!.type === 'exists' && first!.present;
      const clause = style === 'plain' ? claimClause(first!) : seenClause(claimClause(first!));
      return `${yes ? 'Yes' : 'No'}, ${clause}.`;
    }
    case 'attribute':
    case 'relation': {
      const clause = claimClause(first!);
      return sentence(
        style === 'plain' ? clause : clause.replace(/^the [a-z]+(?: [a-z]+)? (?:object )?is /, 'it is '),
      );
    }
    case 'short-description': {
      const list = joinList(claims.map(claimClause));
      return sentence(style === 'plain' ? list : `I see ${list}`);
    }
    case 'long-description':
      return claims
        .map((claim, i) =>
          sentence(i === 0 && style === 'seen' ? seenClause(claimClause(claim)) : claimClause(claim)),
        )
        .join(' ');
    case 'cell':
      return sentence(
        style === 'plain' ? claimClause(first!) : `I see ${claimClause(first!).replace(' is ', ' ')}`,
      );
  }
}

function objectClaim(o: SceneObject, withCell: boolean): Claim {
  return {
    type: 'object',
    color: o.color,
    shape: o.shape,
    size: o.size,
    ...(withCell ? { cell: o.cell } : {}),
  };
}

/** What a builder returns before the texts are written. */
interface Draft {
  scene: Scene;
  question: string;
  faithful: Claim[];
  flawed: Claim[];
  slip: number;
  errorKind: ErrorKind;
}

const other = <T>(rng: Rng, items: readonly T[], not: T): T => rng.pick(items.filter((x) => x !== not));

/** A random object at `cell` whose colour and shape follow `of` where it says so. */
function objectLike(rng: Rng, of: ObjectRef, cell: number): SceneObject {
  return {
    shape: of.shape ?? rng.pick(SHAPES),
    color: of.color ?? rng.pick(COLORS),
    size: rng.pick(SIZES),
    cell,
  };
}

// The text of the two responses must not give the answer away: builders draw the two competing
// claims symmetrically (either could be the true one), flip a coin for which is true, and only then
// build a scene that makes it so. Rejection sampling never depends on which response is faithful.

function countDraft(rng: Rng, h: Hardness): Draft {
  const subject = rng.int(3);
  const of: ObjectRef =
    subject === 0 ? { shape: rng.pick(SHAPES) } : subject === 1 ? { color: rng.pick(COLORS) } : {};
  const offset = h === 0 ? 2 : 1;
  const min = h === 2 ? 2 : subject === 2 ? 1 : 0; // a scene has ≥ 1 object; hard counts are ≥ 2
  const low = min + rng.int(4 - offset - min + 1);
  const [n, wrong] = rng.chance(0.5) ? [low, low + offset] : [low + offset, low];
  const total = subject === 2 ? n : Math.max(1, n + rng.int(4 - n + 1));
  const cells = rng.shuffle([0, 1, 2, 3, 4, 5, 6, 7, 8]).slice(0, total);
  const objects = cells.map((cell, i) => {
    if (i < n) return objectLike(rng, of, cell);
    // The rest do not match: another shape, or another colour.
    const o = objectLike(rng, {}, cell);
    if (of.shape) o.shape = other(rng, SHAPES, of.shape);
    if (of.color) o.color = other(rng, COLORS, of.color);
    return o;
  });
  const noun = of.shape ? `${of.shape}s` : of.color ? `${of.color} objects` : 'objects';
  return {
    scene: { objects },
    question: `How many ${noun} are there?`,
    faithful: [{ type: 'count', of, n }],
    flawed: [{ type: 'count', of, n: wrong }],
    slip: 0,
    errorKind: 'count',
  };
}

function existenceDraft(rng: Rng, h: Hardness): Draft {
  const present = rng.chance(0.5);
  const color = rng.pick(COLORS);
  const shape = rng.pick(SHAPES);
  for (let attempt = 0; attempt < 1000; attempt++) {
    const scene = sampleScene(rng, 1 + rng.int(4));
    if (present) {
      const o = rng.pick(scene.objects);
      o.color = color;
      o.shape = shape;
      if (h !== 1) o.size = h === 0 ? 'large' : 'small'; // a small object is easier to miss
    } else {
      if (scene.objects.some((o) => o.color === color && o.shape === shape)) continue;
      const colorSeen = scene.objects.some((o) => o.color === color);
      const shapeSeen = scene.objects.some((o) => o.shape === shape);
      // Harder: the asked-for colour and shape are both in the image, just not on one object.
      if ((h === 0 && colorSeen) || (h === 1 && !colorSeen) || (h === 2 && !(colorSeen && shapeSeen)))
        continue;
    }
    return {
      scene,
      question: `Is there a ${color} ${shape}?`,
      faithful: [{ type: 'exists', color, shape, present }],
      flawed: [{ type: 'exists', color, shape, present: !present }],
      slip: 0,
      errorKind: 'hallucination',
    };
  }
  throw new Error(`no existence scene for ${present ? 'a' : 'no'} ${color} ${shape} at hardness ${h}`);
}

function attributeDraft(rng: Rng, h: Hardness): Draft | undefined {
  const scene = sampleScene(rng, 1 + rng.int(4));
  const target = rng.pick(scene.objects);
  const asked = rng.pick(['color', 'shape', 'size'] as const);
  if (asked !== 'size' && ((h === 0 && target.size !== 'large') || (h === 2 && target.size !== 'small')))
    return undefined;
  const ref: ObjectRef =
    asked === 'color'
      ? { shape: target.shape }
      : asked === 'shape'
        ? { color: target.color }
        : { color: target.color, shape: target.shape };
  if (uniqueObject(scene, ref) !== target) return undefined;
  const question =
    asked === 'color'
      ? `What color is the ${target.shape}?`
      : asked === 'shape'
        ? `What shape is the ${target.color} object?`
        : `Is the ${target.color} ${target.shape} small or large?`;
  const faithful: Claim =
    asked === 'color'
      ? { type: 'attribute', ref, color: target.color }
      : asked === 'shape'
        ? { type: 'attribute', ref, shape: target.shape }
        : { type: 'attribute', ref, size: target.size };
  const flawed: Claim =
    asked === 'color'
      ? { type: 'attribute', ref, color: other(rng, COLORS, target.color) }
      : asked === 'shape'
        ? { type: 'attribute', ref, shape: other(rng, SHAPES, target.shape) }
        : { type: 'attribute', ref, size: other(rng, SIZES, target.size) };
  return { scene, question, faithful: [faithful], flawed: [flawed], slip: 0, errorKind: 'attribute' };
}

function relationDraft(rng: Rng, h: Hardness): Draft | undefined {
  const scene = sampleScene(rng, 2 + rng.int(3));
  const [a, b] = rng.shuffle(scene.objects);
  const refA: ObjectRef = { color: a!.color, shape: a!.shape };
  const refB: ObjectRef = { color: b!.color, shape: b!.shape };
  if (uniqueObject(scene, refA) !== a || uniqueObject(scene, refB) !== b) return undefined;
  const distance: Record<Relation, number> = {
    'left of': colOf(b!.cell) - colOf(a!.cell),
    'right of': colOf(a!.cell) - colOf(b!.cell),
    above: rowOf(b!.cell) - rowOf(a!.cell),
    below: rowOf(a!.cell) - rowOf(b!.cell),
  };
  const wanted = h === 0 ? 2 : 1;
  const candidates = RELATIONS.filter((r) => distance[r] === wanted);
  if (candidates.length === 0) return undefined;
  const relation = rng.pick(candidates);
  return {
    scene,
    question: `Where is the ${a!.color} ${a!.shape} relative to the ${b!.color} ${b!.shape}?`,
    faithful: [{ type: 'relation', a: refA, relation, b: refB }],
    flawed: [{ type: 'relation', a: refA, relation: OPPOSITE[relation], b: refB }],
    slip: 0,
    errorKind: 'relation',
  };
}

type Change = 'color' | 'shape' | 'size' | 'position' | 'absent';

/** `x` with one property changed, or (absent) another colour and shape: the competing object. */
function changed(rng: Rng, x: SceneObject, change: Change, freeCells: number[]): SceneObject {
  switch (change) {
    case 'color':
      return { ...x, color: other(rng, COLORS, x.color) };
    case 'shape':
      return { ...x, shape: other(rng, SHAPES, x.shape) };
    case 'size':
      return { ...x, size: other(rng, SIZES, x.size) };
    case 'position':
      return { ...x, cell: other(rng, freeCells, x.cell) };
    case 'absent':
      return { ...x, color: other(rng, COLORS, x.color), shape: other(rng, SHAPES, x.shape) };
  }
}

/**
 * A description's scene and its two competing objects: both responses describe `others` alike; `x`
 * and `y` differ by one change, drawn symmetrically, and a coin decides which one is in the image.
 * Objects are listed in a random order that both responses share.
 */
function describedScene(
  rng: Rng,
  count: number,
  change: Change,
  fits: (others: SceneObject[], x: SceneObject, y: SceneObject) => boolean,
): { scene: Scene; real: SceneObject; fake: SceneObject; listed: SceneObject[] } {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const cells = rng.shuffle([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const others = cells.slice(0, count - 1).map((cell) => objectLike(rng, {}, cell));
    const x = objectLike(rng, {}, cells[count - 1]!);
    const y = changed(rng, x, change, cells.slice(count - 1));
    if (!fits(others, x, y)) continue;
    const [real, fake] = rng.chance(0.5) ? [x, y] : [y, x];
    return { scene: { objects: [...others, real] }, real, fake, listed: rng.shuffle([...others, real]) };
  }
  throw new Error(`no description scene with ${count} objects and a ${change} change`);
}

const sameLook = (a: SceneObject, b: SceneObject) =>
  a.color === b.color && a.shape === b.shape && a.size === b.size;
const sameKind = (a: SceneObject, b: SceneObject) => a.color === b.color && a.shape === b.shape;

function shortDescriptionDraft(rng: Rng, h: Hardness, errorKind: ErrorKind): Draft {
  const count = h === 0 ? 1 + rng.int(2) : h + 1;
  const hallucination = errorKind === 'hallucination';
  const change: Change = hallucination ? 'absent' : (['color', 'shape', 'size'] as const)[h];
  const { scene, real, fake, listed } = describedScene(rng, count, change, (others, x, y) => {
    // Without positions, a changed object that looks like another one would make the flaw true.
    const clash = hallucination ? sameKind : sameLook;
    if (others.some((o) => clash(o, x) || clash(o, y))) return false;
    if (!hallucination) return true;
    // Harder: the invented object's colour is on another object too. The test is symmetric in x
    // and y, so it says nothing about which of them is real.
    const seen = (c: SceneObject) => others.some((o) => o.color === c.color);
    return h === 0 ? !seen(x) && !seen(y) : h === 1 ? seen(x) || seen(y) : seen(x) && seen(y);
  });
  const faithful = listed.map((o) => objectClaim(o, false));
  const slip = listed.indexOf(real);
  const flawed = faithful.map((c, i) => (i === slip ? objectClaim(fake, false) : c));
  return { scene, question: 'Describe the image briefly.', faithful, flawed, slip, errorKind };
}

function longDescriptionDraft(rng: Rng, h: Hardness): Draft {
  const n = 2 + h;
  const change: Change = h === 0 ? 'color' : h === 1 ? 'shape' : rng.pick(['size', 'position'] as const);
  const { scene, real, fake, listed } = describedScene(rng, n, change, () => true);
  const faithful: Claim[] = [{ type: 'count', of: {}, n }, ...listed.map((o) => objectClaim(o, true))];
  const slip = 1 + listed.indexOf(real);
  const flawed = faithful.map((c, i) => (i === slip ? objectClaim(fake, true) : c));
  return { scene, question: 'Describe the image in detail.', faithful, flawed, slip, errorKind: 'long-slip' };
}

/**
 * "What is at the top left?": one object claim at an occupied cell; the flawed one changes colour and
 * shape (hardness 0), one of them (1) or the size (2). The question names the cell, so checking it is
 * a look at one place, not a search of the scene.
 */
function cellDraft(rng: Rng, h: Hardness): Draft {
  const change: Change = h === 0 ? 'absent' : h === 1 ? rng.pick(['color', 'shape'] as const) : 'size';
  const { scene, real, fake } = describedScene(rng, 2 + h, change, () => true);
  return {
    scene,
    question: `What is ${placePhrase(real.cell)}?`,
    faithful: [objectClaim(real, true)],
    flawed: [objectClaim(fake, true)],
    slip: 0,
    errorKind: 'attribute',
  };
}

function draft(
  rng: Rng,
  kind: QuestionKind,
  h: Hardness,
  errorKind: ErrorKind | undefined,
): Draft | undefined {
  switch (kind) {
    case 'count':
      return countDraft(rng, h);
    case 'existence':
      return existenceDraft(rng, h);
    case 'attribute':
      return attributeDraft(rng, h);
    case 'relation':
      return relationDraft(rng, h);
    case 'short-description':
      return shortDescriptionDraft(rng, h, errorKind ?? (rng.chance(0.5) ? 'hallucination' : 'attribute'));
    case 'long-description':
      return longDescriptionDraft(rng, h);
    case 'cell':
      return cellDraft(rng, h);
  }
}

/**
 * A question of `kind` at `hardness` with its faithful and flawed responses. Scenes are drawn until
 * one fits (deterministic for a given stream); the flawed response is checked to contradict the scene.
 */
export function makeProblem(
  rng: Rng,
  kind: QuestionKind,
  hardness: Hardness,
  errorKind?: ErrorKind,
): Problem {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const d = draft(rng, kind, hardness, errorKind);
    if (!d) continue;
    if (!d.faithful.every((c) => claimHolds(d.scene, c)) || claimHolds(d.scene, d.flawed[d.slip]!)) continue;
    const faithfulStyle: Style = rng.chance(0.5) ? 'plain' : 'seen';
    const flawedStyle: Style = hardness === 0 ? (rng.chance(0.5) ? 'plain' : 'seen') : faithfulStyle;
    return {
      ...d,
      kind,
      hardness,
      faithfulText: responseText(kind, d.faithful, faithfulStyle),
      flawedText: responseText(kind, d.flawed, flawedStyle),
    };
  }
  throw new Error(`no ${kind} problem at hardness ${hardness} after 1000 scenes (generator bug)`);
}
