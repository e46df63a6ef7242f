// What a response asserts about a scene, as data: each claim can be checked against the scene and
// written as text. Responses are built from claims, so "the flawed response contradicts the scene"
// is a checkable statement, not a hope.
import {
  CELL_NAMES,
  type Color,
  colOf,
  matches,
  type ObjectRef,
  refText,
  rowOf,
  type Scene,
  type Shape,
  type Size,
  uniqueObject,
} from './scene.js';

/** The spatial relations the synthetic world's questions and claims use. */
export const RELATIONS = ['left of', 'right of', 'above', 'below'] as const;
/** A spatial relation of {@link RELATIONS}. */
export type Relation = (typeof RELATIONS)[number];
/** Each relation's opposite (`left of` ↔ `right of`, `above` ↔ `below`). */
export const OPPOSITE: Record<Relation, Relation> = {
  'left of': 'right of',
  'right of': 'left of',
  above: 'below',
  below: 'above',
};

/**
 * One checkable statement about a scene: the unit the synthetic responses are made of and the teacher's
 * analysis checks.
 */
export type Claim =
  /** How many objects match `of` (all objects when `of` is empty). */
  | { type: 'count'; of: ObjectRef; n: number }
  /** Whether an object of this colour and shape is in the scene. */
  | { type: 'exists'; color: Color; shape: Shape; present: boolean }
  /** The one object `ref` picks out has this colour, shape or size. */
  | { type: 'attribute'; ref: ObjectRef; color?: Color; shape?: Shape; size?: Size }
  /** Where object `a` is relative to object `b`. */
  | { type: 'relation'; a: ObjectRef; relation: Relation; b: ObjectRef }
  /** An object with exactly these properties is in the scene (at `cell`, when given). */
  | { type: 'object'; color: Color; shape: Shape; size: Size; cell?: number };

/** Whether a claim is true of the scene (the generator's ground truth). */
export function claimHolds(scene: Scene, claim: Claim): boolean {
  switch (claim.type) {
    case 'count':
      return scene.objects.filter((o) => matches(o, claim.of)).length === claim.n;
    case 'exists':
      return scene.objects.some((o) => o.color === claim.color && o.shape === claim.shape) === claim.present;
    case 'attribute': {
      const object = uniqueObject(scene, claim.ref);
      if (!object) return false;
      return (
        (claim.color === undefined || object.color === claim.color) &&
        (claim.shape === undefined || object.shape === claim.shape) &&
        (claim.size === undefined || object.size === claim.size)
      );
    }
    case 'relation': {
      const a = uniqueObject(scene, claim.a);
      const b = uniqueObject(scene, claim.b);
      if (!a || !b) return false;
      switch (claim.relation) {
        case 'left of':
          return colOf(a.cell) < colOf(b.cell);
        case 'right of':
          return colOf(a.cell) > colOf(b.cell);
        case 'above':
          return rowOf(a.cell) < rowOf(b.cell);
        case 'below':
          return rowOf(a.cell) > rowOf(b.cell);
      }
      break;
    }
    case 'object':
      return scene.objects.some(
        (o) =>
          o.color === claim.color &&
          o.shape === claim.shape &&
          o.size === claim.size &&
          (claim.cell === undefined || o.cell === claim.cell),
      );
  }
  return false;
}

function plural(noun: string, n: number): string {
  return n === 1 ? noun : `${noun}s`;
}

/** "circles", "red objects", "objects". */
function countNoun(of: ObjectRef, n: number): string {
  const noun = of.shape ?? 'object';
  return of.color ? `${of.color} ${plural(noun, n)}` : plural(noun, n);
}

/** The claim as a short lower-case clause, as the teacher quotes it ("there are 2 circles"). */
export function claimClause(claim: Claim): string {
  switch (claim.type) {
    case 'count':
      if (claim.n === 0) return `there are no ${countNoun(claim.of, 2)}`;
      return `there ${claim.n === 1 ? 'is' : 'are'} ${claim.n} ${countNoun(claim.of, claim.n)}`;
    case 'exists':
      return claim.present
        ? `there is a ${claim.color} ${claim.shape}`
        : `there is no ${claim.color} ${claim.shape}`;
    case 'attribute': {
      const subject = refText(claim.ref);
      if (claim.shape !== undefined) return `${subject} is a ${claim.shape}`;
      return `${subject} is ${claim.color ?? claim.size}`;
    }
    case 'relation':
      return `${refText(claim.a)} is ${claim.relation} ${refText(claim.b)}`;
    case 'object': {
      const thing = `a ${claim.size} ${claim.color} ${claim.shape}`;
      if (claim.cell === undefined) return thing;
      return `${thing} is ${placePhrase(claim.cell)}`;
    }
  }
}

/** Where a cell is, as a claim or question says it: "at the top left", "in the center". */
export function placePhrase(cell: number): string {
  const where = CELL_NAMES[cell]!;
  return where === 'center' ? 'in the center' : `at the ${where}`;
}

/** A clause as a sentence: capitalised, full stop. */
export function sentence(clause: string): string {
  return `${clause.charAt(0).toUpperCase()}${clause.slice(1)}.`;
}
